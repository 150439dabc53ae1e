r"""The see-saw descent of the bound over probe states (the engine of :func:`optimal_probe`).

For one parameter, Macieszczak's see-saw (Macieszczak, arXiv:1312.1356; Demkowicz-Dobrzanski,
Jarzyna and Kolodynski, Prog. Optics 60, 345 (2015), Sec. 6) rests on

.. math::
    F(\Lambda(\rho)) = \max_L\;2\,\mathrm{Tr}(\partial\Lambda(\rho)L) -
    \mathrm{Tr}(\Lambda(\rho)L^2) = \max_L\,\mathrm{Tr}\big(\rho\,G(L)\big),\qquad
    G(L) = \Lambda^\dagger\big(2i[\hat h, L] - L^2\big),

the maximum at the SLD (the dual variable).  Holding L and maximising over the probe gives the
top eigenvector of G; holding the probe gives the SLD; the QFI never decreases.  For the bound
of a task, :math:`B = v^TF^{+}v` or :math:`\mathrm{tr}(WF^{+})`, the same operator with
:math:`\hat h_u = \sum_pu_p\hat h_p` and :math:`u = F^{+}v` (for W: the eigenvectors of
:math:`F^{+}WF^{+}`, weighted) is minus the gradient of B with respect to the input
(:math:`dB = -\mathrm{tr}(d\rho\,G)`, envelope theorem), and :math:`\langle\psi|G|\psi\rangle =
B`.  The descent first takes see-saw jumps (the top eigenvector of G)
while they lower B (monotone, fast far from the optimum), then L-BFGS
(:func:`scipy.optimize.minimize`) on :math:`B(x/|x|)` with the exact gradient
:math:`-2(G-\langle G\rangle)\hat x/|x|` (fast near it), until B falls by less than
``SEARCH["rtol"]`` over ``SEARCH["window"]`` iterations; a stationary point that is no see-saw
fixed point is left by another jump (up to four rounds).  The *gap* :math:`(\lambda_{\max}(G) - \langle G\rangle)/B`
is zero exactly at a see-saw fixed point (no probe improves the linearised bound); it is
reported with every run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import scipy.linalg
import scipy.optimize

from ..errors import QSNError
from ..estimation.blocks import map_blocks
from ..options import tolerances
from ..probes import Task
from .channel import PhaseChannel

__all__ = ["Evaluation", "Objective", "Run", "descend", "SEARCH"]

#: defaults of the descent: iterations in all, the relative see-saw gap that ends it, see-saw
#: jumps before the gradient descent, which ends when the bound falls by less than ``rtol``
#: (relative) over ``window`` iterations
SEARCH = {"max_iter": 3000, "gap_tol": 1e-9, "jumps": 50, "window": 10, "rtol": 1e-10}


@dataclasses.dataclass
class Evaluation:
    """A probe, its QFIM and bound, and what the gradient needs (per block)."""

    psi: np.ndarray
    qfim: np.ndarray
    bound: float
    parts: list

    @property
    def precision(self) -> float:
        r"""The relative precision of :attr:`bound`: :math:`8\epsilon\kappa(F)` (the bound of
        a nearly singular QFIM moves by that much under rounding errors of F), at least 1e-12."""
        lam = np.linalg.eigvalsh(self.qfim)
        kept = lam[lam > tolerances.rank_rtol * max(lam[-1], 0.0)]
        if kept.size == 0:
            return 1.0
        return max(1e-12, 8 * np.finfo(float).eps * kept[-1] / kept[0])


class Objective:
    r"""The bound of a task as a function of the real input amplitudes, and its gradient
    operator G (module docstring)."""

    def __init__(self, channel: PhaseChannel, task: Task):
        self.channel = channel
        self.task = Task(channel.n_params, v=task.v, weights=task.weights)
        self.cut = tolerances.rank_rtol
        #: noiseless: one block with T = 1, the output is the pure input
        self.pure = len(channel.blocks) == 1 and bool(np.all(channel.blocks[0].transfer == 1))

    def evaluate(self, psi: np.ndarray) -> Evaluation:
        """The probe (its part on the allowed basis states, normalised), QFIM and bound."""
        psi = np.where(self.channel.allowed, np.asarray(psi, dtype=float), 0.0)
        norm = np.linalg.norm(psi)
        if norm == 0:
            raise QSNError("a start of the search has no weight on the states the probe may "
                           "use (each sensor at most its particles)")
        psi = psi / norm
        n = self.channel.n_params
        items = list(zip(self.channel.blocks, self.channel.output(psi)))
        work = float(sum(b.index.size ** 3 for b in self.channel.blocks)) * (10 + 2 * n)
        found = map_blocks(self._block, items, work)
        if self.pure:        # 4 Cov(h_p, h_q): far more accurate than from eigenvectors when
            block = self.channel.blocks[0]       # F is nearly singular (the optimum's is)
            p = psi[block.index] ** 2
            mean = block.values @ p
            F = 4.0 * ((block.values * p) @ block.values.T - np.outer(mean, mean))
        else:
            F = sum((f for f, _ in found if f is not None), np.zeros((n, n)))
        return Evaluation(psi, F, float(self.task.bound(F)), [part for _, part in found])

    def _block(self, item) -> tuple[np.ndarray | None, tuple | None]:
        r"""One block's QFIM contribution :math:`2\sum_{ab}(\lambda_a-\lambda_b)^2/(\lambda_a+
        \lambda_b)\,\tilde h_{p,ab}\tilde h_{q,ab}` and what its gradient needs."""
        block, sigma = item
        if not sigma.any():
            return None, None
        lam, vecs = scipy.linalg.eigh(sigma, driver="evd", check_finite=False)
        total = lam[:, None] + lam[None, :]
        diff = lam[:, None] - lam[None, :]
        ratio = np.divide(diff, total, out=np.zeros_like(total), where=total > self.cut)
        rotated = [vecs.T @ (h[:, None] * vecs) for h in block.values]
        weight = diff * ratio
        F = np.array([[2.0 * np.sum(weight * hp * hq) for hq in rotated] for hp in rotated])
        return F, (vecs, ratio, rotated)

    def directions(self, F: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """The weighted directions u of the gradient: :math:`F^+v`, or the eigenvectors of
        :math:`F^+WF^+`."""
        inverse = np.linalg.pinv(F, rcond=tolerances.rank_rtol, hermitian=True)
        if self.task.v is not None:
            return [(1.0, inverse @ self.task.v)]
        lam, vecs = np.linalg.eigh(inverse @ np.diag(self.task.weights) @ inverse)
        return [(float(x), vecs[:, i]) for i, x in enumerate(lam) if x > 0]

    def gradient(self, ev: Evaluation) -> np.ndarray:
        r""":math:`G = \sum_i c_i\Lambda^\dagger(2i[\hat h_{u_i}, L_{u_i}] - L_{u_i}^2)`, real
        symmetric (:math:`L = iK` with K real antisymmetric for real probes)."""
        directions = self.directions(ev.qfim)

        def piece(item):
            block, part = item
            if part is None:
                return None
            vecs, ratio, rotated = part
            total = np.zeros((block.index.size,) * 2)
            for c, u in directions:
                h_u = u @ block.values
                K = vecs @ ((2.0 * ratio * sum(x * r for x, r in zip(u, rotated))) @ vecs.T)
                total += c * (K @ K - 2.0 * np.subtract.outer(h_u, h_u) * K)
            return total

        work = float(sum(b.index.size ** 3 for b in self.channel.blocks)) * 6 * len(directions)
        pieces = map_blocks(piece, list(zip(self.channel.blocks, ev.parts)), work)
        G = self.channel.adjoint(pieces)
        outside = ~self.channel.allowed
        G[outside, :] = 0.0
        G[:, outside] = 0.0                 # the probe stays on the allowed states
        return (G + G.T) / 2


@dataclasses.dataclass
class Run:
    """One descent: the probe reached, its bound, the history, and how it ended."""

    best: Evaluation
    history: list[float]
    gaps: list[float]
    status: str
    iterations: int

    @property
    def converged(self) -> bool:
        """True at a see-saw fixed point or a stationary point of the bound."""
        return self.status in ("fixed point", "stationary")


def _gap(objective: Objective, ev: Evaluation) -> tuple[float, np.ndarray, np.ndarray]:
    r"""The relative see-saw gap, the top eigenvector of G and the residual :math:`(G -
    \langle G\rangle)\psi` (minus half the gradient of B on the sphere)."""
    G = objective.gradient(ev)
    g = G @ ev.psi
    value = float(ev.psi @ g)
    mu, vecs = scipy.linalg.eigh(G, subset_by_index=[G.shape[0] - 1] * 2, check_finite=False)
    top = vecs[:, -1] * (1.0 if vecs[:, -1] @ ev.psi >= 0 else -1.0)
    return float((mu[-1] - value) / abs(value)), top, g - value * ev.psi


def _jumps(objective: Objective, ev: Evaluation, budget: int, history: list, gaps: list,
           callback) -> tuple[Evaluation, float]:
    """See-saw jumps while they lower B by more than 1e-6 relative (at most ``budget``)."""
    gap = np.inf
    for _ in range(budget):
        gap, top, _ = _gap(objective, ev)
        gaps.append(gap)
        if gap <= SEARCH["gap_tol"]:
            break
        trial = objective.evaluate(top)
        if not trial.bound < ev.bound * (1 - 1e-6):
            break
        ev = trial
        history.append(ev.bound)
        if callback is not None:
            callback(len(history) - 1, ev.bound)
    return ev, gap


def _polish(objective: Objective, ev: Evaluation, max_iter: int, history: list,
            callback) -> tuple[Evaluation, bool]:
    r"""L-BFGS on :math:`B(x/|x|)` with the exact gradient :math:`-2(G-\langle G
angle)\hat x/|x|`."""
    cache = {}
    scale = ev.bound          # B / B0 is of order one: L-BFGS's ftol is then relative

    def value_and_gradient(x):
        norm = float(np.linalg.norm(x))
        trial = objective.evaluate(x)
        _, _, residual = _gap(objective, trial)
        cache["last"] = trial
        return trial.bound / scale, -2.0 * residual / (norm * scale)

    def step(x):
        last = cache.get("last")
        history.append(last.bound if last is not None else np.nan)
        if callback is not None:
            callback(len(history) - 1, history[-1])
        window = SEARCH["window"]
        # below the precision of B (a nearly singular QFIM) a decrease is rounding noise
        rtol = max(SEARCH["rtol"], last.precision if last is not None else 0.0)
        if len(history) > window and (history[-window - 1] - history[-1]) <= (
                rtol * abs(history[-1])):
            cache["settled"] = True
            raise StopIteration

    found = scipy.optimize.minimize(value_and_gradient, ev.psi, jac=True, method="L-BFGS-B",
                                    callback=step, options={
                                        "maxiter": max_iter, "maxcor": 100, "gtol": 1e-13,
                                        "ftol": 1e-15})
    best = objective.evaluate(found.x)
    # success, the settled bound, or a line search that cannot lower B any more at machine
    # precision (L-BFGS-B status 2): a stationary point for the precision of B
    ended = bool(found.success or cache.get("settled") or found.status == 2)
    return (best if best.bound <= ev.bound else ev), ended


def descend(objective: Objective, psi: np.ndarray, *, max_iter: int = SEARCH["max_iter"],
            gap_tol: float = SEARCH["gap_tol"], callback: Callable | None = None) -> Run:
    """Descend from ``psi``: see-saw jumps, then L-BFGS with the exact gradient, until a
    see-saw fixed point (gap <= ``gap_tol``), a stationary point or ``max_iter``."""
    ev = objective.evaluate(psi)
    history, gaps = [ev.bound], []
    status = "max_iter"
    for _ in range(4):                      # a stationary point that is no fixed point: jump
        if not np.isfinite(ev.bound):
            return Run(ev, history, gaps, "not estimable", len(history) - 1)
        budget = min(SEARCH["jumps"], max(0, max_iter - (len(history) - 1)))
        ev, gap = _jumps(objective, ev, budget, history, gaps, callback)
        if gap <= gap_tol:
            status = "fixed point"
            break
        left = max_iter - (len(history) - 1)
        if left <= 0:
            break
        ev, success = _polish(objective, ev, left, history, callback)
        gap, _, _ = _gap(objective, ev)
        gaps.append(gap)
        status = "fixed point" if gap <= gap_tol else ("stationary" if success else "max_iter")
        if status != "stationary":
            break
    if np.any(ev.psi < 0):           # the modulus has the same bound (channel docstring)
        ev = objective.evaluate(np.abs(ev.psi))
    return Run(ev, history, gaps, status, len(history) - 1)
