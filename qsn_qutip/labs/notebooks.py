"""One source, two notebooks: the student version and the instructor version of every lab.

The labs in ``docs/labs/*.ipynb`` are the single source.  Two cell tags (Jupyter's cell
metadata ``tags``) say which version a cell belongs to:

``exercise``
    The stub a student fills in: code with blanks ``...`` (``answer = ...  # TODO``).  In the
    student version only.
``solution``
    The instructor's answer (code, or a markdown explanation).  In the instructor version
    only.

Every other cell is in both, in particular the *check cell* after each exercise, whose last
line is ``check("labN.name", answer)`` (:func:`qsn_qutip.labs.check`): it shows "not answered
yet" for a blank, what is wrong for a wrong answer, and a tick for the right one.  Running the
source itself works too (the solution overwrites the blank).  ``qsn labs --student DIR
--instructor DIR`` writes both versions (:func:`write_labs`), outputs cleared;
:func:`problems` checks the structure of a source notebook.

nbformat (the ``docs`` extra) is imported when a notebook is read or written, not before.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

from ..errors import QSNError
from .._io import atomic_path
from .checking import EXERCISES

__all__ = ["TAG_EXERCISE", "TAG_SOLUTION", "VERSIONS", "repository_dir", "source_dir",
           "model_file", "lab_paths", "read_lab", "version", "exercises_of", "problems",
           "write_labs", "describe_lab"]

TAG_EXERCISE = "exercise"
TAG_SOLUTION = "solution"
VERSIONS = ("student", "instructor")
_DROPPED = {"student": TAG_SOLUTION, "instructor": TAG_EXERCISE}
_BANNER = {
    "student": "*Student version.* Fill in every cell marked `TODO` (replace the `...`), run "
               "it, then run the check cell below it: it says whether your answer is right and, "
               "if not, what is wrong.",
    "instructor": "*Instructor version* (with the solutions). The student version, with blanks "
                  "instead of the solutions, comes from the same source: `qsn labs --student "
                  "DIR`.",
}
_CHECK = re.compile(r"""\bcheck\(\s*["']([\w.]+)["']""")


def _nbformat():
    try:
        import nbformat
    except ImportError:
        raise QSNError("reading and writing the lab notebooks needs nbformat: "
                       "pip install -e '.[docs]'") from None
    return nbformat


def repository_dir() -> Path | None:
    """The source checkout the package runs from (the folder holding ``docs/labs`` and
    ``models``), or None for an installed copy without them."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "docs" / "labs").is_dir() else None


def source_dir() -> Path:
    """``docs/labs`` of the source checkout (the labs' single source)."""
    root = repository_dir()
    if root is None:
        raise QSNError("the lab notebooks live in docs/labs of the qsn_qutip repository, which "
                       "this installation does not have: pass the folder with --source")
    return root / "docs" / "labs"


def model_file(name: str) -> Path:
    """The path of a bundled model file, ``models/NAME.toml`` of the source checkout.

    Examples
    --------
    >>> model_file("uneven_ensembles").name
    'uneven_ensembles.toml'
    """
    root = repository_dir()
    stem = str(name).removesuffix(".toml")
    path = None if root is None else root / "models" / f"{stem}.toml"
    if path is None or not path.is_file():
        known = sorted(p.stem for p in (root / "models").glob("*.toml")) if root else []
        raise QSNError(f"name: no bundled model file {stem!r}" +
                       (f"; the models are {known}" if known else
                        " (the models/ folder of the repository is not here)"))
    return path


def lab_paths(source: str | Path | None = None) -> list[Path]:
    """The lab notebooks of ``source`` (default :func:`source_dir`), in order."""
    folder = Path(source) if source is not None else source_dir()
    if not folder.is_dir():
        raise QSNError(f"--source: {folder} is not a directory")
    paths = sorted(folder.glob("[0-9]*.ipynb"))
    if not paths:
        raise QSNError(f"--source: {folder} holds no lab notebook (NN_name.ipynb)")
    return paths


def read_lab(path: str | Path):
    """Read a lab notebook (nbformat 4)."""
    nbformat = _nbformat()
    try:
        return nbformat.read(Path(path), as_version=4)
    except (OSError, ValueError) as err:
        raise QSNError(f"cannot read the lab {path}: {err}") from None


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def version(notebook, which: str):
    """The ``"student"`` or ``"instructor"`` version of a lab notebook (a new notebook).

    The student version drops the cells tagged ``solution``, the instructor version those
    tagged ``exercise``; both have their outputs cleared, the tags removed and a first line
    saying which version they are.
    """
    if which not in VERSIONS:
        raise QSNError(f"which must be one of {VERSIONS}, got {which!r}")
    nbformat = _nbformat()
    result = copy.deepcopy(notebook)
    result.cells = [cell for cell in result.cells if _DROPPED[which] not in _tags(cell)]
    for cell in result.cells:
        tags = _tags(cell) - {TAG_EXERCISE, TAG_SOLUTION}
        cell.metadata.pop("tags", None)
        if tags:
            cell.metadata["tags"] = sorted(tags)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    banner = nbformat.v4.new_markdown_cell(_BANNER[which])
    banner.metadata["qsn_lab_banner"] = True
    title = 1 if result.cells and result.cells[0].cell_type == "markdown" else 0
    result.cells.insert(title, banner)
    result.metadata["qsn_lab"] = {"version": which}
    return result


def exercises_of(notebook) -> list[str]:
    """The exercises a notebook checks, in order (the names in its ``check(...)`` calls)."""
    return [name for cell in notebook.cells if cell.cell_type == "code"
            for name in _CHECK.findall(cell.source)]


def _ends_with_check(source: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    last = body[-1] if body else None
    return (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and getattr(last.value.func, "id", getattr(last.value.func, "attr", "")) == "check")


def problems(notebook, lab: str | None = None) -> list[str]:
    """What is wrong with the structure of a source lab (empty when it is sound).

    Every ``exercise`` cell is code with a blank ``...``, followed by a ``solution`` code cell
    and then by a check cell ending with ``check("NAME", ...)``; every check cell has such an
    exercise; every NAME is a registered exercise (of lab ``lab``, e.g. ``"lab1"``, when
    given); no cell is tagged both ways.
    """
    found, cells = [], notebook.cells
    for i, cell in enumerate(cells):
        tags = _tags(cell)
        where = f"cell {i}"
        if {TAG_EXERCISE, TAG_SOLUTION} <= tags:
            found.append(f"{where} is tagged both exercise and solution")
        names = _CHECK.findall(cell.source) if cell.cell_type == "code" else []
        for name in names:
            if name not in EXERCISES:
                found.append(f"{where} checks {name!r}, which is not a registered exercise")
            elif lab is not None and not name.startswith(f"{lab}."):
                found.append(f"{where} checks {name!r}, an exercise of another lab")
        if names and not tags:
            if not _ends_with_check(cell.source):
                found.append(f"{where}: a check cell must end with the check(...) call "
                             f"(so that Jupyter shows its result)")
            before = [_tags(c) for c in cells[max(0, i - 2):i]]
            if before != [{TAG_EXERCISE}, {TAG_SOLUTION}]:
                found.append(f"{where} checks {names} but is not preceded by an exercise "
                             f"cell and a solution cell")
        if TAG_EXERCISE in tags:
            if cell.cell_type != "code" or "..." not in cell.source:
                found.append(f"{where} is an exercise without a blank (...)")
            following = cells[i + 1:i + 3]
            if (len(following) < 2 or _tags(following[0]) != {TAG_SOLUTION}
                    or following[0].cell_type != "code" or not _CHECK.search(following[1].source)):
                found.append(f"{where}: an exercise must be followed by its solution cell and a "
                             f"check cell")
    return found


def write_labs(source: str | Path | None = None, student: str | Path | None = None,
               instructor: str | Path | None = None) -> list[Path]:
    """Write the student and/or instructor version of every lab of ``source``.

    Parameters
    ----------
    source : path, optional
        The folder of source labs (default :func:`source_dir`).
    student, instructor : path, optional
        Where to write each version (created when missing); each notebook keeps its name.

    Returns
    -------
    list of pathlib.Path
        The notebooks written, student versions first.

    Raises
    ------
    QSNError
        Neither folder given, a source that is not a lab folder, a notebook that cannot be
        read or written, or a source lab whose structure is broken (:func:`problems`).
    """
    targets = [(which, Path(folder)) for which, folder in (("student", student),
                                                          ("instructor", instructor))
               if folder is not None]
    if not targets:
        raise QSNError("say where to write: a student folder, an instructor folder, or both")
    nbformat = _nbformat()
    labs = [(path, read_lab(path)) for path in lab_paths(source)]
    for path, notebook in labs:
        broken = problems(notebook)
        if broken:
            raise QSNError(f"{path}: " + "; ".join(broken))
    written = []
    for which, folder in targets:
        for path, notebook in labs:
            out = folder / path.name
            with atomic_path(out) as tmp:
                nbformat.write(version(notebook, which), str(tmp))
            written.append(out)
    return written


def describe_lab(notebook) -> tuple[str, int | None, int]:
    """(title, minutes, number of exercises) of a lab: its first heading, the ``**Time:**
    about N minutes`` of its first cell, and its check cells."""
    head = notebook.cells[0].source if notebook.cells else ""
    title = next((line.lstrip("#").strip() for line in head.splitlines()
                  if line.startswith("#")), "")
    minutes = re.search(r"\*\*Time:\*\*\s*about\s+(\d+)\s+minutes", head)
    return title, int(minutes.group(1)) if minutes else None, len(exercises_of(notebook))
