"""Every third-party package the code imports is declared in pyproject.toml (the tests' in the dev extra)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

from .helpers import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]


def _names(requirements: list[str]) -> set[str]:
    return {_normalise(re.match(r"[A-Za-z0-9_.-]+", requirement)[0]) for requirement in requirements}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_distributions(folder: str) -> dict[str, set[str]]:
    """distribution -> the files importing it, for every top-level import in `folder` outside the stdlib."""
    distributions = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in (REPO / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in ("pipeline", "tests", "bench"):
                    continue
                for distribution in distributions.get(top, [f"<no installed package provides {top}>"]):
                    found.setdefault(_normalise(distribution), set()).add(str(path.relative_to(REPO)))
    return found


def test_the_package_declares_what_it_imports():
    undeclared = {name: files for name, files in _imported_distributions("pipeline").items()
                  if name not in _names(PROJECT["dependencies"])}
    assert not undeclared, f"imported by pipeline/ but not in [project] dependencies: {undeclared}"


def test_the_tests_declare_what_they_import():
    declared = _names(PROJECT["dependencies"]) | _names(PROJECT["optional-dependencies"]["dev"])
    undeclared = {name: files for name, files in _imported_distributions("tests").items() if name not in declared}
    assert not undeclared, f"imported by tests/ but not declared (dependencies or the dev extra): {undeclared}"
