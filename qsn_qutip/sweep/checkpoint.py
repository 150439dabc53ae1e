"""Sweep checkpoints: a JSON-lines file of finished points that a rerun resumes from.

The file
--------
The first line is a header: ``{"qsn_sweep_checkpoint": 2, "fingerprint": {...}, "points": P}``;
every further line records one finished point, ``{"key": POINT, "result": {...}}``, written in
one piece, flushed and synced (:func:`os.fsync`) before the next.  A crash can at worst leave
one incomplete last line, which a rerun drops.

What must match to resume
-------------------------
The fingerprint holds a digest of everything that determines the numbers, and a rerun resumes
only when every part matches (otherwise it refuses, naming the file and the parts that
differ; the two sweeps are never mixed):

* ``function``: the function's module and qualified name (of the function inside a
  :func:`functools.partial`);
* ``arguments``: the arguments a :func:`functools.partial` binds (JSON, or their pickle when
  they are not JSON), unless a ``fingerprint`` is given;
* ``key``: the caller's ``fingerprint`` (any JSON-serialisable value: a model file's hash,
  parameters captured in a closure, ...): what the sweep cannot see inside the function;
* ``grid``: every point, in order;
* ``tolerances``: :data:`qsn_qutip.options.tolerances` at the time of the sweep;
* ``version``: the version of qsn_qutip.

A sweep that cannot see what its function depends on (a closure, a global, a file the
function reads) cannot fingerprint it: pass ``fingerprint=`` for it.

Safety
------
A file that is not a checkpoint (its first line is not a checkpoint header) is refused and
never modified; the torn-last-line repair applies to real checkpoints only, after the
fingerprint matched.  While a sweep uses a checkpoint it holds an exclusive lock on it
(:func:`fcntl.flock`): a second sweep on the same file is refused at once.  A write that fails
(disk full) is undone, so the file keeps every point recorded before, and the sweep stops with
a :class:`~qsn_qutip.errors.QSNError`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import pickle
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .._io import fsync_directory, json_ready, package_version, write_error
from ..errors import QSNError
from ..options import tolerances

try:                         # POSIX; elsewhere checkpoints are not locked
    import fcntl
except ImportError:          # pragma: no cover
    fcntl = None

__all__ = ["Checkpoint", "fingerprint_parts", "function_name", "point_key", "FORMAT"]

MAGIC = "qsn_sweep_checkpoint"
FORMAT = 2
_PREFIX = f'{{"{MAGIC}": '.encode()
_HEAD_BYTES = 1 << 16
_LABELS = {"function": "the function", "arguments": "the function's bound arguments",
           "key": "the fingerprint (the model or parameters)", "grid": "the grid",
           "tolerances": "the tolerances", "version": "the qsn_qutip version"}


def point_key(point: Mapping[str, Any]) -> str:
    """The canonical text of a grid point (its key in a checkpoint).

    Examples
    --------
    >>> point_key({"n": 2, "a": 0.5})
    '{"a": 0.5, "n": 2}'
    """
    return json.dumps(json_ready(point, finite=False), sort_keys=True)


def function_name(function: Callable) -> str:
    """``module.qualname`` of ``function`` (of the function inside a :func:`functools.partial`;
    of the class of a callable object).

    Examples
    --------
    >>> import functools, math
    >>> function_name(functools.partial(math.pow, 2))
    'math.pow'
    """
    while isinstance(function, functools.partial):
        function = function.func
    module = getattr(function, "__module__", None) or type(function).__module__
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}.{name}"


def _digest(value: Any, what: str) -> str:
    try:
        data = json.dumps(json_ready(value, finite=False), sort_keys=True).encode()
    except (TypeError, ValueError):
        try:
            data = pickle.dumps(value, protocol=4)
        except Exception as err:
            raise QSNError(f"{what} cannot be fingerprinted for the checkpoint ({err}): pass "
                           f"fingerprint= with a JSON value that identifies it") from None
    return hashlib.sha256(data).hexdigest()[:16]


def _bound_arguments(function: Callable) -> tuple[list, dict]:
    args: list = []
    keywords: dict = {}
    while isinstance(function, functools.partial):
        args = [*function.args, *args]
        keywords = {**function.keywords, **keywords}
        function = function.func
    return args, keywords


def _version() -> str:
    return package_version()


def fingerprint_parts(function: Callable, points: Iterable[Mapping[str, Any]],
                      fingerprint: Any = None) -> dict[str, str]:
    """What determines the numbers of ``sweep(function, points)``, part by part (see the
    module docstring); short digests except the function's name and the package version.

    Examples
    --------
    >>> parts = fingerprint_parts(abs, [{"x": 1}], fingerprint={"model": "abc"})
    >>> sorted(parts), parts["function"]
    (['function', 'grid', 'key', 'tolerances', 'version'], 'builtins.abs')
    """
    parts = {"function": function_name(function)}
    if fingerprint is not None:
        parts["key"] = _digest(fingerprint, "fingerprint")
    else:
        args, keywords = _bound_arguments(function)
        if args or keywords:
            parts["arguments"] = _digest([args, keywords], "function: the arguments bound by "
                                                           "functools.partial")
    parts["grid"] = _digest([point_key(p) for p in points], "grid")
    parts["tolerances"] = _digest(dataclasses.asdict(tolerances), "tolerances")
    parts["version"] = _version()
    return parts


def _differences(old: Mapping, new: Mapping) -> list[str]:
    out = []
    for name in dict.fromkeys([*new, *old]):
        if old.get(name) != new.get(name):
            label = _LABELS.get(name, name)
            if name in ("function", "version"):
                label += f" (was {old.get(name)}, now {new.get(name)})"
            out.append(label)
    return out


def _not_a_checkpoint(path: Path, why: str) -> QSNError:
    return QSNError(f"checkpoint {path} is not a qsn sweep checkpoint ({why}); it was left "
                    f"untouched: choose another file")


def _torn_header(raw: bytes) -> bool:
    """An interrupted first write: part of a header line and nothing else."""
    return b"\n" not in raw and (raw.startswith(_PREFIX) or _PREFIX.startswith(raw))


def _header(path: Path, raw: bytes) -> dict | None:
    """The header of the file whose content starts with ``raw``; None for a new (empty or
    torn-header) file; QSNError for anything else."""
    if not raw or _torn_header(raw):
        return None
    first = raw.partition(b"\n")[0]
    try:
        header = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
        header = None
    if isinstance(header, dict) and isinstance(header.get("sweep"), str) and len(header) == 1:
        raise QSNError(f"checkpoint {path} was written by an older qsn_qutip, whose "
                       f"fingerprint could not tell models apart: remove it and rerun")
    if not isinstance(header, dict) or MAGIC not in header:
        raise _not_a_checkpoint(path, "its first line is not a checkpoint header")
    if header[MAGIC] != FORMAT or not isinstance(header.get("fingerprint"), dict):
        raise QSNError(f"checkpoint {path} has format {header[MAGIC]!r}, this qsn_qutip "
                       f"reads format {FORMAT}: remove it and rerun")
    return header


def _record(path: Path, number: int, line: bytes, keys: set[str]) -> tuple[str, dict]:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        record, why = None, "not JSON"
    else:
        why = "expected {\"key\": ..., \"result\": {...}}"
    if isinstance(record, dict) and isinstance(record.get("key"), str) \
            and isinstance(record.get("result"), dict):
        if record["key"] in keys:
            return record["key"], record["result"]
        why = f"the point {record['key']} is not in this sweep's grid"
    raise QSNError(f"checkpoint {path}, line {number}: not a recorded point ({why}); the file "
                   f"was edited or damaged: remove that line or the file and rerun")


class Checkpoint:
    """An open, locked checkpoint of one sweep (see the module docstring).

    Parameters
    ----------
    path : path-like
        The checkpoint file (created when missing; its directory must exist).
    parts : dict
        The sweep's fingerprint (:func:`fingerprint_parts`).
    keys : set of str
        The :func:`point_key` of every point of the grid.

    Attributes
    ----------
    done : dict
        Results already recorded, by point key.
    """

    def __init__(self, path: str | os.PathLike, parts: Mapping[str, str], keys: set[str]):
        self.path = Path(path)
        self.done: dict[str, dict] = {}
        self._file = None
        self._precheck(parts)
        self._file = self._open_locked()
        try:
            self._load(parts, keys)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "Checkpoint":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the lock and close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _precheck(self, parts: Mapping[str, str]) -> None:
        """Refuse, reading only, what is not this sweep's checkpoint (before opening the file
        for writing, which a read-only model file would refuse with a less useful message)."""
        path = self.path
        if path.is_dir():
            raise QSNError(f"checkpoint {path} is a directory, not a file")
        if not path.exists():
            parent = path.parent if str(path.parent) else Path(".")
            if not parent.is_dir():
                raise QSNError(f"checkpoint {path}: the directory {parent} does not exist")
            return
        try:
            with open(path, "rb") as handle:
                raw = handle.read(_HEAD_BYTES)
        except OSError as err:
            raise write_error(path, err, "checkpoint: cannot read") from None
        header = _header(path, raw)
        if header is not None:
            self._compare(header, parts)

    def _compare(self, header: dict, parts: Mapping[str, str]) -> None:
        differ = _differences(header["fingerprint"], parts)
        if differ:
            raise QSNError(f"checkpoint {self.path} belongs to another sweep "
                           f"({'; '.join(differ)} differ): remove it or choose another file")

    def _open_locked(self):
        try:
            handle = open(self.path, "a+b", buffering=0)
        except OSError as err:
            raise write_error(self.path, err, "checkpoint: cannot open") from None
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise QSNError(f"checkpoint {self.path} is in use by another sweep that is "
                               f"still running (it holds the file's lock): wait for it to "
                               f"finish, or choose another file") from None
            except OSError as err:
                handle.close()
                raise write_error(self.path, err, "checkpoint: cannot lock") from None
        return handle

    def _load(self, parts: Mapping[str, str], keys: set[str]) -> None:
        """Read the file under the lock: start it, or check it and read its points."""
        self._file.seek(0)
        raw = self._file.readall()
        header = _header(self.path, raw)
        if header is None:                     # a new file (or a torn header: no points)
            self._file.truncate(0)
            line = {MAGIC: FORMAT, "fingerprint": dict(parts), "points": len(keys)}
            self._write((json.dumps(line) + "\n").encode(), 0)
            fsync_directory(self.path.parent if str(self.path.parent) else ".")
            return
        self._compare(header, parts)
        lines = raw.split(b"\n")
        complete, tail = lines[1:-1], lines[-1]
        for number, line in enumerate(complete, start=2):
            if line.strip():
                key, result = _record(self.path, number, line, keys)
                self.done[key] = result
        if tail:                               # an interrupted write: drop the torn line
            self._file.truncate(len(raw) - len(tail))

    def _write(self, data: bytes, size: int) -> None:
        """Append ``data`` and sync; on failure cut the file back to ``size`` bytes."""
        try:
            view = memoryview(data)
            while view:
                view = view[self._file.write(view):]
            os.fsync(self._file.fileno())
        except OSError as err:
            try:
                self._file.truncate(size)
                os.fsync(self._file.fileno())
            except OSError:
                pass
            count = len(self.done)
            kept = (f"the checkpoint keeps the {count} point{'s' * (count != 1)} recorded "
                    f"before" if size else "nothing was recorded")
            raise QSNError(f"{write_error(self.path, err, 'checkpoint: cannot write')}; "
                           f"{kept}: rerun to resume") from err

    def record(self, point: Mapping[str, Any], result: dict) -> None:
        """Append one finished point (written whole and synced before this returns)."""
        key = point_key(point)
        try:
            line = json.dumps({"key": key, "result": result}, allow_nan=True) + "\n"
        except (TypeError, ValueError) as err:
            raise QSNError(f"function returned a result a checkpoint cannot store at {key} "
                           f"({err}): return numbers, strings, lists or dicts") from None
        self._write(line.encode(), os.fstat(self._file.fileno()).st_size)
        self.done[key] = result
