r"""Outcome probabilities of an encoded state and the classical Fisher information of a POVM.

With :math:`\rho_\phi = U_\phi\rho U_\phi^\dagger`, :math:`U_\phi = e^{-i\sum_j\phi_j\hat H_j}`,
outcome x of a POVM :math:`\{\hat E_x\}` has probability :math:`p_x(\phi) =
\mathrm{Tr}(\hat E_x\rho_\phi)` and the classical Fisher information matrix (CFIM) is

.. math::
    F^{C}_{kl}(\phi) = \sum_x \frac{\partial_k p_x\,\partial_l p_x}{p_x},\qquad
    \partial_k p_x = \mathrm{Tr}\big(\hat E_x\,(-i)[\hat H'_k, \rho_\phi]\big),

with :math:`\hat H'_k = U_\phi\tilde H_kU_\phi^\dagger` and :math:`\tilde H_k` the exact
effective generators (:func:`~qsn_qutip.operators.effective_generators`).  :class:`OutcomeModel`
evaluates :math:`p(\phi)` and :math:`\partial p(\phi)` at one point or many (the simulated
experiments of :mod:`.estimators`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.linalg

from ..errors import QSNError
from ..estimation.mixed import state_entries
from .._checks import as_real_vector, check_state
from .._linalg import diagonal_of
from ..operators import LocalOperator, check_generators, effective_generators
from ..options import tolerances
from .povm import POVM, as_povm
from .spectrum import frequency_spectrum

__all__ = ["outcome_probabilities", "cfim", "OutcomeModel", "classical_fisher",
           "dense_generators", "state_array", "parameters", "BLOCK", "SPECTRUM_POINTS"]

#: largest number of numbers (points x outcomes x dimension, ...) handled in one vectorised
#: block when probabilities are evaluated at many points
BLOCK = 1 << 22
#: :meth:`OutcomeModel.batch` reduces a density matrix to its spectrum of frequencies
#: (:meth:`OutcomeModel.spectrum`) from this many points on (a simulation's grid search)
SPECTRUM_POINTS = 16


def dense_generators(generators, dims: list[int]) -> list[qutip.Qobj]:
    """The checked generators as operators on the whole space (a :class:`LocalOperator` built)."""
    gens = check_generators(generators, dims)
    return [g.to_qobj() if isinstance(g, LocalOperator) else g for g in gens]


def parameters(phi, d: int) -> np.ndarray:
    """``phi`` as a checked vector of length d (zeros when None)."""
    return np.zeros(d) if phi is None else as_real_vector(phi, "phi", length=d)


def state_array(state: qutip.Qobj) -> np.ndarray:
    """The ket (D,) or density matrix (D, D) of a checked state, normalised and positive.

    Positivity of a density matrix is checked by a Cholesky factorisation of
    :math:`\\rho + \\mathrm{atol}\\,1` (a third of the cost of its eigenvalues); only a
    failure computes the smallest eigenvalue for the message.
    """
    rho = state_entries(state)
    if rho.ndim == 1:
        return rho
    try:
        scipy.linalg.cholesky(rho + tolerances.atol * np.eye(len(rho)), lower=True,
                              check_finite=False)
    except np.linalg.LinAlgError:
        smallest = np.linalg.eigvalsh(rho)[0]
        if smallest < -tolerances.atol:
            raise QSNError(f"state (density matrix) must be positive semidefinite: smallest "
                           f"eigenvalue {smallest:.3g}") from None
    return rho


def _joint_eigenbasis(mats: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """(V, Lambda) with :math:`H_k = V\\,\\mathrm{diag}(\\Lambda_{:,k})V^\\dagger` for commuting
    ``mats``, or None when they do not commute (or share no eigenbasis found this way)."""
    scale = max(1.0, max(np.abs(m).max() for m in mats))
    for a, b in itertools.combinations(mats, 2):
        if np.abs(a @ b - b @ a).max() > tolerances.atol * scale:
            return None
    coefficients = np.random.default_rng(20250701).uniform(1.0, 2.0, len(mats))
    _, vecs = np.linalg.eigh(sum(c * m for c, m in zip(coefficients, mats)))
    lam = []
    for m in mats:
        rotated = vecs.conj().T @ m @ vecs
        diag = np.real(np.diag(rotated))
        if np.abs(rotated - np.diag(diag)).max() > 1e3 * tolerances.atol * scale:
            return None
        lam.append(diag)
    return vecs, np.stack(lam, axis=1)


class OutcomeModel:
    r"""Outcome probabilities :math:`p_x(\phi)` and derivatives of (state, generators, POVM).

    Commuting generators are diagonalised once, :math:`\hat H_k = V\Lambda_kV^\dagger`, so
    that :math:`\rho_\phi` is :math:`\rho' = V^\dagger\rho V` times the phases
    :math:`e^{-i(\lambda_a-\lambda_b)\cdot\phi}` and :math:`\partial_k\rho'_{ab} =
    -i(\lambda_{ak}-\lambda_{bk})\rho'_{\phi,ab}`: for a rank-one POVM with rows
    :math:`L' = \langle w_x|V` (and :math:`L_\phi = L'P`, :math:`P = \mathrm{diag}(e^{-i\lambda
    \cdot\phi})`)

    .. math::
        G = (L'P\rho')\circ\overline{L_\phi},\qquad p_x = \mathrm{Re}\sum_bG_{xb},\qquad
        \partial_kp_x = -2\,\mathrm{Im}\sum_bG_{xb}\lambda_{bk},

    one application of :math:`L'` per point (factor by factor for a product basis in the lab
    frame, :math:`O(D^2\sum_kd_k)`; one matrix product otherwise), with no
    :math:`\partial_k\rho` built.  At many points (:meth:`batch`) a density matrix is first
    reduced to its spectrum of frequencies (:meth:`spectrum`): the terms of
    :math:`p_x = \sum_{ab}\hat E'_{x,ba}\rho'_{ab}e^{-i(\lambda_a-\lambda_b)\cdot\phi}` with
    equal frequencies :math:`\omega = \lambda_a-\lambda_b` (compared exactly) are summed
    once, :math:`p_x = \mathrm{Re}\sum_\omega C_{x\omega}e^{-i\omega\cdot\phi}`, so that a
    point costs (outcomes x frequencies), a few hundred for spin ensembles, instead of
    :math:`D^2`.  Non-commuting
    generators: :meth:`point` uses :func:`scipy.linalg.expm` and the exact effective
    generators (as the QFIM does), :meth:`batch` one batched eigendecomposition per block of
    points and the Daleckii-Krein derivative of the exponential; the two agree to rounding.

    Parameters
    ----------
    state : Qobj
        A checked ket or density matrix.
    generators : list of Qobj
        Dense generators on the state's space (:func:`dense_generators`).
    povm : POVM
        On the state's dims (:func:`~qsn_qutip.measurement.povm.as_povm`).

    Examples
    --------
    >>> import qutip
    >>> from qsn_qutip.measurement.povm import as_povm
    >>> plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    >>> model = OutcomeModel(plus, [qutip.sigmaz() / 2], as_povm([plus.proj(), 1 - plus.proj()], [2]))
    >>> p, dp = model.point(np.array([0.0]))
    >>> p.round(12), model.commuting
    (array([1., 0.]), True)
    """

    def __init__(self, state: qutip.Qobj, generators: list[qutip.Qobj], povm: POVM):
        self.pure = state.isket
        self.state = state_array(state)
        self.generators = generators
        self.povm = povm
        self.d = len(generators)
        diags = [diagonal_of(g) for g in generators]
        if all(d is not None for d in diags):
            self.V, self.lam = None, np.stack(diags, axis=1)
        else:
            self.mats = [g.full() for g in generators]
            found = _joint_eigenbasis(self.mats)
            self.V, self.lam = found if found is not None else (None, None)
        self.commuting = self.lam is not None
        self._prepared = None
        self._spectrum = None

    # -- one phi --------------------------------------------------------------------------------
    def point(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(p, dp) at one phi: shapes (outcomes,), (outcomes, d)."""
        if not self.commuting:
            return self._point_general(phi)
        if self.pure:
            phases = np.exp(-1j * (self.lam @ phi))
            y = phases * self._rotated_state()
            dy = -1j * self.lam * y[:, None]
            if self.V is not None:
                y, dy = self.V @ y, self.V @ dy
            return self.povm.evaluate(y, dy)
        p, dp = self._batch(self._prepare(), np.asarray(phi, dtype=float)[None, :], True)
        return p[0], dp[0]

    def _rotated_state(self) -> np.ndarray:
        if self.V is None:
            return self.state
        if self.pure:
            return self.V.conj().T @ self.state
        return self.V.conj().T @ self.state @ self.V

    def _point_general(self, phi):
        unitary = scipy.linalg.expm(-1j * sum(p * m for p, m in zip(phi, self.mats)))
        eff = [g.full() for g in effective_generators(self.generators, phi)]
        if self.pure:
            images = np.stack([h @ self.state for h in eff], axis=1)
            return self.povm.evaluate(unitary @ self.state, -1j * (unitary @ images))
        rho = self.state
        drho = np.array([unitary @ (-1j * (h @ rho - rho @ h)) @ unitary.conj().T for h in eff])
        return self.povm.evaluate(unitary @ rho @ unitary.conj().T, drho)

    # -- many phi at once ---------------------------------------------------------------------
    def _prepare(self):
        """Operators in the generators' eigenbasis, computed once (commuting generators)."""
        if self._prepared is not None:
            return self._prepared
        rotated = self._rotated_state()
        storage = self.povm.storage
        if storage.rank_one:
            rows = storage.rows if self.V is None else storage.adjoint(self.V)   # <w_x| V
            if self.pure:
                self._prepared = ("amplitudes", rows * rotated[None, :], rotated)
            else:
                # L_phi rho' = L (P rho'): applied through the storage (factor by factor for
                # a product basis) when the frame is the lab's, else one product with L V
                apply = storage.adjoint if self.V is None else rows.__matmul__
                self._prepared = ("rows", rows, rotated, apply)
        else:
            effects = storage.dense() if self.V is None else (
                self.V.conj().T[None] @ storage.dense() @ self.V[None])
            if self.pure:
                self._prepared = ("quadratic", effects, rotated)
            else:
                # p_x = sum_ab E'_{x,ba} rho'_{ab} e^{-i (lam_a - lam_b) . phi}
                weights = np.swapaxes(effects, 1, 2) * rotated[None]
                flat = weights.reshape(len(effects), -1)
                diff = (self.lam[:, None, :] - self.lam[None, :, :]).reshape(-1, self.d)
                keep = np.flatnonzero(np.abs(flat).max(axis=0) > 0)
                self._prepared = ("frequencies", flat[:, keep], diff[keep], weights)
        return self._prepared

    def batch(self, points: np.ndarray, derivatives: bool = True):
        """(p, dp) at many phi (rows of ``points``): shapes (M, outcomes), (M, outcomes, d)."""
        points = np.atleast_2d(points)
        n, size = len(self.povm), self.povm.size
        if self.commuting and not self.pure and (self._spectrum is not None or len(points) >=
                                                 SPECTRUM_POINTS):
            found = self.spectrum()
            if found is not None:
                return self._spectral_batch(found, points, derivatives)
        if self.commuting:
            prepared = self._prepare()
            width = {"amplitudes": n + size, "quadratic": n * size,
                     "rows": size * size + 2 * n * size,
                     "frequencies": prepared[1].shape[1] if prepared[0] == "frequencies"
                     else 1}[prepared[0]]
            step = max(1, BLOCK // max(1, width * (1 + self.d)))
        else:
            step = max(1, BLOCK // (size * size * (2 + self.d) + n * size * (1 + self.d)))
        ps, dps = [], []
        for start in range(0, len(points), step):
            chunk = points[start:start + step]
            if self.commuting:
                p, dp = self._batch(prepared, chunk, derivatives)
            else:
                p, dp = self._batch_general(chunk, derivatives)
            ps.append(p)
            dps.append(dp)
        return np.concatenate(ps), (np.concatenate(dps) if derivatives else None)

    def _batch_general(self, points: np.ndarray, derivatives: bool):
        r"""Non-commuting generators at many phi: :math:`U = e^{-iX}`, :math:`X = \sum\phi_k\hat H_k`,
        and :math:`\partial_kU` by the Daleckii-Krein formula in the eigenbasis
        :math:`X = V\Lambda V^\dagger`:

        .. math::
            \partial_kU = V\big(\Gamma\circ V^\dagger\hat H_kV\big)V^\dagger,\qquad
            \Gamma_{ab} = \frac{e^{-i\lambda_a}-e^{-i\lambda_b}}{\lambda_a-\lambda_b}
            \ (\to -ie^{-i\lambda_a}\ \text{for}\ \lambda_a=\lambda_b),

        one batched ``eigh`` for all points (the same derivative as the effective generators
        of :meth:`point`, :math:`\partial_kU = -iU\tilde H_k`); gaps below
        ``tolerances.expm_gap_rtol`` take the limit.
        """
        mats = np.array(self.mats)                                     # (d, D, D)
        lam, vecs = np.linalg.eigh(np.tensordot(points, mats, axes=(1, 0)))
        phases = np.exp(-1j * lam)                                     # (M, D)
        vecs_h = np.conj(np.swapaxes(vecs, 1, 2))
        unitary = (vecs * phases[:, None, :]) @ vecs_h
        gaps = lam[:, :, None] - lam[:, None, :]
        close = np.abs(gaps) <= tolerances.expm_gap_rtol * max(1.0, np.abs(lam).max())
        gamma = np.where(close, -1j * phases[:, :, None],
                         (phases[:, :, None] - phases[:, None, :]) / np.where(close, 1.0, gaps))
        kernel = gamma[:, None] * (vecs_h[:, None] @ mats[None] @ vecs[:, None])  # (M, d, D, D)
        if self.pure:
            coeffs = vecs_h @ self.state                                   # V^dag psi: (M, D)
            psi = unitary @ self.state
            if not derivatives:
                return self.povm.evaluate_many(psi, None)
            dpsi = (vecs[:, None] @ (kernel @ coeffs[:, None, :, None]))[..., 0]  # (M, d, D)
            return self.povm.evaluate_many(psi, np.swapaxes(dpsi, 1, 2))
        unitary_h = np.conj(np.swapaxes(unitary, 1, 2))
        rho = unitary @ self.state @ unitary_h
        if not derivatives:
            return self.povm.evaluate_many(rho, None)
        dunitary = vecs[:, None] @ kernel @ vecs_h[:, None]                # (M, d, D, D)
        drho = dunitary @ self.state @ unitary_h[:, None]
        drho = drho + np.conj(np.swapaxes(drho, 2, 3))
        return self.povm.evaluate_many(rho, drho)

    def _batch(self, prepared, points, derivatives):
        kind = prepared[0]
        if kind == "frequencies":
            if len(points) == 1 and derivatives:
                return self._frequencies_point(prepared[3], points[0])
            _, weights, diff, _ = prepared
            phases = np.exp(-1j * (diff @ points.T))                  # (terms, M)
            p = (weights @ phases).real.T
            if not derivatives:
                return p, None
            dp = np.stack([(weights @ (-1j * diff[:, k:k + 1] * phases)).real.T
                           for k in range(self.d)], axis=2)
            return p, dp
        phases = np.exp(-1j * (points @ self.lam.T))                   # (M, D)
        if kind == "rows":
            _, rows, rotated, apply = prepared
            m, size = phases.shape
            shifted = phases[:, :, None] * rotated[None]               # P rho': (M, D, D)
            image = apply(np.moveaxis(shifted, 0, 1).reshape(size, m * size))
            image = np.moveaxis(image.reshape(-1, m, size), 1, 0)      # L P rho': (M, x, D)
            g = image * (rows[None, :, :] * phases[:, None, :]).conj()
            p = g.sum(axis=2).real
            return p, (-2 * (g @ self.lam).imag if derivatives else None)
        if kind == "amplitudes":
            amps = prepared[1]                                         # (outcomes, D)
            a = phases @ amps.T                                        # (M, outcomes)
            p = np.abs(a) ** 2
            if not derivatives:
                return p, None
            da = np.stack([(phases * self.lam[:, k]) @ amps.T for k in range(self.d)], axis=2)
            return p, 2 * (a.conj()[:, :, None] * (-1j * da)).real
        _, effects, rotated = prepared
        y = phases * rotated[None, :]                                  # (M, D)
        ey = np.einsum("xab,mb->mxa", effects, y, optimize=True)
        p = np.einsum("ma,mxa->mx", y.conj(), ey, optimize=True).real
        if not derivatives:
            return p, None
        dy = -1j * y[:, :, None] * self.lam[None, :, :]                # (M, D, d)
        return p, 2 * np.einsum("mxa,mak->mxk", ey.conj(), dy, optimize=True).real

    def spectrum(self) -> tuple[np.ndarray, np.ndarray] | None:
        r"""(C, omega): :math:`p_x(\phi) = \mathrm{Re}\sum_w C_{xw}e^{-i\omega_w\cdot\phi}`, or None.

        For a density matrix and commuting generators, in their eigenbasis:
        :math:`C_{x\omega} = \sum_{a,b:\,\lambda_a-\lambda_b=\omega}\hat E'_{x,ba}\rho'_{ab}`
        (for a rank-one POVM :math:`\hat E'_{x,ba} = L'_{xa}\overline{L'_{xb}}` with the rows
        :math:`L' = \langle w_x|V`), frequencies compared exactly (the spectra of spin and
        number generators are sums of half-integers, exact in floating point).  None when the
        frequencies are nearly all distinct (no gain: more than a quarter of the :math:`D^2`
        pairs), for a ket or non-commuting generators.  Built once, :math:`O(\text{outcomes}
        \times D^2)` in blocks of ``BLOCK`` numbers.
        """
        if self._spectrum is not None:
            return self._spectrum or None
        self._spectrum = ()
        if self.pure or not self.commuting:
            return None
        storage = self.povm.storage
        if storage.rank_one:
            rows = storage.rows if self.V is None else storage.adjoint(self.V)
            found = frequency_spectrum(self.lam, self._rotated_state(), rows=rows, block=BLOCK)
        else:
            effects = storage.dense() if self.V is None else (
                self.V.conj().T[None] @ storage.dense() @ self.V[None])
            found = frequency_spectrum(self.lam, self._rotated_state(), effects=effects,
                                       block=BLOCK)
        self._spectrum = found if found is not None else ()
        return found

    def _spectral_batch(self, found, points: np.ndarray, derivatives: bool):
        """(p, dp) at many points from :meth:`spectrum`, in blocks of ``BLOCK`` numbers."""
        coefficients, omega = found
        step = max(1, BLOCK // max(1, len(omega) * (1 + self.d)))
        ps, dps = [], []
        for start in range(0, len(points), step):
            phases = np.exp(-1j * (omega @ points[start:start + step].T))      # (K, M)
            ps.append((coefficients @ phases).real.T)
            if derivatives:
                dps.append(np.stack([(coefficients @ (-1j * omega[:, k:k + 1] * phases)).real.T
                                     for k in range(self.d)], axis=2))
        return np.concatenate(ps), (np.concatenate(dps) if derivatives else None)

    def _frequencies_point(self, weights: np.ndarray, phi: np.ndarray):
        r"""Dense effects at one point: :math:`M_x = W_x\circ(e^{-i\lambda_a\phi}e^{i\lambda_b\phi})`,
        :math:`p_x = \sum_{ab}M_{x,ab}`, :math:`\partial_kp_x = -i\sum_{ab}M_{x,ab}(\lambda_{ak}-
        \lambda_{bk})`, from the row and column sums of M."""
        phases = np.exp(-1j * (self.lam @ phi))
        m = weights * np.outer(phases, phases.conj())[None]
        p = m.sum(axis=(1, 2)).real
        dp = (-1j * (m.sum(axis=2) @ self.lam - m.sum(axis=1) @ self.lam)).real
        return p[None], dp[None]


def classical_fisher(p: np.ndarray, dp: np.ndarray) -> np.ndarray:
    r""":math:`\sum_x \partial p_x\partial p_x^T/p_x`, skipping outcomes that carry no information.

    An outcome with :math:`p_x \le` ``tolerances.atol`` whose derivatives all vanish
    (:math:`|\partial_kp_x|\le\sqrt{\mathrm{atol}}`) is skipped: at a zero of a smooth
    :math:`p_x\ge0` the derivative vanishes too and :math:`(\partial p)^2/p` is 0/0, whose limit
    the exact :math:`\phi` does not determine (the special points, e.g. :math:`n\phi\in\pi\mathbb Z`
    for GHZ parity, where the CFI drops to the remaining outcomes' share).

    Examples
    --------
    >>> classical_fisher(np.array([0.25, 0.75]), np.array([[0.5], [-0.5]]))
    array([[1.33333333]])
    """
    small = p <= tolerances.atol
    vanishing = np.all(np.abs(dp) <= np.sqrt(tolerances.atol), axis=-1)
    if np.any(small & ~vanishing & (p <= 0)):
        x = int(np.flatnonzero(small & ~vanishing & (p <= 0))[0])
        raise QSNError(f"outcome {x} has probability {p[x]:.3g} but a non-vanishing derivative: "
                       f"the outcome distribution is not differentiable here (is the POVM "
                       f"valid?)")
    use = ~(small & vanishing)
    f = (dp[use].T / p[use]) @ dp[use]
    return (f + f.T) / 2


def outcome_probabilities(state: qutip.Qobj, generators: Sequence, povm,
                          phi: Sequence[float] | None = None) -> np.ndarray:
    r"""The outcome distribution :math:`p_x(\phi) = \mathrm{Tr}(\hat E_xU_\phi\rho U_\phi^\dagger)`.

    Parameters as for :func:`cfim`.

    Examples
    --------
    >>> import qutip
    >>> plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    >>> outcome_probabilities(plus, [qutip.sigmaz() / 2], POVM([plus.proj(), 1 - plus.proj()]),
    ...                       [0.0]).round(12)
    array([1., 0.])
    """
    state = check_state(state)
    gens = dense_generators(generators, state.dims[0])
    model = OutcomeModel(state, gens, as_povm(povm, state.dims[0]))
    return model.point(parameters(phi, len(gens)))[0]


def cfim(state: qutip.Qobj, generators: Sequence, povm,
         phi: Sequence[float] | None = None) -> np.ndarray:
    r"""Classical Fisher information matrix of the outcomes of ``povm`` on the encoded ``state``.

    .. math::
        F^C_{kl}(\phi) = \sum_{x} \frac{\partial_k p_x\,\partial_l p_x}{p_x},\quad
        p_x = \mathrm{Tr}(\hat E_x\rho_\phi),\quad
        \partial_k p_x = \mathrm{Tr}\big(\hat E_x(-i)[\hat H'_k,\rho_\phi]\big),

    exact: :math:`\hat H'_k = U_\phi\tilde H_kU_\phi^\dagger` with the effective generators
    :math:`\tilde H_k` of :func:`~qsn_qutip.operators.effective_generators` (the generators
    themselves when they commute).  Outcomes with :math:`p_x\le` ``tolerances.atol`` whose
    derivatives vanish (below :math:`\sqrt{\mathrm{atol}}`) are skipped: they carry no
    information except in the limit at the special points, so there (e.g. GHZ parity at
    :math:`N\phi\in\pi\mathbb Z`) the CFI drops.  Always :math:`F^C \le F^Q` (the QFIM, see
    :func:`~qsn_qutip.qfim` with the same ``phi``).

    Parameters
    ----------
    state : Qobj
        A ket or density matrix (before encoding).
    generators : list of Qobj or LocalOperator
        The generators, in parameter order (``network.generators``).
    povm : POVM or list of Qobj
        The measurement on the state's space.
    phi : sequence of float, optional
        The parameters (default 0).

    Returns
    -------
    numpy.ndarray
        The d x d CFIM.

    Examples
    --------
    >>> import numpy as np, qutip
    >>> plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    >>> jx = POVM([plus.proj(), 1 - plus.proj()])       # J_x readout of one qubit
    >>> round(float(cfim(plus, [qutip.sigmaz() / 2], jx, [0.7])[0, 0]), 12)
    1.0
    """
    state = check_state(state)
    gens = dense_generators(generators, state.dims[0])
    model = OutcomeModel(state, gens, as_povm(povm, state.dims[0]))
    p, dp = model.point(parameters(phi, len(gens)))
    return classical_fisher(p, dp)
