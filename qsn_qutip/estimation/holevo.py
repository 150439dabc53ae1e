r"""The Holevo Cramér-Rao bound, by semidefinite programming (needs ``cvxpy`` and Clarabel).

.. math::
    C_H = \min_{\{\hat X_k\}}\Big[\mathrm{Tr}(W\,\mathrm{Re}Z) + \big\|\sqrt W\,
    \mathrm{Im}Z\sqrt W\big\|_1\Big],\quad Z_{kl} = \mathrm{Tr}(\rho\hat X_k\hat X_l),
    \quad \mathrm{Tr}(\hat X_k\partial_l\rho) = \delta_{kl},

over Hermitian :math:`\hat X_k`: the bound on :math:`\mathrm{Tr}(W\,\mathrm{Cov})` attainable with
collective measurements on many copies.  Pure mathematics on ``Qobj`` and arrays: nothing here
knows about sensors or networks.  :func:`holevo_bound` is also importable as
``qsn_qutip.measurement.holevo_bound``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.sparse

from ..errors import QSNError
from .._checks import as_positive_int, as_real_vector, check_state
from ..operators import (LocalOperator, check_generators, effective_generators,
                         phi_dependent)
from ..options import tolerances
from .mixed import state_entries

__all__ = ["holevo_bound", "HolevoProgram", "holevo_program", "holevo_value", "DEFAULT_SOLVER"]

#: the cvxpy solver used unless another is named: an interior-point method accurate to about
#: 1e-8 (SCS, cvxpy's own choice for SDPs, is a first-order method: errors of 1e-3 and values
#: below the true minimum)
DEFAULT_SOLVER = "CLARABEL"

#: solver settings: Clarabel stops at ``tolerances.sdp_rtol`` (its default 1e-8 is at the edge
#: of double precision for these degenerate programs, where it stalls as "almost solved"); the
#: program is already scaled (unit columns), so its equilibration is switched off
_SETTINGS = {"CLARABEL": lambda: {"tol_gap_abs": tolerances.sdp_rtol,
                                  "tol_gap_rel": tolerances.sdp_rtol,
                                  "tol_feas": tolerances.sdp_rtol,
                                  "equilibrate_enable": False}}


def _weight_matrix(weights, d: int) -> np.ndarray:
    """W from ``weights`` (its diagonal, or W itself), checked symmetric positive semidefinite."""
    if weights is None:
        return np.eye(d)
    if isinstance(weights, qutip.Qobj):
        raise QSNError(f"weights must be the diagonal of W (length {d}) or a d x d matrix")
    try:
        arr = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise QSNError(f"weights must be the diagonal of W (length {d}) or a d x d matrix, "
                       f"got {weights!r}") from None
    if arr.ndim not in (1, 2):
        raise QSNError(f"weights must be the diagonal of W (length {d}) or a d x d matrix")
    if arr.ndim == 1:
        arr = np.diag(as_real_vector(arr, "weights", length=d))
    if arr.shape != (d, d) or not np.all(np.isfinite(arr)):
        raise QSNError(f"weights must be a finite {d} x {d} matrix, got shape {arr.shape}")
    scale = max(1.0, np.abs(arr).max())
    if np.abs(arr - arr.T).max() > tolerances.atol * scale:
        raise QSNError("weights must be a symmetric matrix")
    arr = (arr + arr.T) / 2
    if np.linalg.eigvalsh(arr)[0] < -tolerances.atol * scale:
        raise QSNError("weights must be positive semidefinite")
    return arr


def _support(state: qutip.Qobj) -> tuple[np.ndarray, np.ndarray]:
    r"""(V_r, lambda_r): :math:`\rho \approx V_r\Lambda_rV_r^\dagger` on its support, checked.

    A ket gives its normalised amplitudes (rank 1); a density matrix its eigenvalues above
    ``tolerances.eig_cutoff`` times the largest.  Raises :class:`QSNError` for NaN entries, an
    unnormalised or non-Hermitian state, or a negative eigenvalue below ``-tolerances.atol``.
    """
    entries = state_entries(state)
    if entries.ndim == 1:
        return entries[:, None], np.ones(1)
    lam, vecs = np.linalg.eigh(entries)
    if lam[0] < -tolerances.atol:
        raise QSNError(f"state (density matrix) must be positive semidefinite: smallest "
                       f"eigenvalue {lam[0]:.3g}")
    keep = lam > tolerances.eig_cutoff * lam[-1]
    return vecs[:, keep], lam[keep]


def _hermitian_coordinates(r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Index arrays of the orthonormal Hermitian basis of :math:`r\times r` matrices.

    The basis: :math:`E_{ii}` (r of them), then :math:`(E_{ij}+E_{ji})/\sqrt2` and
    :math:`(-iE_{ij}+iE_{ji})/\sqrt2` for i < j.  Returns (i, j, re, im): the pairs i < j and
    the coordinate index of their real and imaginary element.
    """
    upper_i, upper_j = np.triu_indices(r, 1)
    re = np.arange(r, r + upper_i.size)
    return upper_i, upper_j, re, re + upper_i.size


