"""Numerical tolerances in one place, usable as a ``with`` block (like QuTiP's ``CoreOptions``).

>>> from qsn_qutip.options import tolerances
>>> with tolerances(eig_cutoff=1e-10):
...     pass  # QFIMs computed here drop eigenvalues of rho below 1e-10 * max(eigenvalue)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers
from collections.abc import Iterator

from .errors import QSNError

__all__ = ["Tolerances", "tolerances", "check_memory", "format_bytes"]


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
        decide whether a direction is estimable and are dropped in the pseudo-inverse.  The
        default sits a few thousand machine epsilons above zero: round-off of a singular QFIM,
        not a small but real eigenvalue (``[[1, 1], [1, 1 + 1e-9]]`` is invertible).
    range_rtol : float
        A direction (``v``, or :math:`e_k` of a weighted parameter) is estimable when its
        component in the null space of the QFIM is below ``range_rtol`` times its length;
        a direction slightly outside the range is not estimable (the bound is ``inf``).
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
    max_bytes : int
        The largest single array (a dense ket, density matrix or operator) the toolkit will
        allocate, in bytes (default 4 GiB).  Larger objects are refused up front by
        :func:`check_memory`, with the size they would need, instead of failing half-way with
        a ``MemoryError``; raise it on a machine with more memory.
    sdp_rtol : float
        Relative accuracy (duality gap and feasibility) the Holevo SDP is solved to.
    expm_gap_rtol : float
        Eigenvalues of :math:`\\sum_k\\phi_k\\hat H_k` closer than ``expm_gap_rtol * max(1,
        |largest|)`` take the limit :math:`-ie^{-i\\lambda}` of the divided difference in the
        derivative of :math:`e^{-iX}` (simulated experiments with non-commuting generators).
    mle_xtol, mle_ftol : float
        Fisher scoring of the maximum-likelihood estimate stops when the step is below
        ``mle_xtol`` times the bracket, or the gain in log-likelihood below ``mle_ftol``
        times its size.
    mle_ridge : float
        Ridge added to the Fisher matrix of a scoring step, relative to its trace.
    edge_rtol : float
        An estimate within ``edge_rtol`` times the bracket of its edge sits on the edge.
    edge_flag : float
        A simulated point with more than this fraction of its estimates on the bracket's edge
        is drawn flagged (hollow, "bracket-limited") in figures: its variance is set by the
        bracket, not bounded by the CRB.
    dicke_truncation : float
        Default bound on the absolute QFIM error from dropping negligible entries of noisy
        Dicke blocks (``truncation`` of :func:`~qsn_qutip.noise.local_dephasing`).
    product_rtol : float
        A ket is a product across a cut when its Schmidt coefficients past the first are
        below this (relative): the noise path then treats the factors apart.
    commutator_form : float
        Eigenvalue pairs of a block with :math:`\\lambda_a+\\lambda_c` above this fraction of the
        largest eigenvalue take the commutator in the eigenbasis (the relative precision of
        tiny QFIs, :func:`~qsn_qutip.estimation.blocks.block_qfim`), the others
        :math:`(\\lambda_a-\\lambda_c)H_{ac}`.
    lindblad_atol, lindblad_rtol : float
        Absolute and relative tolerances of :func:`qutip.mesolve` where the noise path
        integrates a Lindbladian (decay of Dicke ensembles).
    time_xatol : float
        Absolute tolerance on :math:`\\ln t` of the search for an optimal interrogation time.
    root_xtol, root_rtol : float
        Absolute and relative tolerances of closed-form root searches
        (:func:`scipy.optimize.brentq`, e.g. a crossover number of particles).
    readout_ridge : float
        Ridge (relative to the largest QFIM eigenvalue) added to a CFIM in the objective the
        best local readout minimises (:func:`~qsn_qutip.optimize.readout.optimal_readout`):
        keeps the bound finite and smooth where the CFIM is singular; the reported bounds are
        exact.
    readout_match_rtol : float
        The QFIM of the state a readout is built on must equal the optimiser's to this
        relative accuracy (else the noise given is not the one the probe was optimised for).
    """

    atol: float = 1e-10
    eig_cutoff: float = 1e-12
    rank_rtol: float = 1e-12
    range_rtol: float = 1e-9
    truncation: float = 1e-8
    purity_atol: float = 1e-9
    tie_rtol: float = 1e-6
    ratio_rtol: float = 1e-9
    degeneracy_rtol: float = 1e-7
    sketch_min_size: int = 512
    max_bytes: int = 4 * 2 ** 30
    sdp_rtol: float = 1e-7
    expm_gap_rtol: float = 1e-9
    mle_xtol: float = 1e-12
    mle_ftol: float = 1e-14
    mle_ridge: float = 1e-12
    edge_rtol: float = 1e-9
    edge_flag: float = 0.05
    dicke_truncation: float = 1e-13
    product_rtol: float = 1e-13
    commutator_form: float = 1e-3
    lindblad_atol: float = 1e-12
    lindblad_rtol: float = 1e-10
    time_xatol: float = 1e-10
    root_xtol: float = 1e-12
    root_rtol: float = 1e-14
    readout_ridge: float = 1e-10
    readout_match_rtol: float = 1e-6

    @contextlib.contextmanager
    def __call__(self, **changes: float) -> Iterator["Tolerances"]:
        """Temporarily change some tolerances; the old values come back on exit."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise QSNError(f"unknown tolerance(s) {sorted(unknown)}; known: "
                           f"{[f.name for f in dataclasses.fields(self)]}")
        saved = dataclasses.asdict(self)
        checked = {key: _checked_value(key, value, type(saved[key]))
                   for key, value in changes.items()}
        for key, value in checked.items():
            setattr(self, key, value)
        try:
            yield self
        finally:
            for key, value in saved.items():
                setattr(self, key, value)


def _checked_value(name: str, value, kind: type):
    """A tolerance is a finite non-negative number (an int for sizes): refuse anything else."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise QSNError(f"tolerance {name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise QSNError(f"tolerance {name} must be finite and non-negative, got {value!r}")
    if kind is int and value != int(value):
        raise QSNError(f"tolerance {name} must be a whole number, got {value!r}")
    return kind(value)


tolerances = Tolerances()


def format_bytes(nbytes: int) -> str:
    """``nbytes`` in binary units for messages.

    Examples
    --------
    >>> format_bytes(3 * 2 ** 30), format_bytes(16 * 10 ** 12), format_bytes(512)
    ('3.0 GiB', '14.6 TiB', '512 B')
    """
    value, unit = float(nbytes), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            break
        value /= 1024
    return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"


def check_memory(nbytes: int, what: str) -> int:
    """Refuse, before allocating, an array of ``nbytes`` bytes above ``tolerances.max_bytes``.

    Parameters
    ----------
    nbytes : int
        What the array would need (a Python int: no overflow for huge spaces).
    what : str
        The object, for the message (e.g. ``"a ket of dimension 2^64"``).

    Returns
    -------
    int
        ``nbytes``.

    Raises
    ------
    QSNError
        Naming ``what``, the memory it would need and the limit.

    Examples
    --------
    >>> check_memory(16 * 1000, "a ket of dimension 1000")
    16000
    >>> check_memory(16 * 2 ** 64, "a ket of dimension 2^64")
    Traceback (most recent call last):
    ...
    qsn_qutip.errors.QSNError: a ket of dimension 2^64 would need 256.0 EiB, above the limit tolerances.max_bytes = 4.0 GiB (raise it with qsn_qutip.tolerances(max_bytes=...) on a machine with more memory)
    """
    if nbytes > tolerances.max_bytes:
        raise QSNError(f"{what} would need {format_bytes(nbytes)}, above the limit "
                       f"tolerances.max_bytes = {format_bytes(tolerances.max_bytes)} (raise it "
                       f"with qsn_qutip.tolerances(max_bytes=...) on a machine with more memory)")
    return nbytes
