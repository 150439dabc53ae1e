r"""The permutation-invariant Lindbladian of :mod:`qutip.piqs` in double precision, and decay.

Local decay of a Dicke ensemble has no closed form like local dephasing
(:mod:`qsn_qutip.noise.schur_weyl`): it is integrated with :func:`qutip.mesolve` on the
Liouvillian of the Dicke blocks, the one route of the noise layer that is integrator-limited
(``tolerances.lindblad_atol`` / ``lindblad_rtol``).  :meth:`qutip.piqs.Dicke.lindbladian`
evaluates its coefficients in C ``float``, which limits it to about seven digits;
:func:`piqs_lindbladian` is the same superoperator (Shammah et al., PRA 98, 063815 (2018),
Table I; the coefficients :math:`\gamma_1\dots\gamma_9` of ``qutip/piqs/_piqs.pyx``) in double
precision, vectorised, as a sparse superoperator on the piqs Dicke basis.
"""

from __future__ import annotations

import numpy as np
import qutip
import scipy.sparse

from ..errors import QSNError
from ..options import tolerances
from .dicke import DickeBlockState
from .model import nonnegative

__all__ = ["piqs_lindbladian", "symmetric_to_piqs", "mesolve_decay", "MESOLVE_STEPS"]

#: the most internal steps qutip.mesolve may take for one decay
MESOLVE_STEPS = 1_000_000


def _sq(x):
    return np.sqrt(np.maximum(x, 0.0))