@dataclasses.dataclass(frozen=True)
class HolevoProgram:
    r"""The data of the Holevo SDP in real coordinates x (one column per parameter).

    :math:`\hat X_k` acts on the state only through :math:`Y_k = \hat X_k\Psi`,
    :math:`\Psi = V_r\Lambda_r^{1/2}`; ``images`` maps x to the coordinates of Y in an
    orthonormal basis (so that :math:`Z = Y^\dagger Y`), and ``gradients`` gives the
    constraints :math:`G^Tx_k = e_k`.

    Attributes
    ----------
    images : scipy.sparse.csr_matrix
        Complex (rows, n): :math:`Y_k` = ``images @ x[:, k]``.
    gradients : numpy.ndarray
        Real (n, d): column l holds :math:`\mathrm{Tr}(\hat X\partial_l\rho)` per coordinate.
    """

    images: scipy.sparse.csr_matrix
    gradients: np.ndarray

    @property
    def estimable(self) -> bool:
        r"""True when :math:`G^Tx_k = e_k` can be met for every k (G of full column rank)."""
        s = np.linalg.svd(self.gradients, compute_uv=False)
        return bool(s.size == self.gradients.shape[1] and s[-1] > tolerances.rank_rtol * s[0])

    def solutions(self) -> tuple[np.ndarray, np.ndarray]:
        r"""(X_0, N): every solution of :math:`G^TX = 1_d` is :math:`X_0 + NT` (estimable only).

        :math:`X_0 = G(G^TG)^{-1}` (the least-norm solution) and N has orthonormal columns
        spanning the null space of :math:`G^T`."""
        u, s, vt = np.linalg.svd(self.gradients, full_matrices=True)
        d = self.gradients.shape[1]
        return u[:, :d] @ (vt / s[:, None]), u[:, d:]


