"""The table a sweep returns: one row per grid point, written atomically as CSV."""

from __future__ import annotations

import csv
import dataclasses
import importlib
import json
import os
from pathlib import Path

from .._io import atomic_path, html_table
from ..errors import QSNError

__all__ = ["SweepResult", "ERROR"]

#: the column that holds a failed point's error message
ERROR = "error"


@dataclasses.dataclass
class SweepResult:
    """The rows of a sweep, in grid order: the axes, then the results (or ``error``).

    Attributes
    ----------
    rows : list of dict
    axes : list of str
        The names of the grid's axes (the first columns).
    """

    rows: list[dict]
    axes: list[str]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def columns(self) -> list[str]:
        """Axis names, then every result name in order of appearance."""
        names = list(self.axes)
        for row in self.rows:
            names.extend(k for k in row if k not in names)
        return names

    @property
    def failed(self) -> list[dict]:
        """The rows whose function raised (with the error message in ``row["error"]``)."""
        return [row for row in self.rows if row.get(ERROR)]

    def column(self, name: str) -> list:
        """One column (``None`` where a row lacks it)."""
        return [row.get(name) for row in self.rows]

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the table as CSV, atomically (temporary file, :func:`os.fsync`, rename).

        Raises
        ------
        QSNError
            When the file cannot be written (disk full, no permission); a previous file at
            ``path`` is left as it was.
        """
        columns = self.columns
        with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in self.rows:
                writer.writerow(["" if row.get(c) is None else
                                 json.dumps(row[c]) if isinstance(row[c], (list, dict))
                                 else row[c] for c in columns])
        return Path(path)

    def _repr_html_(self, max_rows: int = 20) -> str:
        """The table for Jupyter: the first ``max_rows`` rows, long notes cut short."""
        columns = self.columns
        rows = [[_short(row.get(c)) for c in columns] for row in self.rows[:max_rows]]
        more = len(self.rows) - max_rows
        failed = len(self.failed)
        return html_table(columns, rows, caption=f"SweepResult: {len(self.rows)} points over "
                          f"{', '.join(self.axes)}", notes=[
                              f"... {more} more rows (to_csv, to_pandas)" if more > 0 else "",
                              f"{failed} points failed (the error column)" if failed else ""])

    def plot(self, probes: list[str] | None = None, **kwargs):
        """Every probe's bound against the first axis, log scale; returns ``(fig, ax)``.

        The drawing is :func:`qsn_qutip.figures.sweep_plot.plot` (keywords ``probes``,
        ``fig_ax``, ``title``, ``quantity``, ``repeats``, ``style="paper"``).  The figures sit
        above this layer, so the module is looked up when called (as pandas finds its
        plotting backend): importing :mod:`qsn_qutip.sweep` never loads matplotlib.
        """
        module = importlib.import_module("..figures.sweep_plot", __package__)
        return module.plot(self, probes, **kwargs)

    def to_pandas(self):
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas
        except ImportError:
            raise QSNError("to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame(self.rows, columns=self.columns)


def _short(value, limit: int = 60):
    """A cell of the HTML table: long text cut to ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit - 1] + "…"
    return value