def _diagonal_rate(J, M, M1, N, y: dict) -> np.ndarray:
    r""":math:`\gamma_1` of piqs: the coefficient of :math:`\rho_{jmm'}` in its own derivative."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dephase = np.where(J > 0, y["dephasing"] / 2 * (N / 2 - M * M1 * (N / 2 + 1)
                                                        / (J * (J + 1))),
                           y["dephasing"] * N / 4)
    return -(y["collective_emission"] / 2 * (2 * J * (J + 1) - M * (M - 1) - M1 * (M1 - 1))
             + y["emission"] / 2 * (N + M + M1) + y["pumping"] / 2 * (N - M - M1) + dephase
             + y["collective_pumping"] / 2 * (2 * J * (J + 1) - M * (M + 1) - M1 * (M1 + 1))
             + y["collective_dephasing"] / 2 * (M - M1) ** 2)


def _coupling(dj: int, dm: int, j, m, m1, N, y: dict) -> np.ndarray:
    r""":math:`\gamma_2\dots\gamma_9` of piqs: the coefficient of :math:`\rho_{j+dj,m+dm,m'+dm}`."""
    yE, yD, yP = y["emission"], y["dephasing"], y["pumping"]
    with np.errstate(divide="ignore", invalid="ignore"):
        up = (N / 2 + j + 1) / (j * (2 * j + 1))          # to the block j - 1 ... from j
        down = (N / 2 - j) / ((j + 1) * (2 * j + 1))
        same = (N / 2 + 1) / (j * (j + 1))
        if (dj, dm) == (0, 1):
            root = _sq((j + m) * (j - m + 1) * (j + m1) * (j - m1 + 1))
            return y["collective_emission"] * root + np.where(j > 0, yE / 2 * root * same, 0.0)
        if (dj, dm) == (1, 1):
            return np.where(j > 0, yE / 2 * _sq((j + m) * (j + m - 1) * (j + m1)
                                                 * (j + m1 - 1)) * up, 0.0)
        if (dj, dm) == (-1, 1):
            return np.where(j + 1 > 0, yE / 2 * _sq((j - m + 1) * (j - m + 2) * (j - m1 + 1)
                                                     * (j - m1 + 2)) * down, 0.0)
        if (dj, dm) == (1, 0):
            return np.where(j > 0, yD / 2 * _sq((j ** 2 - m ** 2) * (j ** 2 - m1 ** 2)) * up,
                            0.0)
        if (dj, dm) == (-1, 0):
            return yD / 2 * _sq(((j + 1) ** 2 - m ** 2) * ((j + 1) ** 2 - m1 ** 2)) * down
        if (dj, dm) == (1, -1):
            return np.where(j > 0, yP / 2 * _sq((j - m - 1) * (j - m) * (j - m1 - 1)
                                                 * (j - m1)) * up, 0.0)
        if (dj, dm) == (0, -1):
            root = _sq((j + m + 1) * (j - m) * (j + m1 + 1) * (j - m1))
            return np.where(j > 0, yP / 2 * root * same, 0.0) + y["collective_pumping"] * root
        return yP / 2 * _sq((j + m + 1) * (j + m + 2) * (j + m1 + 1) * (j + m1 + 2)) * down


#: the neighbours (dj, dm) a density-matrix element of piqs couples to
_NEIGHBOURS = ((0, 1), (1, 1), (-1, 1), (1, 0), (-1, 0), (1, -1), (0, -1), (-1, -1))


def piqs_lindbladian(n: int, *, emission: float = 0.0, dephasing: float = 0.0,
                     pumping: float = 0.0, collective_emission: float = 0.0,
                     collective_dephasing: float = 0.0,
                     collective_pumping: float = 0.0) -> qutip.Qobj:
    r"""The Lindbladian of ``qutip.piqs.Dicke(n, ...)`` in double precision (same layout and rates).

    :meth:`qutip.piqs.Dicke.lindbladian` evaluates its coefficients in C ``float``, which
    limits it to about seven digits.  This is the same superoperator (Shammah et al., PRA 98,
    063815 (2018), Table I; the coefficients :math:`\gamma_1\dots\gamma_9` of
    ``qutip/piqs/_piqs.pyx``) in double precision, vectorised, as a sparse superoperator on the
    piqs Dicke basis.  The rates are piqs's: ``dephasing`` is the rate of the Lindblad operator
    :math:`\sqrt{\gamma_D}\sigma_z/2`, i.e. ``2 * gamma`` of
    :func:`~qsn_qutip.noise.local_dephasing`; ``emission`` is :math:`\gamma_1` of
    :func:`~qsn_qutip.noise.local_decay`.

    Examples
    --------
    >>> L = piqs_lindbladian(4, dephasing=0.2)
    >>> L.shape
    (81, 81)
    """
    from qutip import piqs
    n = int(n)
    if n < 1:
        raise QSNError(f"n must be an integer >= 1, got {n}")
    y = {k: nonnegative(v, k) for k, v in dict(
        emission=emission, dephasing=dephasing, pumping=pumping,
        collective_emission=collective_emission, collective_dephasing=collective_dephasing,
        collective_pumping=collective_pumping).items()}
    N = float(n)
    nds = piqs.num_dicke_states(n)
    J, M, M1 = [], [], []
    for two_j in range(n, -1, -2):
        ms = np.arange(two_j, -two_j - 1, -2) / 2
        mm, mm1 = np.meshgrid(ms, ms, indexing="ij")
        J.append(np.full(mm.size, two_j / 2))
        M.append(mm.ravel())
        M1.append(mm1.ravel())
    J, M, M1 = np.concatenate(J), np.concatenate(M), np.concatenate(M1)

    def flat(j, m, m1):
        offset = (n / 2 - j) * (n + 2 - (n / 2 - j))
        return np.rint(offset + (j - m) + nds * (offset + (j - m1))).astype(np.int64)

    rows, cols, data = [flat(J, M, M1)], [flat(J, M, M1)], [_diagonal_rate(J, M, M1, N, y)]
    for dj, dm in _NEIGHBOURS:
        j2, m2, m12 = J + dj, M + dm, M1 + dm
        ok = ((j2 >= (n % 2) / 2) & (j2 <= n / 2) & (np.abs(m2) <= j2)
              & (np.abs(m12) <= j2))
        rows.append(flat(J[ok], M[ok], M1[ok]))               # column stacking (QuTiP)
        cols.append(flat(j2[ok], m2[ok], m12[ok]))
        data.append(np.asarray(_coupling(dj, dm, j2[ok], m2[ok], m12[ok], N, y), dtype=float))
    mat = scipy.sparse.csr_matrix((np.concatenate(data), (np.concatenate(rows),
                                                          np.concatenate(cols))),
                                  shape=(nds ** 2, nds ** 2), dtype=complex)
    mat.eliminate_zeros()
    return qutip.Qobj(mat, dims=[[[nds], [nds]], [[nds], [nds]]], superrep="super")


def symmetric_to_piqs(rho_sym: np.ndarray, n: int) -> qutip.Qobj:
    """A Dicke-basis (n + 1) matrix (index k = n/2 - m) placed in the piqs j = n/2 block."""
    from qutip import piqs
    nds = piqs.num_dicke_states(n)
    out = np.zeros((nds, nds), dtype=complex)
    out[:n + 1, :n + 1] = rho_sym
    return qutip.Qobj(out)


def mesolve_decay(rho_sym: np.ndarray, n: int, decay_t: float,
                  dephasing_t: float) -> DickeBlockState:
    r"""Decay :math:`\gamma_1t` and dephasing :math:`\gamma t` of a Dicke ensemble of n qubits.

    :func:`qutip.mesolve` on :func:`piqs_lindbladian` (``emission = gamma_1``,
    ``dephasing = 2 gamma``) for unit time, tolerances ``tolerances.lindblad_atol`` and
    ``lindblad_rtol``: accurate to about 1e-9 at the defaults, not to round-off.  The
    Liouvillian has :math:`(n/2+1)^4` entries, so keep n below about 60.
    """
    L = piqs_lindbladian(n, emission=decay_t, dephasing=2 * dephasing_t)
    rho0 = symmetric_to_piqs(rho_sym, n)
    result = qutip.mesolve(L, rho0, [0.0, 1.0],
                           options={"atol": tolerances.lindblad_atol,
                                    "rtol": tolerances.lindblad_rtol,
                                    "nsteps": MESOLVE_STEPS, "progress_bar": False})
    mat = result.states[-1].full()
    return DickeBlockState.from_dicke_dm(qutip.Qobj((mat + mat.conj().T) / 2), n)
