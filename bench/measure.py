"""Run a command; print its wall time and the peak RSS of any process in its tree, as JSON.

Linux folds a reaped child's peak into its parent's RUSAGE_CHILDREN figure, so the value below is the
largest resident set of the command and of every worker it started.
"""

import json
import resource
import subprocess
import sys
import time

if __name__ == "__main__":
    command = sys.argv[sys.argv.index("--") + 1:]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall": wall, "peak_mb": peak_kb / 1024, "returncode": completed.returncode,
                      "stdout": completed.stdout[-2000:], "stderr": completed.stderr[-2000:]}))
