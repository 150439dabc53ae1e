"""Numerical tolerances in one place, usable as a ``with`` block (like QuTiP's ``CoreOptions``).

>>> from qsn_qutip.options import tolerances
>>> with tolerances(eig_cutoff=1e-10):
...     pass  # QFIMs computed here drop eigenvalues of rho below 1e-10 * max(eigenvalue)
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

from .errors import QSNError

__all__ = ["Tolerances", "tolerances"]


@dataclasses.dataclass
class Tolerances:
    """The tolerances every layer reads.

    Attributes
    ----------
    atol : float
        Absolute tolerance for Hermiticity, normalisation, positivity and commutation checks.
    eig_cutoff : float
        Eigenvalues of a density matrix below ``eig_cutoff * max(eigenvalue)`` are treated as
        exactly zero in the SLD sums (they carry no information and only add round-off).
    rank_rtol : float
        Eigenvalues of a QFIM below ``rank_rtol * max(eigenvalue)`` span its null space: they
        decide whether a direction is estimable and are dropped in the pseudo-inverse.
    truncation : float
        Largest probability a truncated Fock-space state may lose to the cutoff.
    purity_atol : float
        A reduced state is pure (the probe a product over sensors) when
        :math:`|\\mathrm{Tr}\\rho_k^2 - 1|` is below this.
    tie_rtol : float
        Two figures of merit within this relative difference are reported as equal (a tie).
    ratio_rtol : float
        Relative round-off allowed where a ratio must be a whole number (particle numbers
        proportional to :math:`|v|`, the number of steps of a sweep grid).
    degeneracy_rtol : float
        Eigenvalues closer than ``degeneracy_rtol * max(1, |largest|)`` belong to one
        (joint) eigenspace.
    sketch_min_size : int
        Density matrices of at least this dimension first try the certified randomized
        search for a low-rank support before a full eigendecomposition
        (:func:`qsn_qutip.estimation.mixed.low_rank_support`); a huge value switches the
        search off (the QFIM is the same to round-off, only the time differs).
    """

    atol: float = 1e-10
    eig_cutoff: float = 1e-12
    rank_rtol: float = 1e-9
    truncation: float = 1e-8
    purity_atol: float = 1e-9
    tie_rtol: float = 1e-6
    ratio_rtol: float = 1e-9
    degeneracy_rtol: float = 1e-7
    sketch_min_size: int = 512

    @contextlib.contextmanager
    def __call__(self, **changes: float) -> Iterator["Tolerances"]:
        """Temporarily change some tolerances; the old values come back on exit."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise QSNError(f"unknown tolerance(s) {sorted(unknown)}; known: "
                           f"{[f.name for f in dataclasses.fields(self)]}")
        saved = dataclasses.asdict(self)
        for key, value in changes.items():
            setattr(self, key, type(saved[key])(value))
        try:
            yield self
        finally:
            for key, value in saved.items():
                setattr(self, key, value)


tolerances = Tolerances()
