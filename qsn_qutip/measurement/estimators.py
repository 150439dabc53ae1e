r"""Simulated experiments: multinomial outcome counts, maximum-likelihood and Bayesian estimates.

:func:`simulate` draws outcome counts for :math:`\mu` repeats per trial from the exact outcome
distribution of a POVM on an encoded state, estimates :math:`\phi` in every trial (maximum
likelihood by a grid search and Fisher scoring, or the posterior mean on a grid) and returns
the estimates with the QCRB and the CRB of the measurement (:class:`SimulationResult`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import qutip

from ..errors import QSNError
from .._checks import as_positive_int, as_real_vector, check_state
from .._io import html_table
from .._linalg import diagonal_of
from ..estimation.qfim import qfim
from ..options import check_memory, tolerances
from .cfim import BLOCK, OutcomeModel, classical_fisher, dense_generators
from .povm import as_povm

__all__ = ["SimulationResult", "simulate", "eigenvalue_spread", "check_seed"]

#: floor of probabilities before their logarithm (an outcome of probability 0 that occurred
#: rules a point out without producing -inf) and of divisors
_TINY = 1e-300


@dataclasses.dataclass(frozen=True)
class SimulationResult:
    r"""Estimates from a simulated experiment and the bounds they are compared with.

    Attributes
    ----------
    phi_true : numpy.ndarray
        The parameters the outcomes were sampled at (d,).
    estimates : numpy.ndarray
        One estimate per trial, shape (T, d).
    repeats : int
        :math:`\mu`, the repeats (shots) per trial.
    qfim, cfim : numpy.ndarray
        QFIM and CFIM (per shot) at ``phi_true``.
    estimator : str
        ``"mle"`` or ``"bayes"``.
    bracket : numpy.ndarray
        (d, 2): the box the estimates were restricted to.
    seed : int or None
    measurement : str
        The POVM's name.
    """

    phi_true: np.ndarray
    estimates: np.ndarray
    repeats: int
    qfim: np.ndarray
    cfim: np.ndarray
    estimator: str
    bracket: np.ndarray
    seed: int | None
    measurement: str = "povm"

    @property
    def trials(self) -> int:
        """T, the number of trials."""
        return self.estimates.shape[0]

    @property
    def mean(self) -> np.ndarray:
        """Mean of the estimates over the trials."""
        return self.estimates.mean(axis=0)

    @property
    def bias(self) -> np.ndarray:
        """``mean - phi_true``."""
        return self.mean - self.phi_true

    @property
    def covariance(self) -> np.ndarray:
        """Sample covariance of the estimates (d x d, normalised by T - 1)."""
        return np.atleast_2d(np.cov(self.estimates, rowvar=False, ddof=1))

    @property
    def mse(self) -> np.ndarray:
        r"""Mean squared error matrix :math:`\overline{(\hat\phi-\phi)(\hat\phi-\phi)^T}`."""
        err = self.estimates - self.phi_true
        return err.T @ err / self.trials

    @property
    def qcrb(self) -> np.ndarray:
        r"""The QCRB :math:`F_Q^{-1}/\mu` (d x d)."""
        return np.linalg.inv(self.qfim) / self.repeats

    @property
    def crb(self) -> np.ndarray:
        r"""The CRB of the measurement, :math:`F_C^{-1}/\mu` (d x d)."""
        return np.linalg.inv(self.cfim) / self.repeats

    @property
    def relative_error(self) -> float:
        r"""Relative standard error of a sample variance of T normal estimates, :math:`\sqrt{2/(T-1)}`."""
        return float(np.sqrt(2.0 / (self.trials - 1)))

    @property
    def at_edge(self) -> float:
        """Fraction of the estimates on the edge of the bracket (the likelihood peaked outside)."""
        lo, hi = self.bracket[:, 0], self.bracket[:, 1]
        width = hi - lo
        margin = tolerances.edge_rtol * width
        edge = (self.estimates <= lo + margin) | (self.estimates >= hi - margin)
        return float(np.mean(np.any(edge, axis=1)))

    def __repr__(self) -> str:
        return (f"SimulationResult(d={self.phi_true.size}, trials={self.trials}, "
                f"repeats={self.repeats}, estimator={self.estimator!r}, "
                f"measurement={self.measurement!r}, seed={self.seed})")

    def _repr_html_(self) -> str:
        """Per parameter: truth, mean, bias, variance against the QCRB and the CRB (for
        Jupyter; the T estimates themselves stay in ``estimates``)."""
        variance, qcrb, crb = (np.diag(m) for m in (self.covariance, self.qcrb, self.crb))
        rows = [[f"φ{k + 1}", self.phi_true[k], self.mean[k], self.bias[k], variance[k],
                 qcrb[k], crb[k], variance[k] / qcrb[k]] for k in range(self.phi_true.size)]
        return html_table(["", "true", "mean", "bias", "Var", "QCRB", "CRB", "Var / QCRB"],
                          rows, caption=f"SimulationResult: {self.measurement}, μ = "
                                        f"{self.repeats} repeats, T = {self.trials} trials, "
                                        f"{self.estimator}, seed {self.seed}",
                          notes=[f"relative error of each variance ±"
                                 f"{100 * self.relative_error:.1f} % (1σ); "
                                 f"{100 * self.at_edge:.1f} % of the estimates on the "
                                 f"bracket's edge"])


def check_seed(seed) -> int | None:
    """``seed`` when it is None or a non-negative integer (what :func:`numpy.random.default_rng`
    takes), else :class:`QSNError` naming ``seed``.

    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    qsn_qutip.errors.QSNError: seed must be an integer >= 0, got -1
    """
    return None if seed is None else as_positive_int(seed, "seed", minimum=0)


def eigenvalue_spread(generator: qutip.Qobj) -> float:
    r""":math:`\lambda_{\max}-\lambda_{\min}` of a generator: the fastest phase of a signal.

    Examples
    --------
    >>> import qutip
    >>> round(eigenvalue_spread(qutip.jmat(1.5, "x")), 12)
    3.0
    """
    diag = diagonal_of(generator)
    values = diag if diag is not None else np.linalg.eigvalsh(generator.full())
    return float(values.max() - values.min())


def _bracket(bracket, phi: np.ndarray, gens: list[qutip.Qobj]) -> np.ndarray:
    if bracket is None:
        spreads = np.array([eigenvalue_spread(g) for g in gens])
        if np.any(spreads <= 0):
            k = int(np.flatnonzero(spreads <= 0)[0])
            raise QSNError(f"generators[{k}] is a multiple of the identity: phi_{k + 1} is not "
                           f"encoded")
        half = np.pi / (2 * spreads)
    else:
        half = np.broadcast_to(np.asarray(bracket, dtype=float), phi.shape) if np.ndim(
            bracket) == 0 else as_real_vector(bracket, "bracket", length=phi.size)
        if np.any(~np.isfinite(half)) or np.any(half <= 0):
            raise QSNError(f"bracket must be positive half-widths, got {bracket!r}")
    return np.stack([phi - half, phi + half], axis=1)


def _loglik(model: OutcomeModel, points: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Log-likelihood of each row of counts at the matching row of points."""
    p, _ = model.batch(points, derivatives=False)
    return np.sum(counts * np.log(np.maximum(p, _TINY)), axis=1)