def holevo_program(vecs: np.ndarray, lam: np.ndarray,
                   generators: Sequence[np.ndarray]) -> HolevoProgram:
    r"""The reduced SDP data for :math:`\rho = V_r\Lambda_rV_r^\dagger`, :math:`\partial_l\rho = -i[H_l,\rho]`.

    In the eigenbasis of :math:`\rho` (support s, kernel n) :math:`Y = X\Psi` has the blocks
    :math:`Y_{s} = X_{ss}\Lambda^{1/2}` (:math:`X_{ss}` Hermitian: :math:`r^2` real
    coordinates) and :math:`Y_{n} = X_{ns}\Lambda^{1/2}`, free.  The constraints see
    :math:`Y_n` only through :math:`-2\,\mathrm{Im}\langle K_l, Y_n\rangle`,
    :math:`K_l = (1-V_rV_r^\dagger)H_lV_r\Lambda^{1/2}`; the part of :math:`Y_n` orthogonal to
    :math:`\mathrm{span}_{\mathbb C}\{K_l\}` only adds a positive semidefinite term to Z, so
    :math:`Y_n` is restricted to that span (at most d complex coordinates).  The program then
    has :math:`r^2 + 2\,\mathrm{rank}\{K_l\}` real coordinates per parameter instead of
    :math:`D^2`, and the same minimum: for a pure state, at most 1 + 2d.

    Parameters
    ----------
    vecs : numpy.ndarray
        :math:`V_r` (D, r), orthonormal columns.
    lam : numpy.ndarray
        :math:`\Lambda_r` (r,), positive.
    generators : sequence of numpy.ndarray
        The (effective) generators :math:`H_l`, dense (D, D).

    Returns
    -------
    HolevoProgram

    Examples
    --------
    >>> import numpy as np
    >>> up = np.array([[1.0], [0.0]])
    >>> prog = holevo_program(up, np.ones(1), [np.array([[0, .5], [.5, 0]]), np.diag([.5, -.5])])
    >>> prog.images.shape, prog.estimable          # one x_ss, one complex Y_n coordinate
    ((2, 3), False)
    """
    dim, r = vecs.shape
    root = np.sqrt(lam)
    i, j, re, im = _hermitian_coordinates(r)
    count = r * r
    # the support block: Y_ss = X_ss Lambda^(1/2), entries (a, b) at row a * r + b
    h = 1 / np.sqrt(2)
    rows = np.concatenate([np.arange(r) * (r + 1), i * r + j, j * r + i, i * r + j, j * r + i])
    cols = np.concatenate([np.arange(r), re, re, im, im])
    vals = np.concatenate([root, h * root[j], h * root[i], -1j * h * root[j], 1j * h * root[i]])
    # the derivatives in the eigenbasis: d_l rho = -i [H_l, rho], restricted to the support
    grads_ss, kernels = [], []
    for gen in generators:
        on_support = gen @ vecs                                      # H V_s
        hss = vecs.conj().T @ on_support
        drho = 1j * hss * (lam[:, None] - lam[None, :])              # (d_l rho)_ss
        grads_ss.append(np.concatenate([np.real(np.diag(drho)), np.sqrt(2) * drho[i, j].real,
                                        -np.sqrt(2) * drho[i, j].imag]))
        if r < dim:             # K_l = (1 - P) H_l V_s Lambda^(1/2), in the lab basis
            kernels.append(((on_support - vecs @ hss) * root[None, :]).ravel())
    gradients = np.array(grads_ss).T                                  # (r^2, d)
    if kernels:
        basis, coeffs = _span(np.array(kernels).T)                    # K = basis @ coeffs
        m = basis.shape[1]
        # Y_n = basis @ (u + i v): G^T for u is 2 Im(coeffs), for v -2 Re(coeffs)
        gradients = np.vstack([gradients, 2 * coeffs.imag, -2 * coeffs.real])
        rows = np.concatenate([rows, count + np.arange(m), count + np.arange(m)])
        cols = np.concatenate([cols, count + np.arange(m), count + m + np.arange(m)])
        vals = np.concatenate([vals, np.ones(m), 1j * np.ones(m)])
        count_rows, count_cols = count + m, count + 2 * m
    else:
        count_rows, count_cols = count, count
    images = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(count_rows, count_cols))
    # the columns of images are orthogonal (as real vectors): scale them to unit length, so
    # that |x|^2 = Tr Re Z and the least-norm solution of G^T x = e is the SLD solution
    norms = np.sqrt(np.asarray(abs(images).power(2).sum(axis=0)).ravel())
    scale = scipy.sparse.diags(1 / norms)
    return HolevoProgram((images @ scale).tocsr(), gradients / norms[:, None])


