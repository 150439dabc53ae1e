"""The paper-style figure gallery: one module per figure, each ``compute`` -> ``to_csv`` / ``plot``.

Every module in :data:`FIGURES` exposes

* ``compute(...) -> data``: a small dataclass of numpy arrays, with fast defaults;
* ``to_csv(data, path)``: the numbers behind the figure (``#`` comment lines first);
* ``plot(data, fig_ax=None, style="gallery", width=None) -> (fig, ax)``: styled with
  :func:`matplotlib.rc_context` on an Agg canvas (``ax`` is an array of Axes for the
  figures with several panels); ``style="paper"`` draws it for a journal (:mod:`.style`:
  a column wide, 8 pt, panel labels, no titles, colour-blind-safe colours).

:func:`render_all` writes ``<name>.<fmt>`` and ``<name>.csv`` for each (``qsn figures``);
the numbers are seeded and the CSV files rounded (:data:`.output.CSV_DIGITS`), so that
regenerating the gallery rewrites the same files.
A new figure is one module here and one line in :data:`FIGURES`; the public helpers it uses
are :mod:`.style` (rc style, axes, log ticks, colours), :mod:`.output` (atomic image and CSV
writers) and :mod:`.helpers` (random probes, their QCRB, the theorem figures' scatter).

Examples
--------
>>> from qsn_qutip.figures import FIGURES
>>> data = FIGURES["gradient"].compute(n_values=(2, 4))
>>> fig, axes = FIGURES["gradient"].plot(data)
>>> fig, axes = FIGURES["gradient"].plot(data, style="paper")      # 7 in wide, (a) and (b)
>>> [a.get_title(loc="left") for a in axes]
['(a)', '(b)']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from ..errors import QSNError
from . import gain_map, global_functions, gradient, multiphase, network, theorem1, theorem2
from . import dipole_map, gradient_noise, gradiometer, optimal_gain, saturation
from .output import FORMATS, save_figure
from .style import STYLES, WIDTHS

__all__ = ["FIGURES", "render", "render_all"]

#: figure name -> module (``compute``, ``to_csv``, ``plot``), in gallery order
FIGURES: dict[str, ModuleType] = {
    "network": network,
    "theorem1": theorem1,
    "theorem2": theorem2,
    "global-functions": global_functions,
    "gain-map": gain_map,
    "gradient": gradient,
    "gradient-noise": gradient_noise,
    "optimal-gain": optimal_gain,
    "multiphase": multiphase,
    "saturation": saturation,
    "gradiometer": gradiometer,
    "dipole-map": dipole_map,
}


def _names(only: str | Sequence[str] | None) -> list[str]:
    """The requested figure names, checked against :data:`FIGURES`."""
    if only is None:
        return list(FIGURES)
    names = [only] if isinstance(only, str) else list(only)
    unknown = [name for name in names if name not in FIGURES]
    if unknown or not names:
        raise QSNError(f"unknown figure {', '.join(map(repr, unknown)) or '(none given)'}; "
                       f"figures are: {', '.join(FIGURES)}")
    return list(dict.fromkeys(names))


def _checked(fmt: str | None, style: str, width: str | None) -> str:
    """The image format (default: PDF for the paper style, PNG for the gallery), checked with
    the style and the width before anything is computed."""
    if style not in STYLES:
        raise QSNError(f"style must be one of {list(STYLES)}, got {style!r}")
    if width is not None and (style != "paper" or width not in WIDTHS):
        raise QSNError(f"width must be one of {list(WIDTHS)} with style 'paper', got "
                       f"{width!r} (style {style!r})")
    fmt = str(fmt or ("pdf" if style == "paper" else "png")).lower()
    if fmt not in FORMATS:
        raise QSNError(f"format must be one of {list(FORMATS)}, got {fmt!r}")
    return fmt


def render(name: str, out_dir: str | os.PathLike, fmt: str | None = None,
           style: str = "gallery", width: str | None = None) -> tuple[Path, Path]:
    """Compute one figure with its defaults and write ``<name>.<fmt>`` and ``<name>.csv``.

    Parameters
    ----------
    name : str
        A key of :data:`FIGURES`.
    out_dir : path-like
        Created when missing.
    fmt : {"png", "pdf", "svg"}, optional
        Default ``"png"``, or ``"pdf"`` (vector) for the paper style.
    style : {"gallery", "paper"}
        The README's look, or a journal's (:mod:`.style`).
    width : {"single", "double"}, optional
        Paper style: 3.4 in or 7 in wide (default: single for one panel, double for more).

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The image and the CSV file.
    """
    (name,) = _names(name)
    fmt = _checked(fmt, style, width)
    out = Path(out_dir)
    module = FIGURES[name]
    data = module.compute()
    csv_path = out / f"{name}.csv"
    module.to_csv(data, csv_path)
    fig, _ = module.plot(data, style=style, width=width)
    return save_figure(fig, out / f"{name}.{fmt}", fmt, style=style), csv_path


def render_all(out_dir: str | os.PathLike, only: str | Sequence[str] | None = None,
               fmt: str | None = None, style: str = "gallery",
               width: str | None = None) -> list[Path]:
    """Render every figure (or those named in ``only``) into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Created when missing.
    only : str or sequence of str, optional
        Figure names (keys of :data:`FIGURES`); default all.
    fmt : {"png", "pdf", "svg"}, optional
        Image format (default ``"png"``, ``"pdf"`` for the paper style); a CSV file is
        written beside every image.
    style : {"gallery", "paper"}
    width : {"single", "double"}, optional
        Paper style only (:func:`render`).

    Returns
    -------
    list of pathlib.Path
        The files written, image then CSV for each figure.

    Raises
    ------
    QSNError
        For an unknown figure name (the message lists the names), format, style or width,
        before anything is written.
    """
    names = _names(only)
    fmt = _checked(fmt, style, width)
    written: list[Path] = []
    for name in names:
        written.extend(render(name, out_dir, fmt, style, width))
    return written
