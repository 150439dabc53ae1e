r"""Writing figures and their numbers: images and CSV files, each written atomically.

Every file goes to a temporary file in the target directory and is moved into place with
:func:`os.replace` (:func:`qsn_qutip._io.atomic_path`), so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..errors import QSNError
from .._io import atomic_path
from .style import STYLE

__all__ = ["FORMATS", "write_csv", "save_figure", "csv_cell"]

#: image formats :func:`save_figure` writes
FORMATS = ("png", "pdf", "svg")


def csv_cell(value: Any) -> str:
    """One CSV cell: shortest round-trip repr for floats, ``nan`` / ``inf`` spelled out.

    Examples
    --------
    >>> [csv_cell(x) for x in (True, np.int64(3), 0.1, float("nan"), float("-inf"), None, "a")]
    ['true', '3', '0.1', 'nan', '-inf', '', 'a']
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return "nan" if math.isnan(value) else repr(value)
    return "" if value is None else str(value)


def write_csv(path: str | os.PathLike, columns: Mapping[str, Sequence[Any]], *,
              comments: Sequence[str] = ()) -> Path:
    """Write equal-length columns as a CSV file, atomically.

    ``#`` comment lines (what the figure shows, closed forms) come first, then one header row.

    Parameters
    ----------
    path : path-like
    columns : mapping of str to sequence
        Column name -> values, all of the same length.
    comments : sequence of str
        Lines written first, each prefixed with ``"# "``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    QSNError
        When the columns differ in length (nothing is written).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_csv(out, {"N": [2, 4], "bound": [0.5, float("inf")]})
    >>> out.read_text().splitlines()
    ['N,bound', '2,0.5', '4,inf']
    """
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise QSNError(f"CSV columns must have equal lengths, got {lengths}")
    rows = zip(*columns.values())
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            for line in comments:
                handle.write(f"# {line}\n")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(list(columns))
            writer.writerows([csv_cell(x) for x in row] for row in rows)
    return Path(path)


def save_figure(fig: Figure, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Save ``fig`` atomically (temporary file in the same directory + :func:`os.replace`).

    Parameters
    ----------
    fig : Figure
    path : path-like
    fmt : {"png", "pdf", "svg"}, optional
        Default: the suffix of ``path``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    QSNError
        For another format (nothing is written).
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise QSNError(f"format must be one of {list(FORMATS)}, got {fmt!r}")
    with matplotlib.rc_context(STYLE), atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=STYLE["savefig.dpi"],
                    metadata={"Software": "qsn_qutip"} if fmt == "png" else None)
    return path
