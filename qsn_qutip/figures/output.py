r"""Writing figures and their numbers: images and CSV files, each written atomically.

Every file goes to a temporary file in the target directory and is moved into place with
:func:`os.replace` (:func:`qsn_qutip._io.atomic_path`), so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..errors import QSNError
from .._io import atomic_path, number_text
from .style import STYLES

__all__ = ["FORMATS", "CSV_DIGITS", "write_csv", "save_figure", "csv_cell"]

#: image formats :func:`save_figure` writes
FORMATS = ("png", "pdf", "svg")

#: significant digits of the numbers in a figure's CSV file: far above what a figure shows,
#: far below the last bits that round-off (another BLAS, another summation order) changes, so
#: that regenerating the gallery rewrites the same files
CSV_DIGITS = 8


def csv_cell(value: Any, digits: int = CSV_DIGITS) -> str:
    """One CSV cell: floats to ``digits`` significant digits, ``nan`` / ``inf`` spelled out.

    Examples
    --------
    >>> [csv_cell(x) for x in (True, np.int64(3), 0.1, float("nan"), float("-inf"), None, "a")]
    ['true', '3', '0.1', 'nan', '-inf', '', 'a']
    >>> csv_cell(0.12499999999999997), csv_cell(2 / 3), csv_cell(-0.0)
    ('0.125', '0.66666667', '0')
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    text = number_text(value, digits)
    if text is not None:
        return "0" if text in ("-0", "0") else text
    return "" if value is None else str(value)


def write_csv(path: str | os.PathLike, columns: Mapping[str, Sequence[Any]], *,
              comments: Sequence[str] = (), digits: int = CSV_DIGITS) -> Path:
    """Write equal-length columns as a CSV file, atomically.

    ``#`` comment lines (what the figure shows, closed forms) come first, then one header row;
    floats are written to ``digits`` significant digits (:func:`csv_cell`), stated in the last
    comment line.

    Parameters
    ----------
    path : path-like
    columns : mapping of str to sequence
        Column name -> values, all of the same length.
    comments : sequence of str
        Lines written first, each prefixed with ``"# "``.
    digits : int
        Significant digits of the floats (default :data:`CSV_DIGITS`).

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
    ['# numbers to 8 significant digits', 'N,bound', '2,0.5', '4,inf']
    """
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise QSNError(f"CSV columns must have equal lengths, got {lengths}")
    rows = zip(*columns.values())
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            for line in [*comments, f"numbers to {digits} significant digits"]:
                handle.write(f"# {line}\n")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(list(columns))
            writer.writerows([csv_cell(x, digits) for x in row] for row in rows)
    return Path(path)


def save_figure(fig: Figure, path: str | os.PathLike, fmt: str | None = None,
                style: str = "gallery") -> Path:
    """Save ``fig`` atomically (temporary file in the same directory + :func:`os.replace`).

    The files are reproducible: no creation date in PDF and SVG, fixed SVG ids, so that
    saving the same figure again writes the same bytes.

    Parameters
    ----------
    fig : Figure
    path : path-like
    fmt : {"png", "pdf", "svg"}, optional
        Default: the suffix of ``path``.
    style : {"gallery", "paper"}
        The rc parameters of the file: resolution of PNG, fonts embedded as TrueType in the
        paper style's PDF.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    QSNError
        For another format or style (nothing is written).
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise QSNError(f"format must be one of {list(FORMATS)}, got {fmt!r}")
    if style not in STYLES:
        raise QSNError(f"style must be one of {list(STYLES)}, got {style!r}")
    rc = STYLES[style]
    metadata = {"png": {"Software": "qsn_qutip"}, "pdf": {"Creator": "qsn_qutip",
                                                           "CreationDate": None},
                "svg": {"Creator": "qsn_qutip", "Date": None}}[fmt]
    with matplotlib.rc_context(rc), atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=rc["savefig.dpi"], metadata=metadata)
    return path