def _span(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""(B, T) with orthonormal columns B spanning the columns of ``k`` and :math:`T = B^\dagger k`.

    Directions with a singular value below ``tolerances.rank_rtol`` times the largest are
    dropped (they change the constraints by less than that, relatively)."""
    u, s, _ = np.linalg.svd(k, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return u[:, :0], np.zeros((0, k.shape[1]), dtype=complex)
    basis = u[:, s > tolerances.rank_rtol * s[0]]
    return basis, basis.conj().T @ k


def _solve(program: HolevoProgram, w: np.ndarray, solver: str) -> float:
    r"""The minimum of :math:`\mathrm{Tr}(WV)` subject to :math:`\begin{pmatrix}V & Y^\dagger\\
    Y & 1\end{pmatrix}\succeq0` (real embedding) and :math:`G^TX = 1_d`, solved by ``solver``."""
    try:
        import cvxpy as cp
    except ImportError:
        raise QSNError("holevo_bound needs cvxpy, the optional extra 'sdp': pip install "
                       "'qsn_qutip[sdp]' (or pip install cvxpy clarabel)") from None
    if solver.upper() not in cp.installed_solvers():
        raise QSNError(f"holevo_bound: the SDP solver {solver!r} is not installed (installed: "
                       f"{cp.installed_solvers()}); pip install 'qsn_qutip[sdp]' installs "
                       f"{DEFAULT_SOLVER}")
    # W = A A^T on its range (q directions): min Tr(W V) over V >= Z equals min Tr(V') over
    # V' >= A^T Z A (q x q), which keeps V bounded when W is singular
    s, u = np.linalg.eigh(w)
    keep = s > tolerances.rank_rtol * s[-1]
    a = u[:, keep] * np.sqrt(s[keep])
    q = a.shape[1]
    # G^T X = 1 solved once: X = X_0 + N T, N spanning the null space of G^T
    base, null = program.solutions()
    images = program.images
    rows = images.shape[0]
    V = cp.Variable((q, q), symmetric=True)
    # only X A enters: X A = X_0 A + N T with T free ((n - d) x q)
    xa = base @ a
    if null.shape[1]:
        xa = xa + null @ cp.Variable((null.shape[1], q))
    y_re, y_im = images.real @ xa, images.imag @ xa
    zero_q, zero_r = np.zeros((q, q)), np.zeros((rows, rows))
    m_re = cp.bmat([[V, y_re.T], [y_re, np.eye(rows)]])
    m_im = cp.bmat([[zero_q, -y_im.T], [y_im, zero_r]])
    block = cp.bmat([[m_re, -m_im], [m_im, m_re]])
    problem = cp.Problem(cp.Minimize(cp.trace(V)), [(block + block.T) / 2 >> 0])
    options = _SETTINGS.get(solver.upper(), lambda: {})()
    try:
        problem.solve(solver=solver, **options)
    except cp.error.SolverError as err:
        raise QSNError(f"holevo_bound: the SDP solver {solver} failed: {err}") from None
    if problem.status != "optimal":
        raise QSNError(f"holevo_bound: the SDP solver {solver} ended with status "
                       f"{problem.status!r}, not 'optimal': no bound is returned (try another "
                       f"solver=..., or a better conditioned state)")
    y = images @ (xa.value if isinstance(xa, cp.Expression) else xa)
    return holevo_value(y.conj().T @ y)


def holevo_value(z: np.ndarray) -> float:
    r""":math:`\mathrm{Tr}\,\mathrm{Re}Z + \|\mathrm{Im}Z\|_1` for a Hermitian Z (the Holevo objective with W = 1).

    Evaluated exactly at the solver's minimiser, whose constraints hold exactly by
    construction: the value returned is attained by Hermitian :math:`\hat X_k`, so it is never
    below the true minimum.

    >>> holevo_value(np.array([[1.0, 0.5j], [-0.5j, 1.0]]))
    3.0
    """
    imaginary = np.linalg.svd(np.imag(z), compute_uv=False)
    return float(np.trace(np.real(z)) + imaginary.sum())


def holevo_bound(state: qutip.Qobj, generators: Sequence, weights=None, *,
                 phi: Sequence[float] | None = None, repeats: int = 1,
                 solver: str | None = None) -> float:
    r"""The Holevo Cramér-Rao bound :math:`C_H/\mu` on :math:`\mathrm{Tr}(W\,\mathrm{Cov})`, by semidefinite programming.

    .. math::
        C_H = \min_{\{\hat X_k\}}\Big[\mathrm{Tr}(W\,\mathrm{Re}Z) + \big\|\sqrt W\,
        \mathrm{Im}Z\sqrt W\big\|_1\Big],\quad Z_{kl} = \mathrm{Tr}(\rho\hat X_k\hat X_l),
        \quad \mathrm{Tr}(\hat X_k\partial_l\rho) = \delta_{kl},

    over Hermitian :math:`\hat X_k`: the bound attainable with collective measurements on many
    copies; :math:`\mathrm{Tr}(WF^{-1}) \le C_H \le 2\,\mathrm{Tr}(WF^{-1})`, with equality
    on the left exactly when :math:`\mathrm{Tr}(\rho[\hat L_k,\hat L_l]) = 0` for all k, l
    (the SLDs :math:`\hat L_k`): for a pure state with commuting generators (the probes of
    Theorem 1), or a product state with each parameter on its own factor — but not for every
    mixed state with commuting generators.  With a single non-zero weight :math:`W_{kk}` it is
    :math:`W_{kk}[F^{-1}]_{kk}` (the other parameters are nuisance parameters).

    The SDP is that of Albarelli, Friel and Datta, PRL 123, 200503 (2019),

    .. math::
        C_H = \min_{V = V^T,\,X}\mathrm{Tr}(WV)\quad\text{s.t.}\quad
        \begin{pmatrix}V & Y^\dagger\\ Y & 1\end{pmatrix}\succeq 0,\quad
        \mathrm{Tr}(\hat X_k\partial_l\rho) = \delta_{kl},

    with :math:`Y` the columns :math:`\hat X_k\Psi` (:math:`\rho = \Psi\Psi^\dagger` on its
    support of rank r), so that :math:`Z = Y^\dagger Y`, the complex constraint imposed through
    its real-symmetric embedding.  It is posed on the coordinates that matter
    (:func:`holevo_program`): :math:`r^2` for the support block of :math:`\hat X_k` and at most
    2d for the rest, instead of :math:`D^2` (for a pure state at most 1 + 2d, whatever D).
    :math:`\partial_l\rho = -i[\tilde H_l,\rho]` with the effective generators at ``phi``
    (the bound does not change under the unitary encoding).

    Closed forms it reproduces: weak commutativity, :math:`C_H = \mathrm{Tr}(WF^{-1})`; and
    for two parameters and a D-invariant model (Suzuki, J. Math. Phys. 57, 042201 (2016);
    every pure qubit model, spin-coherent states with :math:`\hat J_x,\hat J_y`) the
    :math:`\hat X_k = \sum_l[F^{-1}]_{kl}\hat L_l` built from the SLDs are optimal, so

    .. math::
        C_H = \mathrm{Tr}(WF^{-1}) + 2\sqrt{\det W}\,
        \frac{|\mathrm{Im\,Tr}(\rho\hat L_1\hat L_2)|}{\det F},\qquad
        \mathrm{Im\,Tr}(\rho\hat L_1\hat L_2) = 4\,\mathrm{Im}\langle\tilde H_1\tilde H_2\rangle
        \ \text{(pure states)}.

    For a pure state this value is always attainable but not always the minimum: when the
    span of the derivatives :math:`|\partial_k\psi\rangle` is not closed under multiplication
    by i (a generic qutrit), :math:`C_H` lies strictly below it (Matsumoto, J. Phys. A 35,
    3111 (2002), shows that the pure-state Holevo bound is attained by separable measurements).

    Solved by Clarabel (an interior-point method, :data:`DEFAULT_SOLVER`); any status but
    ``optimal`` (``optimal_inaccurate`` included) is refused.  Needs ``cvxpy`` and
    ``clarabel`` (``pip install 'qsn_qutip[sdp]'``), imported on first use.

    Parameters
    ----------
    state : Qobj
        Ket or density matrix.
    generators : list of Qobj or LocalOperator
    weights : sequence of float or array, optional
        The diagonal of W, or W itself (symmetric, positive semidefinite); default the identity.
    phi : sequence of float, optional
        Where to evaluate: the derivatives are :math:`-i[\tilde H_l(\phi),\rho]` with the
        effective generators at ``phi``.  Required when generators of one sensor do not
        commute (the bound then depends on it; ``np.zeros(d)`` for :math:`\phi = 0`);
        ``None`` is accepted only when it does not (commuting generators).
    repeats : int
        :math:`\mu`; the bound is :math:`C_H/\mu`.
    solver : str, optional
        A cvxpy solver name (default ``"CLARABEL"``).

    Returns
    -------
    float
        :math:`C_H/\mu`; ``inf`` when the parameters are not all estimable (the constraints
        :math:`\mathrm{Tr}(\hat X_k\partial_l\rho) = \delta_{kl}` cannot be met).

    Raises
    ------
    QSNError
        Bad input (``phi`` missing for non-commuting generators), cvxpy or the solver
        missing, or a solver status other than ``optimal``.

    Examples
    --------
    >>> import qutip
    >>> up = qutip.basis(2, 0)
    >>> round(holevo_bound(up, [qutip.sigmax() / 2, qutip.sigmay() / 2], phi=[0, 0]), 6)   # QCRB 2
    4.0
    """
    state = check_state(state)
    gens = check_generators(generators, state.dims[0])
    d = len(gens)
    w = _weight_matrix(weights, d)
    mu = as_positive_int(repeats, "repeats")
    solver = DEFAULT_SOLVER if solver is None else str(solver)
    if phi is None and phi_dependent(gens):
        raise QSNError("phi: generators of one sensor do not commute, so the Holevo bound "
                       "depends on where it is evaluated: give phi (np.zeros(d) for phi = 0)")
    if phi is not None:
        gens = effective_generators(gens, as_real_vector(phi, "phi", length=d))
    gens = [g.to_qobj() if isinstance(g, LocalOperator) else g for g in gens]
    vecs, lam = _support(state)
    program = holevo_program(vecs, lam, [g.full() for g in gens])
    if not program.estimable:
        return float("inf")
    return _solve(program, w, solver) / mu
