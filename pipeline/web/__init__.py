"""The web app (skin 2): each municipality's private upload page, and the clerk's desk under /admin/.

- ``app``: the Flask application, its security headers, limits and error pages.
- ``municipality``: the page behind a private link, uploads through it, receipts.
- ``uploads``: storing an upload and checking it in with the check-in stage; recovery after a crash.
- ``answers``: what the municipality is told about each file, in German, read back from the ledger.
- ``desk``: login, overview, the table of municipalities, one page per municipality.
- ``review``: the review queue and the clerk's decisions.
- ``accounts``: clerks' passwords (scrypt) and login sessions.
- ``security``: rate limits, headers, CSRF comparison.
- ``receipt``: the Eingangsbestätigung as PDF.
- ``server``: `engagiert serve` (waitress).

It calls the same stage functions as the CLI (check_in, decide, collect_status, the report's drawing) and
never does their work itself.
"""

from .accounts import add_clerk, clerk_names
from .server import serve

__all__ = ["add_clerk", "clerk_names", "serve"]
