"""The house rules of shared/DESIGN.md, checked on the source rather than by eye.

* every import inside the package points down the layers (or stays inside one layer), so the
  import graph has no circles;
* ``estimation/`` (the wall) imports nothing above the operators;
* no private name (``_x``) is imported from another module;
* nothing inside the package goes through the compatibility shims ``fisher`` and ``bounds``;
* modules stay small enough to hold in mind.

Imports inside functions count too: a lazy import that points up is still an upward arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qsn_qutip"

#: the layers of DESIGN.md, bottom first; a module may import its own layer or any below it
LAYERS = [
    {"errors", "options", "_checks", "_linalg", "_io", "_peers"},
    {"operators"},
    {"estimation"},
    {"sensors"},
    {"network"},
    {"states"},
    {"theorems"},
    {"noise"},
    {"measurement"},
    {"probes"},
    {"optimize"},
    {"report"},
    {"magnetometry"},     # compares probes with report.compare, then transforms to SI units
    {"experiment"},
    {"modelfile"},
    {"sweep"},
    {"labs"},
    {"figures"},
    {"cli"},
    {"__init__", "__main__", "fisher", "bounds"},   # the front door and the compatibility shims
]
RANK = {name: level for level, names in enumerate(LAYERS) for name in names}
SHIMS = {"fisher", "bounds"}
MAX_MODULE_LINES = 650


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> list[str]:
    """``qsn_qutip/noise/dicke.py`` -> ``["noise", "dicke"]`` (``__init__`` dropped)."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts


def _top(parts: list[str]) -> str:
    return parts[0] if parts else "__init__"


def _imports(path: Path):
    """(line, target module parts, imported names) for every import of the package itself."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = _dotted(path)
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "qsn_qutip":
                target = node.module.split(".")[1:]
            else:
                continue
            names = [alias.name for alias in node.names]
            if not node.module and node.level:          # from . import states
                for name in names:
                    yield node.lineno, target + [name], []
            else:
                yield node.lineno, target, names
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "qsn_qutip":
                    yield node.lineno, parts[1:], []


def _module_name(path: Path) -> str:
    return ".".join(["qsn_qutip", *_dotted(path)]) if _dotted(path) != ["__init__"] else "qsn_qutip"


ALL = _modules()
IDS = [str(p.relative_to(PACKAGE)) for p in ALL]


def test_every_top_level_name_has_a_layer():
    tops = {_top(_dotted(p)) for p in ALL}
    missing = sorted(tops - set(RANK))
    assert not missing, f"modules without a layer in LAYERS (add them where DESIGN.md puts them): {missing}"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_imports_point_down(path):
    own = _top(_dotted(path))
    upward = [f"line {line}: imports {'.'.join(target)}"
              for line, target, _ in _imports(path)
              if target and RANK.get(_top(target), -1) > RANK[own]]
    assert not upward, f"{_module_name(path)} ({own}, layer {RANK[own]}) imports upward: {upward}"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_no_private_names_across_modules(path):
    here = _dotted(path)
    leaks = [f"line {line}: from {'.'.join(target)} import {name}"
             for line, target, names in _imports(path) for name in names
             if name.startswith("_") and not name.startswith("__") and target != here]
    assert not leaks, f"{_module_name(path)} reaches private names: {leaks}"


#: private modules that serve every layer (DESIGN.md: validation, array helpers, atomic writes)
SHARED_PRIVATE = {("_checks",), ("_linalg",), ("_io",)}


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_private_modules_stay_in_their_package(path):
    here = _dotted(path)
    package = here if path.name == "__init__.py" else here[:-1]
    leaks = [f"line {line}: {'.'.join(target)}" for line, target, _ in _imports(path)
             if any(part.startswith("_") and not part.startswith("__") for part in target)
             and tuple(target) not in SHARED_PRIVATE
             and target[:-1] != package]
    assert not leaks, f"{_module_name(path)} imports another package's private module: {leaks}"


@pytest.mark.parametrize("path", [p for p in ALL if _top(_dotted(p)) == "estimation"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_estimation_is_pure_mathematics(path):
    above = [".".join(target) for _, target, _ in _imports(path)
             if target and RANK.get(_top(target), -1) > RANK["estimation"]]
    assert not above, f"{_module_name(path)} (the wall) imports {above}"


@pytest.mark.parametrize("path", [p for p in ALL
                                  if _top(_dotted(p)) not in {"__init__", "__main__"} | SHIMS],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_inside_uses_the_shims(path):
    through = [f"line {line}" for line, target, _ in _imports(path)
               if target and target[0] in SHIMS and len(target) == 1]
    assert not through, f"{_module_name(path)} imports a compatibility shim: {through}"


def test_no_import_circles_between_modules():
    """Module-level graph (imports at the top of a module, not inside functions)."""
    graph: dict[str, set[str]] = {}
    for path in ALL:
        tree = ast.parse(path.read_text())
        top_level = {node.lineno for node in tree.body
                     if isinstance(node, (ast.Import, ast.ImportFrom))}
        graph[_module_name(path)] = {
            ".".join(["qsn_qutip", *target]) for line, target, _ in _imports(path)
            if line in top_level}
    known = set(graph)

    def resolve(name: str) -> str | None:
        while name and name not in known:          # an imported name, not a module
            name = name.rpartition(".")[0]
        return name or None

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(filter(None, map(resolve, graph[node]))):
            # a package's __init__ importing its own submodules is not a circle
            if nxt == node or nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_modules_stay_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_module_name(path)} has {lines} lines (limit about 600)"


MAX_FUNCTION_LINES = 90


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_functions_stay_short(path):
    """Body length without the docstring (which may teach at any length)."""
    long = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                body = body[1:]
            if body:
                lines = body[-1].end_lineno - body[0].lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{node.name} ({lines} lines)")
    assert not long, f"{_module_name(path)}: functions over about 80 lines: {long}"
