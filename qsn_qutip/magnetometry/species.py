r"""Gyromagnetic ratios of the spins that sense a magnetic field, in rad s^-1 T^-1.

A spin precesses at :math:`\omega = \gamma B`, so a Ramsey sequence of duration t imprints the
phase :math:`\phi = \gamma tB` (:mod:`qsn_qutip.magnetometry`).  The table :data:`SPECIES`
holds common magnetometer species; a sensor may also be given any number ``gamma``.

Values and sources:

* ``"electron"``: :math:`\gamma_e = 1.76086\times10^{11}` — CODATA 2022 (the ``"electron
  gyromag. ratio"`` of :mod:`scipy.constants`);
* ``"proton"``: :math:`2.67522\times10^{8}` — CODATA 2022 (:mod:`scipy.constants`);
* ``"87Rb F=1"``, ``"87Rb F=2"``: :math:`\gamma = g_F\mu_B/\hbar` with the low-field
  hyperfine Landé factor

  .. math::
      g_F = g_J\frac{F(F+1)-I(I+1)+J(J+1)}{2F(F+1)}
          + g_I\frac{F(F+1)+I(I+1)-J(J+1)}{2F(F+1)},

  :math:`I = 3/2`, :math:`J = 1/2`, :math:`g_J = 2.00233113`, :math:`g_I = -0.0009951414`
  (D. A. Steck, *Rubidium 87 D Line Data*, rev. 2.3.3 (2024), Table 3): :math:`g_F =
  -0.50183` and :math:`0.49984`, :math:`|\gamma|/2\pi = 7.02` and :math:`7.00` GHz/T
  (0.70 MHz/G);
* ``"133Cs F=3"``, ``"133Cs F=4"``: the same formula with :math:`I = 7/2`,
  :math:`g_J = 2.00254032`, :math:`g_I = -0.00039885395` (D. A. Steck, *Cesium D Line
  Data*, rev. 2.3.3 (2024), Table 3): :math:`g_F = -0.25101` and :math:`0.24997`,
  :math:`\gamma/2\pi = 3.50` GHz/T for F = 4;
* ``"199Hg"``: the atomic (diamagnetically shielded) ratio used by the cohabiting
  magnetometers of neutron-EDM experiments, :math:`\gamma_n/\gamma_{Hg} = 3.8424574` (S. Afach
  et al., Phys. Lett. B 739, 128 (2014)) with the CODATA 2022 :math:`\gamma_n`:
  :math:`\gamma/2\pi = 7.590` MHz/T;
* ``"3He"``: the shielded helion ratio of CODATA 2022 (3He gas), negative moment:
  :math:`\gamma/2\pi = -32.434` MHz/T;
* ``"129Xe"``: the atomic (gas) value of 3He/129Xe comagnetometers,
  :math:`\gamma/2\pi = -11.777` MHz/T (C. Gemmel et al., Eur. Phys. J. D 57, 303 (2010));
  the bare nuclear moment gives -11.860 MHz/T (R. K. Harris et al., Pure Appl. Chem. 73,
  1795 (2001));
* ``"NV"``: the nitrogen-vacancy centre's electron spin (S = 1), :math:`g = 2.0028`
  (M. W. Doherty et al., Phys. Rep. 528, 1 (2013)): :math:`\gamma = g\mu_B/\hbar`,
  :math:`\gamma/2\pi = 28.03` GHz/T for the :math:`m_s = 0\leftrightarrow\pm1` transition.

Signs follow :math:`\gamma = g_F\mu_B/\hbar` for the alkali ground states and the sign of the
nuclear moment for nuclear spins; the electron and NV entries give the magnitude.  A sign only
reverses the phase, never a bound.

Examples
--------
>>> round(gyromagnetic_ratio("87Rb F=2") / (2e9 * 3.141592653589793), 4)    # GHz/T
6.9958
>>> gyromagnetic_ratio(1.0e7)
10000000.0
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers

import scipy.constants as constants

from ..errors import QSNError

__all__ = ["Species", "SPECIES", "species", "gyromagnetic_ratio", "hyperfine_g_factor",
           "GAMMA_UNIT"]

#: the unit of every gyromagnetic ratio
GAMMA_UNIT = "rad s^-1 T^-1"

_MU_B_OVER_HBAR = constants.physical_constants["Bohr magneton"][0] / constants.hbar


def hyperfine_g_factor(F: float, I: float, J: float, g_J: float, g_I: float) -> float:  # noqa: E741
    r"""The low-field hyperfine Landé factor :math:`g_F` (Breit-Rabi, first order in B).

    .. math::
        g_F = g_J\frac{F(F+1)-I(I+1)+J(J+1)}{2F(F+1)}
            + g_I\frac{F(F+1)+I(I+1)-J(J+1)}{2F(F+1)}

    (:math:`g_I` in units of the Bohr magneton, as in Steck's tables).

    Examples
    --------
    >>> round(hyperfine_g_factor(2, 1.5, 0.5, 2.00233113, -0.0009951414), 8)
    0.49983643
    """
    ff, ii, jj = F * (F + 1), I * (I + 1), J * (J + 1)
    return g_J * (ff - ii + jj) / (2 * ff) + g_I * (ff + ii - jj) / (2 * ff)


@dataclasses.dataclass(frozen=True)
class Species:
    """A spin species that senses a magnetic field.

    Attributes
    ----------
    name : str
        The key of :data:`SPECIES` (what a model file's ``species = "..."`` names).
    gamma : float
        The gyromagnetic ratio in rad s^-1 T^-1.
    description : str
    source : str
        Where the value comes from.
    """

    name: str
    gamma: float
    description: str
    source: str

    @property
    def frequency_per_tesla(self) -> float:
        r""":math:`\gamma/2\pi` in Hz/T."""
        return self.gamma / (2 * math.pi)


_RB87 = dict(I=1.5, J=0.5, g_J=2.00233113, g_I=-0.0009951414)
_CS133 = dict(I=3.5, J=0.5, g_J=2.00254032, g_I=-0.00039885395)
_STECK_RB = "g_F mu_B/hbar; g_J, g_I from D. A. Steck, Rubidium 87 D Line Data (2024)"
_STECK_CS = "g_F mu_B/hbar; g_J, g_I from D. A. Steck, Cesium D Line Data (2024)"
_GAMMA_N = constants.physical_constants["neutron gyromag. ratio"][0]

#: the built-in species, by model-file name
SPECIES: dict[str, Species] = {s.name: s for s in (
    Species("electron", constants.physical_constants["electron gyromag. ratio"][0],
            "free electron spin", "CODATA 2022 (scipy.constants)"),
    Species("proton", constants.physical_constants["proton gyromag. ratio"][0],
            "free proton", "CODATA 2022 (scipy.constants)"),
    Species("87Rb F=1", hyperfine_g_factor(1, **_RB87) * _MU_B_OVER_HBAR,
            "87Rb ground state, F = 1", _STECK_RB),
    Species("87Rb F=2", hyperfine_g_factor(2, **_RB87) * _MU_B_OVER_HBAR,
            "87Rb ground state, F = 2", _STECK_RB),
    Species("133Cs F=3", hyperfine_g_factor(3, **_CS133) * _MU_B_OVER_HBAR,
            "133Cs ground state, F = 3", _STECK_CS),
    Species("133Cs F=4", hyperfine_g_factor(4, **_CS133) * _MU_B_OVER_HBAR,
            "133Cs ground state, F = 4", _STECK_CS),
    Species("199Hg", _GAMMA_N / 3.8424574, "atomic 199Hg nuclear spin (shielded)",
            "gamma_n / 3.8424574, Afach et al., Phys. Lett. B 739, 128 (2014)"),
    Species("3He", -constants.physical_constants["shielded helion gyromag. ratio"][0],
            "3He nuclear spin (shielded helion, gas)", "CODATA 2022 (scipy.constants)"),
    Species("129Xe", -2 * math.pi * 11.777e6, "129Xe nuclear spin (atomic, gas)",
            "gamma/2pi = -11.777 MHz/T, Gemmel et al., Eur. Phys. J. D 57, 303 (2010)"),
    Species("NV", 2.0028 * _MU_B_OVER_HBAR, "NV centre electron spin (m_s = 0 <-> +-1)",
            "g = 2.0028, Doherty et al., Phys. Rep. 528, 1 (2013)"),
)}


def _key(name: str) -> str:
    return "".join(name.split()).lower()


def _element_first(name: str) -> str:
    """``"87Rb F=2"`` -> ``"rb87f=2"`` (the other order people write isotopes in)."""
    isotope, _, rest = name.partition(" ")
    element = isotope.lstrip("0123456789")
    return _key(element + isotope[:len(isotope) - len(element)] + rest)


_BY_KEY = {key: s for name, s in SPECIES.items() for key in (_key(name), _element_first(name))}


def species(name: str, *, argument: str = "species") -> Species:
    """The :class:`Species` called ``name`` (case and spaces do not matter, nor the order of
    an isotope's mass number and element: ``"Rb87 F=2"`` is ``"87Rb F=2"``).

    Raises
    ------
    QSNError
        Naming ``argument`` and the closest known name.

    Examples
    --------
    >>> species("87rb f=2").name, species("Rb87 F=2").name
    ('87Rb F=2', '87Rb F=2')
    >>> species("Rb87")
    Traceback (most recent call last):
    ...
    qsn_qutip.errors.QSNError: species: unknown species 'Rb87' (did you mean '87Rb F=2'?); known: ['electron', 'proton', '87Rb F=1', '87Rb F=2', '133Cs F=3', '133Cs F=4', '199Hg', '3He', '129Xe', 'NV'], or give gamma in rad s^-1 T^-1
    """
    if not isinstance(name, str):
        raise QSNError(f"{argument} must be a species name (a string), got {name!r}")
    found = _BY_KEY.get(_key(name))
    if found is None:
        close = difflib.get_close_matches(_key(name), list(_BY_KEY), n=1, cutoff=0.5)
        hint = f" (did you mean {_BY_KEY[close[0]].name!r}?)" if close else ""
        raise QSNError(f"{argument}: unknown species {name!r}{hint}; known: {list(SPECIES)}, "
                       f"or give gamma in {GAMMA_UNIT}")
    return found


def gyromagnetic_ratio(value: str | float, *, argument: str = "gamma") -> float:
    """The gyromagnetic ratio (rad s^-1 T^-1) of a species name or of a number given as is.

    Raises
    ------
    QSNError
        For an unknown name, or a number that is zero, not finite or not a number.
    """
    if isinstance(value, str):
        return species(value, argument=argument).gamma
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise QSNError(f"{argument} must be a species name or a number in {GAMMA_UNIT}, got "
                       f"{value!r}")
    gamma = float(value)
    if not math.isfinite(gamma) or gamma == 0:
        raise QSNError(f"{argument} must be a finite non-zero number in {GAMMA_UNIT}, got "
                       f"{value!r}")
    return gamma
