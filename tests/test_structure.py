"""The package keeps the shape DESIGN.md gives it: floors, no cycles, small modules, SQL only in the ledger.

Every module under ``pipeline/`` is parsed (never imported) and its imports are read: at module level and
inside functions, but not under ``if TYPE_CHECKING:``, which never runs. The imports among ``pipeline``
modules form a graph, and the rules are checked on it:

- no import cycles;
- the ground floor (``ledger``, ``round``, ``docid``, … everything that is neither a stage nor a skin)
  imports no stage and no skin;
- a stage reaches another stage only through that stage's package (its ``__init__``), never its modules;
- nothing imports the CLI except ``__main__``, and nothing imports the web skin from outside it, except the
  CLI through the web package itself (``engagiert serve`` starts the server, ``user add`` makes an account);
- no module is over 400 lines;
- no SQL outside the ledger.

How an import is read: ``from .x import y`` imports module ``x``; ``from . import y`` imports submodule
``y`` if there is one, unless the package's ``__init__`` binds the name ``y`` itself (then ``y`` is what the
``__init__`` exports, as Python resolves it); ``import pipeline.render`` imports ``pipeline/render/__init__.py``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .helpers import REPO

PACKAGE = "pipeline"
STAGES = ("render", "dispatch", "checkin", "track", "mail", "web")
SKINS = ("cli", "web")
LEDGER = ("ledger",)            # pipeline/ledger.py, or a pipeline/ledger/ package: the only SQL speakers
MAX_LINES = 400
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE)\b.*?\b(FROM|INTO|TABLE|SET|VIEW|INDEX)\b", re.DOTALL)


@dataclass
class Module:
    name: str                   # dotted: pipeline.checkin.intake; a package's __init__ is the package's name
    path: str                   # relative to the repository: pipeline/checkin/intake.py
    tree: ast.Module
    is_package: bool
    imports: dict[str, int] = field(default_factory=dict)   # imported pipeline module -> first line

    @property
    def floor(self) -> str:
        """`stage`, `skin`, `main` or `ground`: the floor this module lives on."""
        parts = self.name.split(".")
        if len(parts) == 1:
            return "ground"
        top = parts[1]
        if top == "__main__":
            return "main"
        if top in SKINS and top not in STAGES:
            return "skin"
        return "stage" if top in STAGES else "ground"

    @property
    def top(self) -> str:
        """The second name component: the stage, skin or ground-floor module it belongs to."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else ""


