"""Result files: atomic writes (a reader never sees half a file) and JSON-ready values."""

from __future__ import annotations

import contextlib
import math
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["atomic_path", "json_ready"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    Parameters
    ----------
    path : path-like
        The final file name (its directory is created when missing).

    Yields
    ------
    pathlib.Path
        Where to write (not yet created); removed if the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # not tempfile.mkstemp: its files are private (0600); the writer creates this one with
    # the usual permissions (0666 less the umask)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
