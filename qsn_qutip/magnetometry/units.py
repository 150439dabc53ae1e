r"""Unit strings and the printing of physical quantities.

Every number of :mod:`qsn_qutip.magnetometry` is in SI: tesla (``"T"``), metres (``"m"``),
seconds (``"s"``), ampere square metres (``"A m^2"``, a magnetic moment) and their quotients
(``"T/m"``, ``"T/m^2"``).  A sensitivity is a standard deviation times the square root of the
time it took, so its unit is the quantity's unit over :math:`\sqrt{\mathrm{Hz}}`:
:func:`per_root_hz`.  JSON documents carry these strings next to the numbers; tables print
the numbers with an SI prefix (:func:`format_quantity`).
"""

from __future__ import annotations

import math

__all__ = ["TESLA", "METRE", "SECOND", "MOMENT", "RATE", "per_root_hz", "derivative_unit",
           "format_quantity"]

TESLA = "T"
METRE = "m"
SECOND = "s"
#: a magnetic dipole moment
MOMENT = "A m^2"
#: a decoherence rate
RATE = "s^-1"

#: the prefixes :func:`format_quantity` uses, by power of ten
_PREFIXES = {-18: "a", -15: "f", -12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M",
             9: "G"}
#: units whose leading symbol takes an SI prefix (a moment is printed in powers of ten)
_PREFIXED = ("T", "m", "s")


def per_root_hz(unit: str) -> str:
    """The unit of a sensitivity in ``unit``: ``unit + "/sqrt(Hz)"``.

    Examples
    --------
    >>> per_root_hz("T/m"), per_root_hz("A m^2")
    ('T/m/sqrt(Hz)', 'A m^2/sqrt(Hz)')
    """
    return f"{unit}/sqrt(Hz)"


def derivative_unit(order: int) -> str:
    """The unit of an order-``order`` spatial derivative of a field: T, T/m, T/m^2.

    Examples
    --------
    >>> [derivative_unit(k) for k in range(3)]
    ['T', 'T/m', 'T/m^2']
    """
    return {0: TESLA, 1: f"{TESLA}/{METRE}"}.get(order, f"{TESLA}/{METRE}^{order}")


def format_quantity(value: float | None, unit: str, digits: int = 4) -> str:
    """``value`` with ``unit`` for a table: an SI prefix on tesla, metres and seconds.

    ``None`` prints as ``n/a`` and infinity as ``inf`` (no information).

    Examples
    --------
    >>> format_quantity(1.2427e-11, "T/sqrt(Hz)")
    '12.43 pT/sqrt(Hz)'
    >>> format_quantity(2.5e-7, "s"), format_quantity(3.0e-3, "m")
    ('250 ns', '3 mm')
    >>> format_quantity(1.5e-9, "A m^2"), format_quantity(float("inf"), "T")
    ('1.5e-09 A m^2', 'inf T')
    """
    if value is None:
        return "n/a"
    value = float(value)
    if not math.isfinite(value):
        return f"{value} {unit}"
    if value == 0 or not unit.startswith(_PREFIXED) or unit[1:2] not in ("", "/"):
        return f"{value:.{digits}g} {unit}"            # "s^-1", "m^2": no prefix
    rounded = float(f"{value:.{digits}g}")
    power = 3 * math.floor(math.log10(abs(rounded)) / 3)
    power = min(max(power, min(_PREFIXES)), max(_PREFIXES))
    return f"{rounded / 10.0 ** power:.{digits}g} {_PREFIXES[power]}{unit}"
