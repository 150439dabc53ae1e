"""Result files: atomic, durable writes (a reader never sees half a file), output paths checked
before any work, and JSON-ready values.

Atomic writes (:func:`atomic_path`) go to a temporary file beside the target, named
``.NAME.PID.XXXXXXXX.tmp``; when the block succeeds the temporary is flushed to the disk
(:func:`os.fsync`), renamed onto the target (:func:`os.replace`, atomic on POSIX) and the
directory is synced, so that after a crash or a power cut the target is either the old file or
the new one, never a mixture or an empty file.  A write killed half-way (``kill -9``) can leave
its temporary behind: the next write of the same target removes such leftovers.  An
:class:`OSError` of the write (disk full, no permission, read-only file system) becomes a
:class:`~qsn_qutip.errors.QSNError` naming the file (the ``OSError`` is its ``__cause__``), and
the previous file is left as it was.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import secrets
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import QSNError

__all__ = ["atomic_path", "json_ready", "number_text", "writable_path", "write_error",
           "fsync_directory", "html_cell", "html_table"]

#: when this process started using the package: temporaries older than this, left by a
#: process that is gone, are stale
_STARTED = time.time()


def write_error(path: str | os.PathLike, err: OSError, doing: str = "cannot write") -> QSNError:
    """A one-line :class:`QSNError` for an :class:`OSError` met while writing ``path``.

    Examples
    --------
    >>> import errno
    >>> print(write_error("out.csv", OSError(errno.ENOSPC, "No space left on device")))
    cannot write out.csv: No space left on device (the disk is full)
    """
    reason = err.strerror or str(err) or type(err).__name__
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += " (the disk is full)" if err.errno == errno.ENOSPC else " (over the quota)"
    return QSNError(f"{doing} {path}: {reason}")


def package_version() -> str:
    """The version of the loaded qsn_qutip (read where it is defined, without importing the
    package's front door from below it)."""
    package = sys.modules.get(__name__.split(".")[0])
    return str(getattr(package, "__version__", "unknown"))


def writable_path(path: str | os.PathLike, what: str = "output", *,
                  in_place: bool = False) -> Path:
    """Check, before any work, that a file can be written at ``path``; return it as a Path.

    Refused (:class:`QSNError` naming ``what`` and the path): a directory, a missing parent
    directory, a parent that is not a directory, a place this user cannot write.  With
    ``in_place=False`` (a file replaced atomically) the directory must be writable; with
    ``in_place=True`` (a file appended to, like a checkpoint) an existing file must be writable
    itself, a new one needs a writable directory.  Nothing is created.

    Examples
    --------
    >>> writable_path(".", "--out")
    Traceback (most recent call last):
    ...
    qsn_qutip.errors.QSNError: --out: . is a directory, not a file
    """
    out = Path(path)
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise QSNError(f"{what}: {path} is a directory, not a file")
    if not parent.exists():
        raise QSNError(f"{what}: {path}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise QSNError(f"{what}: {path}: {parent} is not a directory")
    if in_place and out.exists():
        if not os.access(out, os.W_OK):
            raise QSNError(f"{what}: {path}: no permission to write this file")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise QSNError(f"{what}: {path}: no permission to write in {parent}")
    return out


def fsync_directory(directory: str | os.PathLike) -> None:
    """Flush a directory's entries (a new or renamed file) to the disk, where the platform
    allows it (POSIX; file systems that refuse are ignored)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:          # e.g. EINVAL: this file system does not sync directories
        pass
    finally:
        os.close(fd)


def _temporary_pattern(path: Path) -> re.Pattern:
    return re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:          # EPERM: it exists, and belongs to someone else
        return True
    return True


def _remove_stale_temporaries(path: Path) -> None:
    """Remove temporaries of ``path`` left by killed writes: only names of the exact pattern
    of this target, written by another process that no longer runs, and older than this one."""
    pattern = _temporary_pattern(path)
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or int(match.group(1)) == os.getpid() or _alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and \
                    entry.stat(follow_symlinks=False).st_mtime < _STARTED:
                os.unlink(entry.path)


def _sync_file(tmp: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    The block writes the whole file to the yielded path **and closes it**; then the temporary
    is synced to the disk (:func:`os.fsync`), renamed onto ``path`` (:func:`os.replace`) and
    the directory synced.  If the block raises, the temporary is removed and ``path`` is left
    as it was.  Stale temporaries of ``path`` from killed writes (``.NAME.PID.XXXXXXXX.tmp`` of
    a process that is gone, older than this one) are removed first.

    Parameters
    ----------
    path : path-like
        The final file name (its directory is created when missing).

    Yields
    ------
    pathlib.Path
        Where to write (not yet created).

    Raises
    ------
    QSNError
        When an :class:`OSError` (disk full, no permission, ...) stops the write, with the
        ``OSError`` as its ``__cause__``; ``path`` is unchanged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text(), [p.name for p in out.parent.iterdir()]
    ('done', ['a.txt'])
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise write_error(path, err) from err
    _remove_stale_temporaries(path)
    # not tempfile.mkstemp: its files are private (0600); the writer creates this one with
    # the usual permissions (0666 less the umask)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        yield Path(tmp)
        _sync_file(tmp)
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise write_error(path, err) from err
        raise
    fsync_directory(path.parent)


def json_ready(value: Any, *, finite: bool = True) -> Any:
    """A copy of ``value`` that :func:`json.dumps` writes as strict JSON.

    numpy scalars and arrays become Python numbers and (nested) lists, mappings become dicts
    with string keys, tuples become lists.  With ``finite=True`` (the default) NaN and
    infinities become ``None`` (``null``): callers that need to say *why* a number is missing
    put the reason in a field of its own.

    Examples
    --------
    >>> import numpy as np
    >>> json_ready({"F": np.eye(2), "bound": np.float64(np.inf), 3: (1, np.int64(2))})
    {'F': [[1.0, 0.0], [0.0, 1.0]], 'bound': None, '3': [1, 2]}
    """
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist(), finite=finite)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and finite and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): json_ready(v, finite=finite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v, finite=finite) for v in value]
    return value


def number_text(value: Any, digits: int, *,
                infinity: tuple[str, str] = ("inf", "-inf")) -> str | None:
    """An int exactly, a float to ``digits`` significant digits (``nan`` and the two
    ``infinity`` spellings for the others), or None when ``value`` is not a number (bools are
    the caller's: tables and CSV files spell them differently).

    Examples
    --------
    >>> [number_text(x, 4) for x in (2 / 3, np.int64(3), -np.inf, "a")]
    ['0.6667', '3', '-inf', None]
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if not isinstance(value, (float, np.floating)):
        return None
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return infinity[0] if value > 0 else infinity[1]
    return f"{value:.{digits}g}"


def html_cell(value: Any, digits: int = 6) -> str:
    """One cell of an HTML table, escaped: numbers to ``digits`` significant digits, ``∞``,
    ``–`` for ``None``, lists joined with ``+`` (an allocation).

    Examples
    --------
    >>> [html_cell(x) for x in (0.03125, float("inf"), None, [4, 4], "a<b", True, 3)]
    ['0.03125', '∞', '–', '4+4', 'a&lt;b', 'yes', '3']
    """
    import html
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    text = number_text(value, digits, infinity=("∞", "−∞"))
    if text is not None:
        return text
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, np.integer)) for v in value):
        return "+".join(str(int(v)) for v in value)
    return html.escape(str(value))


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str = "",
               notes: Sequence[str] = ()) -> str:
    """A compact HTML table for Jupyter (``_repr_html_`` of the result classes).

    Parameters
    ----------
    header : sequence of str
    rows : sequence of sequences
        Cells formatted by :func:`html_cell`.
    caption : str
        Bold line above the table (escaped).
    notes : sequence of str
        Lines under the table (escaped).

    Examples
    --------
    >>> print(html_table(["probe", "bound"], [["ghz", 0.03125]], caption="task"))
    <div><b>task</b><table><thead><tr><th>probe</th><th>bound</th></tr></thead><tbody><tr><td>ghz</td><td>0.03125</td></tr></tbody></table></div>
    """
    import html
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html_cell(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    top = f"<b>{html.escape(caption)}</b>" if caption else ""
    bottom = "".join(f"<br><small>{html.escape(n)}</small>" for n in notes if n)
    return (f"<div>{top}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"{bottom}</div>")
