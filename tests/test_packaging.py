"""The tool as a user gets it: a wheel, installed (not editable) into a fresh virtual environment, renders
the demo from a folder that has nothing to do with the source tree, with the templates it carries as
package data.

The fresh environment does not download the dependencies again: a .pth file appends the shared
environment's site-packages to its path, after its own, so the wheel's `pipeline` is found first and
WeasyPrint and the rest come from the shared environment. The test asserts both.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from .helpers import REPO, fast_page_texts

#: What a build needs from the source tree (README.md: the project's long description).
SOURCE_FILES = ("pyproject.toml", "README.md", "LICENSE")
PACKAGE_DATA = ("pipeline/templates/erklaerung.html.j2", "pipeline/templates/style.css",
                "pipeline/templates/partials/signer.html.j2", "pipeline/templates/round.example.toml",
                "pipeline/data/nrw-grenzen.geojson", "pipeline/data/nrw-kommunen.csv")


def _run(command: list, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built once per module, from a copy of the sources: the build leaves no build/ or *.egg-info behind."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCE_FILES:
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "pipeline", source / "pipeline", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # No build isolation and no index: the shared environment's setuptools builds, nothing is downloaded.
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "--disable-pip-version-check", "-w", tmp_path / "dist", source], cwd=tmp_path)
    [built] = (tmp_path / "dist").glob("engagiert-*.whl")
    return built


def _fresh_environment(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed in it; returns its bin/ folder."""
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # pip of the shared environment, run for the new interpreter: it sees an empty environment and
    # installs the wheel (console script included) into it.
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q",
          "--disable-pip-version-check", wheel], cwd=tmp_path)
    site_packages = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              cwd=tmp_path).stdout.strip())
    # A plain path line is appended to sys.path after the new site-packages: the wheel's pipeline comes
    # first. (The shared site-packages' own .pth files, such as an editable install's finder, are not run.)
    (site_packages / "zz_shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir / "bin"


def _clean_environment() -> dict:
    """The test's environment without anything that would put the source tree on the path."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME",
                                                                          "VIRTUAL_ENV")}
    env["PIP_NO_INPUT"] = "1"
    return env


def test_the_wheel_carries_the_templates_and_the_licence(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in PACKAGE_DATA if name not in names]
    assert not missing, f"package data missing from the wheel: {missing}"
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), sorted(names)
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    assert "License-Expression: EUPL-1.2" in zipfile.ZipFile(wheel).read(metadata).decode()


def test_an_installed_wheel_renders_the_demo_from_any_folder(wheel, tmp_path):
    bin_dir = _fresh_environment(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"  # an unrelated folder: no templates/, no pipeline/ beside it
    elsewhere.mkdir()
    for name in ("signatories.csv", "round.toml"):
        shutil.copy(REPO / name, elsewhere / name)
    env = _clean_environment()

    where = _run([bin_dir / "python", "-c", "import pipeline, weasyprint; print(pipeline.__file__); "
                  "print(weasyprint.__file__)"], cwd=elsewhere, env=env).stdout.split()
    assert Path(where[0]).is_relative_to(tmp_path / "env"), f"pipeline imported from {where[0]}, not the wheel"
    assert not Path(where[0]).is_relative_to(REPO)
    assert Path(where[1]).is_relative_to(sysconfig.get_paths()["purelib"]), where[1]  # not downloaded again

    _run([bin_dir / "engagiert", "render", "--signatories", "signatories.csv", "--round", "round.toml",
          "--out", "out", "-q"], cwd=elsewhere, env=env)

    with (elsewhere / "signatories.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    documents = sorted((elsewhere / "out" / "2024-05" / "documents").glob("*.pdf"))
    assert len(documents) == len(rows)
    for row in rows:
        [document] = [path for path in documents if path.name.startswith(f"{row['ags']}_")]
        texts = fast_page_texts(document)
        assert len(texts) == 2, document.name
        assert row["bezeichnung"] in " ".join(" ".join(texts).split()), document.name

    # The report draws the map of NRW from the boundaries the wheel carries: no --geojson, no source tree.
    assert "ENGAGIERT_GEOJSON" not in env
    report = _run([bin_dir / "engagiert", "report", "--round", "round.toml", "--out", "out"], cwd=elsewhere, env=env)
    assert report.stdout.strip() == f"Wrote out/2024-05/report.html: 0 of {len(rows)} verified, map of 427 areas"
    assert (elsewhere / "out" / "2024-05" / "report.html").read_text(encoding="utf-8").count("<path") >= 427
