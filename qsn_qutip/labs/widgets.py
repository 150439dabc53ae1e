"""Sliders where a student wants to play (N, gamma t, the direction v), and a static figure
where ipywidgets is not installed.

ipywidgets is optional (``pip install -e '.[widgets]'``, or the ``lab`` extra with JupyterLab):
:func:`sliders` gives ``ipywidgets.interactive`` controls for the arguments of a plotting
function when ipywidgets imports and the code runs in a Jupyter kernel, and otherwise calls
the function once with its default arguments, so the cell still shows the figure.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["sliders", "widgets_available"]


def _ipywidgets():
    """The ipywidgets module when it imports and a Jupyter kernel can show widgets; else None."""
    try:
        import ipywidgets
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return ipywidgets if shell is not None and getattr(shell, "kernel", None) else None


def widgets_available() -> bool:
    """True when :func:`sliders` will show sliders (ipywidgets imports, inside a kernel)."""
    return _ipywidgets() is not None


def sliders(function: Callable, /, **controls):
    """Interactive controls for ``function``'s arguments, or its static output without them.

    Parameters
    ----------
    function : callable
        Draws a figure from keyword arguments that all have defaults (with pyplot, ending in
        ``plt.show()``, or returning a matplotlib figure).
    **controls
        One entry per argument, as for :func:`ipywidgets.interact`: ``(min, max, step)`` for a
        slider (integers give an integer slider), a list for a drop-down.  The slider starts at
        the argument's default.

    Returns
    -------
    ipywidgets.interactive or the function's return value
        The widget (displayed by Jupyter as the cell's result), or, without ipywidgets or
        outside a kernel, what ``function()`` returns with its defaults (its figure is shown
        as usual).

    Examples
    --------
    >>> def area(width=2, height=3):
    ...     return width * height
    >>> sliders(area, width=(1, 10, 1))        # outside Jupyter: the static call
    6
    """
    widgets = _ipywidgets()
    if widgets is None:
        return function()
    return widgets.interactive(function, **controls)