def _grid(bracket: np.ndarray, per_axis: Sequence[int]) -> np.ndarray:
    axes = [np.linspace(lo, hi, g) for (lo, hi), g in zip(bracket, per_axis)]
    return np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)


def _mle(model: OutcomeModel, counts: np.ndarray, bracket: np.ndarray, repeats: int) -> np.ndarray:
    r"""Maximum likelihood in the bracket: a grid search, then Fisher scoring with backtracking.

    The grid (odd points per axis, the bracket's centre among them) has at most 4096 points.

    Fisher scoring: :math:`\phi \leftarrow \phi + t\,(\mu F_C(\phi))^{-1}\nabla\log L(\phi)`
    with t halved until the likelihood does not decrease, clipped to the bracket, until the
    step (below :math:`10^{-12}` of the bracket) or the gain in :math:`\log L` (below
    :math:`10^{-14}|\log L|`) is negligible.
    """
    d = model.d
    trials = counts.shape[0]
    per_axis = 3
    while (per_axis + 2) ** d <= 4096:
        per_axis += 2                                    # odd: the centre is a grid point
    grid = _grid(bracket, [per_axis] * d)
    x = np.empty((trials, d))
    chunk = max(1, BLOCK // len(grid))
    p_grid, _ = model.batch(grid, derivatives=False)
    log_grid = np.log(np.maximum(p_grid, _TINY)).T
    for start in range(0, trials, chunk):
        x[start:start + chunk] = grid[np.argmax(counts[start:start + chunk] @ log_grid, axis=1)]
    lo, hi = bracket[:, 0], bracket[:, 1]
    tol = tolerances.mle_xtol * (hi - lo)
    ll = _loglik(model, x, counts)
    done = np.zeros(trials, bool)
    for _ in range(60):
        active = np.flatnonzero(~done)
        if active.size == 0:
            break
        p, dp = model.batch(x[active])
        c = counts[active]
        use = p > tolerances.atol
        inverse = np.where(use, 1 / np.where(use, p, 1.0), 0.0)
        score = np.einsum("tx,txk->tk", c * inverse, dp)
        info = repeats * np.einsum("tx,txk,txl->tkl", inverse, dp, dp)
        scale = np.maximum(np.trace(info, axis1=1, axis2=2), _TINY)
        info = info + tolerances.mle_ridge * scale[:, None, None] * np.eye(d)
        step = np.linalg.solve(info, score[:, :, None])[:, :, 0]
        start, start_ll = x[active], ll[active]
        new, new_ll = start.copy(), start_ll.copy()
        t = np.ones(active.size)
        pending = np.ones(active.size, bool)
        for _ in range(40):
            idx = np.flatnonzero(pending)
            if idx.size == 0:
                break
            cand = np.clip(start[idx] + t[idx, None] * step[idx], lo, hi)
            cand_ll = _loglik(model, cand, c[idx])
            ok = cand_ll >= start_ll[idx]
            new[idx[ok]], new_ll[idx[ok]] = cand[ok], cand_ll[ok]
            pending[idx[ok]] = False
            t[idx[~ok]] /= 2
        # converged: the step is negligible, or no longer raises the likelihood measurably
        small = np.all(np.abs(new - start) <= tol, axis=1)
        flat = new_ll - start_ll <= tolerances.mle_ftol * np.maximum(1.0, np.abs(start_ll))
        x[active], ll[active] = new, new_ll
        done[active] = small | flat | pending
    return x


def _bayes(model: OutcomeModel, counts: np.ndarray, bracket: np.ndarray, sigma: np.ndarray,
           grid_points: int | None) -> np.ndarray:
    r"""Posterior means for a uniform prior on the bracket, on a grid resolving the posterior.

    The grid has, per axis, at least 65 points and a step of at most :math:`2\sigma_k/3`, with
    :math:`\sigma_k = \sqrt{[F_C^{-1}]_{kk}/\mu}` the CRB standard deviation: for a smooth
    posterior of width about :math:`\sigma` the (trapezoid) sum converges exponentially in
    :math:`\sigma/\mathrm{step}`, its relative error about :math:`e^{-2\pi^2(\sigma/h)^2}`
    (:math:`10^{-19}` here).
    """
    width = bracket[:, 1] - bracket[:, 0]
    per_axis = np.maximum(65, np.ceil(1.5 * width / sigma).astype(int) + 1)
    total = int(np.prod(per_axis))
    cap = 1 << 21 if grid_points is None else as_positive_int(grid_points, "grid_points")
    if total > cap:
        raise QSNError(f"the Bayesian estimator needs a grid of {total} points to resolve the "
                       f"posterior (at most {cap}): narrow the bracket, use fewer repeats, or "
                       f"estimator='mle'")
    grid = _grid(bracket, per_axis)
    p_grid, _ = model.batch(grid, derivatives=False)
    log_grid = np.log(np.maximum(p_grid, _TINY)).T
    out = np.empty((counts.shape[0], model.d))
    chunk = max(1, BLOCK // len(grid))
    for start in range(0, counts.shape[0], chunk):
        ll = counts[start:start + chunk] @ log_grid
        w = np.exp(ll - ll.max(axis=1, keepdims=True))
        out[start:start + chunk] = (w @ grid) / w.sum(axis=1, keepdims=True)
    return out


def simulate(state: qutip.Qobj, generators: Sequence, povm, phi_true: Sequence[float], *,
             repeats: int = 1, trials: int = 1000, estimator: str = "mle",
             seed: int | None = None, bracket=None,
             grid_points: int | None = None) -> SimulationResult:
    r"""Simulate ``trials`` experiments of ``repeats`` shots each and estimate :math:`\phi` in each.

    Each trial draws outcome counts :math:`(c_x) \sim \mathrm{Multinomial}(\mu, p(\phi_{\rm true}))`
    with :class:`numpy.random.Generator` (``seed``), then estimates :math:`\phi` from the exact
    likelihood :math:`\log L(\phi) = \sum_xc_x\log p_x(\phi)`:

    * ``"mle"``: the maximum of L in the bracket (a grid search, then Fisher scoring);
    * ``"bayes"``: the posterior mean for a uniform prior on the bracket, on a grid.

    The bracket is a box :math:`\phi_{\rm true}\pm w` (default
    :math:`w_k = \pi/(2(\lambda_{\max}-\lambda_{\min})_k)`, half the period of the fastest
    phase): phase estimation is only locally identifiable (a parity signal :math:`\cos(N\phi)`
    cannot tell :math:`\phi` from :math:`-\phi` or :math:`\phi+2\pi/N`), so the estimator works
    in the region around the truth a prior would select.  Choose :math:`\phi_{\rm true}` away
    from the special points (the default bracket is then free of aliases when
    :math:`\phi_{\rm true}=w`, the middle of a monotone region).  As :math:`\mu` grows
    :math:`\mu\,\mathrm{Cov}(\hat\phi) \to F_C^{-1}`, and to :math:`F_Q^{-1}` for a saturating
    measurement.

    To estimate a function :math:`\theta = v^T\phi` with a singular QFIM (a GHZ-like probe),
    parametrise by :math:`\theta` alone: one generator :math:`\sum_kv_k\hat H_k/\|v\|^2`
    (:func:`simulate_task` does this).

    Parameters
    ----------
    state : Qobj
    generators : list of Qobj or LocalOperator
    povm : POVM or list of Qobj
    phi_true : sequence of float
    repeats : int
        :math:`\mu`, shots per trial.
    trials : int
        T >= 2.
    estimator : {"mle", "bayes"}
    seed : int, optional
    bracket : float or sequence of float, optional
        Half-widths w of the box around ``phi_true``.
    grid_points : int, optional
        Largest grid of the Bayesian estimator (default :math:`2^{21}`).

    Returns
    -------
    SimulationResult

    Raises
    ------
    QSNError
        When the CFIM at ``phi_true`` is singular (an eigenvalue below ``tolerances.rank_rtol``
        times the largest eigenvalue of the CFIM or of the QFIM, so that a CFI of round-off size
        at a special point counts as zero): some combination of the parameters is not
        identifiable from this measurement.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble, states
    >>> from qsn_qutip.measurement import parity
    >>> net = Network([QubitEnsemble(2)])
    >>> res = simulate(states.ghz_like(net, [1.0]), net.generators, parity(net),
    ...                [0.3927], repeats=100, trials=200, seed=1)
    >>> res.estimates.shape, round(float(res.crb[0, 0]), 12)
    ((200, 1), 0.0025)
    """
    state = check_state(state)
    gens = dense_generators(generators, state.dims[0])
    povm = as_povm(povm, state.dims[0])
    phi = as_real_vector(phi_true, "phi_true", length=len(gens))
    mu = as_positive_int(repeats, "repeats")
    count = as_positive_int(trials, "trials", minimum=2)
    # the outcome counts (trials x outcomes) and the scoring arrays, refused before any work
    check_memory(8 * count * len(povm) * (2 + len(gens)),
                 f"simulate: trials = {count} with {len(povm)} outcomes")
    check_seed(seed)
    if estimator not in ("mle", "bayes"):
        raise QSNError(f"estimator must be 'mle' or 'bayes', got {estimator!r}")
    box = _bracket(bracket, phi, gens)
    model = OutcomeModel(state, gens, povm)
    p, dp = model.point(phi)
    fc = classical_fisher(p, dp)
    fq = qfim(state, gens, phi)
    lam = np.linalg.eigvalsh(fc)
    # singular on the scale of the QFIM too: a CFI of 1e-33 (round-off at a special point)
    # identifies nothing, whatever the CFIM's own largest eigenvalue
    scale = max(lam[-1], float(np.linalg.eigvalsh(fq)[-1]), 0.0)
    if lam[0] <= tolerances.rank_rtol * scale or lam[-1] <= 0:
        raise QSNError(f"the CFIM of {povm.name} at phi_true is singular (eigenvalues "
                       f"{np.round(lam, 6).tolist()}): not every parameter is identifiable; "
                       f"estimate the identifiable combinations, e.g. theta = v . phi with the "
                       f"single generator sum_k v_k H_k / |v|^2")
    rng = np.random.default_rng(seed)
    prob = np.clip(p, 0.0, None)
    counts = rng.multinomial(mu, prob / prob.sum(), size=count).astype(float)
    if estimator == "mle":
        estimates = _mle(model, counts, box, mu)
    else:
        sigma = np.sqrt(np.diag(np.linalg.inv(fc)) / mu)
        estimates = _bayes(model, counts, box, sigma, grid_points)
    return SimulationResult(phi, estimates, mu, fq, fc, estimator, box, seed, povm.name)