def read_package(root: Path, package: str = PACKAGE) -> dict[str, Module]:
    """Every module of the package under `root`, parsed, with its imports among the package's modules."""
    modules: dict[str, Module] = {}
    for path in sorted((root / package).rglob("*.py")):
        relative = path.relative_to(root).with_suffix("")
        parts = list(relative.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        modules[name] = Module(name, relative.with_suffix(".py").as_posix(), tree, is_package)
    for module in modules.values():
        for target, line in _imports(module, modules):
            module.imports.setdefault(target, line)
    return modules


def _bound_names(module: Module) -> set[str]:
    """Names a package's __init__ binds at module level (what `from package import name` gets first)."""
    names: set[str] = set()
    for node in module.tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name))
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST):
    """Import statements anywhere in the tree, except the body of `if TYPE_CHECKING:` (never run)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for branch in child.orelse:
                yield from _import_nodes_of(branch)
            continue
        yield from _import_nodes_of(child)


def _import_nodes_of(node: ast.AST):
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _import_nodes(node)


def _imports(module: Module, modules: dict[str, Module]):
    """(imported pipeline module, line) for every import statement of `module`."""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for node in _import_nodes(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, node.lineno
            continue
        if node.level:
            base_parts = package.split(".")
            base_parts = base_parts[: len(base_parts) - (node.level - 1)]
            base = ".".join(base_parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        if base not in modules:
            continue  # not one of ours (a third-party or standard library module)
        bound = _bound_names(modules[base]) if modules[base].is_package else set()
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            # A package importing from itself means its submodule (the name it binds is that submodule).
            if submodule in modules and (alias.name not in bound or base == module.name):
                yield submodule, node.lineno
            else:
                yield base, node.lineno


def find_cycle(modules: dict[str, Module]) -> list[str] | None:
    """One import cycle as a chain [a, b, …, a], or None."""
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(modules[name].imports):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[name] = 2
        return None

    for name in sorted(modules):
        if name not in state:
            cycle = visit(name)
            if cycle:
                return cycle
    return None


def floor_violations(modules: dict[str, Module]) -> list[str]:
    """Imports that break the floors: ground floor → stage or skin, stage → another stage's internals,
    anything → a skin (except __main__ → cli, and cli → the web package, which `engagiert serve` starts)."""
    problems = []
    for module in modules.values():
        for target, line in sorted(module.imports.items()):
            imported = modules[target]
            where = f"{module.path}:{line}: {module.name} imports {target}"
            if module.floor == "ground" and imported.floor in ("stage", "skin"):
                problems.append(f"{where} (the ground floor never imports a stage or a skin)")
            if module.floor == "stage" and imported.floor == "stage" and imported.top != module.top \
                    and target != f"{PACKAGE}.{imported.top}":
                problems.append(f"{where} (another stage only through its package, {PACKAGE}.{imported.top})")
            if imported.top in SKINS and imported.top != module.top and not (
                    module.floor == "main" and imported.top == "cli") and not (
                    module.top == "cli" and target == f"{PACKAGE}.web"):
                problems.append(f"{where} (nothing imports a skin; only __main__ runs the CLI)")
    return problems


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sql_outside_ledger(modules: dict[str, Module]) -> list[str]:
    """String literals (f-strings too; docstrings excepted) that read as SQL, in modules other than the ledger."""
    problems = []
    for module in modules.values():
        if module.top in LEDGER:
            continue
        docstrings = _docstrings(module.tree)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(part.value if isinstance(part, ast.Constant) else "{…}" for part in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                text = node.value
            else:
                continue
            if SQL.search(text):
                problems.append((module.path, node.lineno, " ".join(text.split())[:70]))
    return [f"{path}:{line}: {text}" for path, line, text in sorted(set(problems))]


# --- the rules, on the real package ------------------------------------------------------------------


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    found = read_package(REPO)
    assert f"{PACKAGE}.ledger" in found and f"{PACKAGE}.checkin.intake" in found, sorted(found)
    return found


def test_no_import_cycles(modules):
    cycle = find_cycle(modules)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_ground_floor_imports_no_stage_and_no_skin(modules):
    ground = [module for module in modules.values() if module.floor == "ground"]
    assert {f"{PACKAGE}.ledger", f"{PACKAGE}.round", f"{PACKAGE}.docid", PACKAGE} <= {m.name for m in ground}
    assert not [problem for problem in floor_violations(modules) if "ground floor" in problem]


def test_a_stage_uses_another_stage_only_through_its_package(modules):
    assert not [problem for problem in floor_violations(modules) if "another stage" in problem]


def test_nothing_imports_a_skin_except_main_runs_the_cli(modules):
    assert not [problem for problem in floor_violations(modules) if "skin" in problem]
    assert f"{PACKAGE}.cli" in modules[f"{PACKAGE}.__main__"].imports


def _module_files() -> list[Path]:
    return sorted((REPO / PACKAGE).rglob("*.py"))


@pytest.mark.parametrize("path", [pytest.param(path, id=str(path.relative_to(REPO))) for path in _module_files()])
def test_no_module_over_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO)} has {lines} lines: split it"


def test_no_sql_outside_the_ledger(modules):
    problems = sql_outside_ledger(modules)
    assert not problems, "SQL outside the ledger:\n" + "\n".join(problems)


# --- the reader itself, on a small package made here (so the rules above cannot pass by reading nothing) -


def _write(root: Path, files: dict[str, str]) -> dict[str, Module]:
    for name, text in files.items():
        path = root / "pipeline" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return read_package(root)


def test_reader_follows_relative_function_level_and_package_imports(tmp_path):
    modules = _write(tmp_path, {
        "__init__.py": "",
        "__main__.py": "from .cli import main\n",
        "cli.py": "def main():\n    from .track import status\n",
        "ledger.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .render import layout\n"
                     "else:\n    from . import errors\n",
        "errors.py": "import os\n",
        "render/__init__.py": "from .run import render_round, fingerprint\n",
        "render/run.py": "from .. import ledger\nfrom . import layout\ndef render_round(): pass\n"
                         "def fingerprint(): pass\n",
        "render/layout.py": "import pipeline.errors\n",
        "render/fingerprint.py": "",
        "track/__init__.py": "",
        "track/status.py": "def load():\n    from ..render import fingerprint\n    from ..render.layout import x\n",
    })
    assert set(modules["pipeline.ledger"].imports) == {"pipeline.errors"}           # TYPE_CHECKING skipped
    assert set(modules["pipeline.render.run"].imports) == {"pipeline.ledger", "pipeline.render.layout"}
    assert set(modules["pipeline.render.layout"].imports) == {"pipeline.errors"}
    assert set(modules["pipeline.render"].imports) == {"pipeline.render.run"}
    # `fingerprint` is bound by render/__init__ (it shadows the submodule): the package is what is imported.
    assert set(modules["pipeline.track.status"].imports) == {"pipeline.render", "pipeline.render.layout"}
    assert set(modules["pipeline.cli"].imports) == {"pipeline.track.status"}
    assert find_cycle(modules) is None
    assert floor_violations(modules) == [
        "pipeline/track/status.py:3: pipeline.track.status imports pipeline.render.layout "
        "(another stage only through its package, pipeline.render)"]


def test_reader_reports_cycles_floor_breaks_and_sql(tmp_path):
    modules = _write(tmp_path, {
        "__init__.py": "",
        "round.py": "from .checkin import run\nQUERY = 'just words: select from the list'\n",
        "ledger.py": "Q = 'SELECT doc_id FROM documents'\n",
        "checkin/__init__.py": "",
        "checkin/run.py": "from . import judge\nfrom .. import cli\n",
        "checkin/judge.py": "def f():\n    from .run import x\n    return f'UPDATE {x} SET a = 1'\n",
        "cli.py": "",
    })
    assert find_cycle(modules) == ["pipeline.checkin.judge", "pipeline.checkin.run", "pipeline.checkin.judge"]
    assert floor_violations(modules) == [
        "pipeline/checkin/run.py:2: pipeline.checkin.run imports pipeline.cli "
        "(nothing imports a skin; only __main__ runs the CLI)",
        "pipeline/round.py:1: pipeline.round imports pipeline.checkin.run "
        "(the ground floor never imports a stage or a skin)"]
    assert sql_outside_ledger(modules) == ["pipeline/checkin/judge.py:3: UPDATE {…} SET a = 1"]
