r"""The search for the best local readout of a probe (the engine of
:func:`~qsn_qutip.optimize.readout.optimal_readout`).

A local readout measures sensor k in an orthonormal basis, the columns of a unitary
:math:`U_k`: outcome :math:`x = (x_1, x_2, \dots)` has the effect :math:`\hat P_x =
W|x\rangle\langle x|W^\dagger`, :math:`W = \bigotimes_kU_k`.  At the working point the encoded
state :math:`\rho` and its derivatives :math:`\hat D_l = \partial_l\rho` give
:math:`p_x = \mathrm{Tr}(\hat P_x\rho)`, :math:`\partial_lp_x = \mathrm{Tr}(\hat P_x\hat D_l)` and
the CFIM :math:`C = \sum_x\partial p_x\partial p_x^T/p_x`; the objective is the task's bound
:math:`f(C)` (:class:`CFIMObjective`).

The gradient is exact.  With :math:`G = \partial f/\partial C`, :math:`c_x = -\partial p_x^TG
\partial p_x/p_x^2` and :math:`e_x = 2G\partial p_x/p_x` (outcomes that carry no information
left out, as :func:`~qsn_qutip.measurement.cfim.classical_fisher` does), a change
:math:`U_k\to e^{-i\delta\hat A}U_k` of sensor k's basis changes f by
:math:`\mathrm{Tr}(\delta\hat A\,Z_k)`,

.. math::
    Z_k = \mathrm{Tr}_{\bar k}\,i\Big([\rho, \hat Q_0] + \sum_l[\hat D_l, \hat Q_l]\Big),\qquad
    \hat Q_0 = W\mathrm{diag}(c)W^\dagger,\quad \hat Q_l = W\mathrm{diag}(e_{\cdot l})W^\dagger,

applied factor by factor (:math:`O(dD^2\sum_kd_k)`, no :math:`D\times D` unitary built).  Each
family (:class:`SpinAxis`, :class:`FreeBasis`, :class:`PhaseShift`) turns :math:`Z_k` into the
gradient of its own parameters, and :func:`best_local` runs L-BFGS
(:func:`scipy.optimize.minimize`) from the sensors' default readouts and seeded random starts.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.optimize

from .._linalg import diagonal_of
from ..errors import QSNError
from ..measurement.cfim import classical_fisher, dense_generators
from ..measurement.noisy import MeasuredState
from ..measurement.povm import POVM, ProductBasis
from ..network import Network
from ..options import tolerances
from ..probes import Task

__all__ = ["EncodedState", "CFIMObjective", "SpinAxis", "FreeBasis", "PhaseShift",
           "families", "LocalSearch", "spin_components", "particle_spin",
           "MAX_UNITARY_DIMENSION"]

#: the largest sensor dimension whose basis is searched as an arbitrary unitary (d^2 real
#: parameters per sensor)
MAX_UNITARY_DIMENSION = 16


class EncodedState:
    r""":math:`\rho_\phi` (or :math:`\psi_\phi`) of a measured state and its derivatives, for
    generators diagonal in the sensors' bases: :math:`\partial_k\rho_{ab} =
    -i(\lambda_{ak}-\lambda_{bk})\rho_{ab}`; :attr:`rho` and :attr:`drho` dense."""

    def __init__(self, measured: MeasuredState, phi: np.ndarray):
        net = measured.network
        diags = [diagonal_of(g) for g in dense_generators(net.generators, net.ket_dims)]
        if any(d is None for d in diags):
            raise QSNError("optimal_readout needs generators diagonal in the sensors' bases "
                           "(those optimal_probe covers)")
        lam = np.stack(diags, axis=1).real
        phases = np.exp(-1j * (lam @ phi))
        mat = measured.state.full()
        self.dims = net.ket_dims
        if measured.state.isket:
            psi = phases * mat[:, 0]
            dpsi = -1j * lam * psi[:, None]
            self.state, self.derivatives = psi, dpsi
            self.rho = np.outer(psi, psi.conj())
            self.drho = np.array([np.outer(dpsi[:, l], psi.conj()) + np.outer(
                psi, dpsi[:, l].conj()) for l in range(lam.shape[1])])
        else:
            self.rho = phases[:, None] * mat * phases.conj()[None, :]
            diff = lam[:, None, :] - lam[None, :, :]
            self.drho = np.moveaxis(-1j * diff * self.rho[:, :, None], 2, 0)
            self.state, self.derivatives = self.rho, self.drho

    def outcomes(self, povm: POVM) -> tuple[np.ndarray, np.ndarray]:
        """(p, dp) of a POVM on this space."""
        return povm.evaluate(self.state, self.derivatives)

    def cfim(self, povm: POVM) -> np.ndarray:
        return classical_fisher(*self.outcomes(povm))


class CFIMObjective:
    r"""The task's bound from a CFIM, on the range B of the QFIM and with a small ridge,
    :math:`M = B^TCB + \epsilon\lambda_{\max}(F_Q)1` (``tolerances.readout_ridge``):

    .. math::
        f = v_r^TM^{-1}v_r\ (v_r = B^Tv),\qquad\text{or}\qquad
        f = \mathrm{tr}(WBM^{-1}B^T),

    smooth and finite where C is singular; :meth:`gradient` is :math:`G = \partial f/\partial C
    = -BM^{-1}B^TXBM^{-1}B^T` with :math:`X = vv^T` or W."""

    def __init__(self, task: Task, fq: np.ndarray):
        lam, vecs = np.linalg.eigh(fq)
        self.basis = vecs[:, lam > tolerances.rank_rtol * max(lam[-1], 0.0)]
        self.ridge = tolerances.readout_ridge * max(lam[-1], 0.0) * np.eye(self.basis.shape[1])
        self.weight = (np.outer(task.v, task.v) if task.v is not None
                       else np.diag(task.weights))

    def _inverse(self, fc: np.ndarray) -> np.ndarray:
        inverse = np.linalg.inv(self.basis.T @ fc @ self.basis + self.ridge)
        return self.basis @ inverse @ self.basis.T

    def __call__(self, fc: np.ndarray) -> float:
        return float(np.trace(self.weight @ self._inverse(fc)))

    def gradient(self, fc: np.ndarray) -> tuple[float, np.ndarray]:
        """(f, G)."""
        inverse = self._inverse(fc)
        grad = -inverse @ self.weight @ inverse
        return float(np.trace(self.weight @ inverse)), (grad + grad.T) / 2


# ----------------------------------------------------------------------------------------
# the families of local bases
# ----------------------------------------------------------------------------------------
def spin_components(sensor) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]] | None:
    r"""(J_y, J_z, V_z, labels) of a sensor whose one generator is the z component of a spin.

    From the sensor's :meth:`~qsn_qutip.Sensor.spin_basis` hooks: :math:`\hat J_a =
    V_aDV_a^\dagger` with :math:`D = V_z^\dagger\hat J_zV_z` (:math:`\hat J_z` the generator),
    accepted only when the three satisfy :math:`[\hat J_x, \hat J_y] = i\hat J_z` cyclically;
    None for a sensor without a spin (an optical mode, a Zeeman ladder) or whose generator is
    no spin component.

    Examples
    --------
    >>> from qsn_qutip import OpticalMode, QubitEnsemble
    >>> jy, jz, vz, labels = spin_components(QubitEnsemble(2))
    >>> labels, spin_components(OpticalMode(2)) is None
    (['m=-1', 'm=+0', 'm=+1'], True)
    """
    if sensor.n_params != 1:
        return None
    try:
        (vx, _), (vy, _), (vz, labels) = (sensor.spin_basis(a) for a in "xyz")
    except QSNError:
        return None
    jz = sensor.generators[0].full()
    vx, vy, vz = vx.full(), vy.full(), vz.full()
    d = vz.conj().T @ jz @ vz
    scale = max(1.0, np.abs(jz).max())
    if np.abs(d - np.diag(np.diag(d))).max() > tolerances.atol * scale:
        return None
    d = np.diag(np.diag(d).real)
    jx, jy = vx @ d @ vx.conj().T, vy @ d @ vy.conj().T
    for a, b, c in ((jx, jy, jz), (jy, jz, jx), (jz, jx, jy)):
        if np.abs(a @ b - b @ a - 1j * c).max() > 1e3 * tolerances.atol * scale:
            return None
    return jy, jz, vz, list(labels)


def particle_spin(sensor) -> tuple[tuple, int] | None:
    r"""(the spin components of one particle, n) when the sensor is n identical particles
    each a tensor factor (dims ``[d] * n``) and its generator :math:`\sum_i\hat j_z^{(i)}`
    (a qubit ensemble in the full basis, spin atoms); None otherwise (a Dicke ensemble, one
    particle, a mode).

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble
    >>> spin, n = particle_spin(QubitEnsemble(3, basis="full"))
    >>> n, spin[3], particle_spin(QubitEnsemble(3)) is None
    (3, ['-', '+'], True)
    """
    dims, n = list(sensor.dims), sensor.particles
    if sensor.n_params != 1 or n < 2 or len(dims) != n or len(set(dims)) != 1:
        return None
    single = sensor.with_particles(1)
    spin = spin_components(single)
    if spin is None or list(single.dims) != dims[:1]:
        return None
    one, eye = spin[1], np.eye(dims[0])
    total = sum(_kron([one if i == k else eye for i in range(n)]) for k in range(n))
    if np.abs(total - sensor.generators[0].full()).max() > tolerances.atol * max(1.0, n):
        return None
    return spin, n


def _kron(mats: list[np.ndarray]) -> np.ndarray:
    out = np.ones((1, 1))
    for m in mats:
        out = np.kron(out, m)
    return out


def _exp(eig: tuple[np.ndarray, np.ndarray], angle: float) -> np.ndarray:
    r""":math:`e^{-i\,\mathrm{angle}\,\hat H}` from the eigenpairs of :math:`\hat H`."""
    values, vecs = eig
    return (vecs * np.exp(-1j * angle * values)) @ vecs.conj().T


class SpinAxis:
    r"""The spin along :math:`\hat n = (\sin\vartheta\cos\varphi, \sin\vartheta\sin\varphi,
    \cos\vartheta)`: basis :math:`U = e^{-i\varphi\hat J_z}e^{-i\vartheta\hat J_y}V_z`,
    :math:`\partial_\vartheta: \delta\hat A = e^{-i\varphi\hat J_z}\hat J_ye^{i\varphi\hat J_z}`,
    :math:`\partial_\varphi: \delta\hat A = \hat J_z`.  With ``copies`` > 1 the spin is
    that of one of ``copies`` identical particles (:func:`particle_spin`), every one rotated
    alike and read out on its own (:math:`U^{\otimes n}`; the same information as the
    collective :math:`\hat J_{\hat n}` on permutation-invariant states), applied factor by
    factor."""

    size = 2

    def __init__(self, spin, copies: int = 1):
        jy, jz, self.vz, labels = spin
        self.jy, self.jz = jy, jz
        self.y, self.z = np.linalg.eigh(jy), np.linalg.eigh(jz)
        self.labels = [labels] * copies
        self.shape = [len(labels)] * copies

    def bases(self, x) -> list[np.ndarray]:
        return [_exp(self.z, x[1]) @ _exp(self.y, x[0]) @ self.vz] * len(self.shape)

    def gradient(self, x, zs: list[np.ndarray]) -> np.ndarray:
        rz = _exp(self.z, x[1])
        z = sum(zs)
        return np.array([np.trace(rz @ self.jy @ rz.conj().T @ z).real,
                         np.trace(self.jz @ z).real])

    def start(self) -> np.ndarray:
        return np.array([np.pi / 2, 0.0])                     # J_x: the default readout

    def random(self, rng: np.random.Generator) -> np.ndarray:
        return np.array([np.arccos(rng.uniform(-1, 1)), rng.uniform(0, 2 * np.pi)])

    def setting(self, x) -> dict:
        theta, phi = float(np.mod(x[0], 2 * np.pi)), float(np.mod(x[1], 2 * np.pi))
        if theta > np.pi:                                     # the same axis, theta in [0, pi]
            theta, phi = 2 * np.pi - theta, float(np.mod(phi + np.pi, 2 * np.pi))
        axis = [np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)]
        return {"family": "axis", "theta": theta, "phi": phi, "axis": axis}

    def recipe(self, x) -> str:
        s = self.setting(x)
        what = ("the collective spin J_n" if len(self.shape) == 1 else
                f"every one of the {len(self.shape)} particles along n")
        return (f"{what}, n = ({s['axis'][0]:.4f}, {s['axis'][1]:.4f}, {s['axis'][2]:.4f}) "
                f"(polar {np.degrees(s['theta']):.2f} deg from the generator's z axis, "
                f"azimuth {np.degrees(s['phi']):.2f} deg): a rotation pulse, then a population "
                f"readout")


class FreeBasis:
    r"""An arbitrary basis :math:`U = e^{-iA}V_0` (A Hermitian, :math:`d^2` real parameters,
    :math:`V_0` the sensor's default readout); the gradient through the Daleckii-Krein
    derivative of the exponential in the eigenbasis :math:`A = V\Lambda V^\dagger`:
    :math:`\partial f = \mathrm{Tr}(E\,K)`, :math:`K = V(\Gamma^T\circ V^\dagger YV)V^\dagger`,
    :math:`Y = ie^{iA}Z`, :math:`\Gamma_{ab} = (e^{-i\lambda_a}-e^{-i\lambda_b})/
    (\lambda_a-\lambda_b)`."""

    def __init__(self, sensor):
        v0, labels = sensor.readout_basis()
        self.v0 = v0.full()
        self.d = sensor.size
        self.size = self.d * self.d
        self.upper = np.triu_indices(self.d, 1)
        self.labels, self.shape = [labels], [self.d]

    def hermitian(self, x) -> np.ndarray:
        d, k = self.d, len(self.upper[0])
        a = np.diag(np.asarray(x[:d], dtype=complex))
        a[self.upper] = x[d:d + k] + 1j * x[d + k:]
        return a + np.triu(a, 1).conj().T

    def basis(self, x) -> np.ndarray:
        return _exp(np.linalg.eigh(self.hermitian(x)), 1.0) @ self.v0

    def bases(self, x) -> list[np.ndarray]:
        return [self.basis(x)]

    def gradient(self, x, zs: list[np.ndarray]) -> np.ndarray:
        z = zs[0]
        lam, vecs = np.linalg.eigh(self.hermitian(x))
        phases = np.exp(-1j * lam)
        gaps = lam[:, None] - lam[None, :]
        close = np.abs(gaps) <= tolerances.expm_gap_rtol * max(1.0, np.abs(lam).max())
        gamma = np.where(close, -1j * phases[:, None],
                         (phases[:, None] - phases[None, :]) / np.where(close, 1.0, gaps))
        y = 1j * ((vecs * phases.conj()) @ vecs.conj().T) @ z
        k = vecs @ (gamma.T * (vecs.conj().T @ y @ vecs)) @ vecs.conj().T
        rows, cols = self.upper
        return np.concatenate([np.diag(k).real, (k[cols, rows] + k[rows, cols]).real,
                               (1j * (k[cols, rows] - k[rows, cols])).real])

    def start(self) -> np.ndarray:
        return np.zeros(self.size)

    def random(self, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(size=self.size)

    def setting(self, x) -> dict:
        return {"family": "unitary", "unitary": self.basis(x)}

    def recipe(self, x) -> str:
        return ("a projective measurement in the basis U|j> (settings['unitary'], columns): "
                "an arbitrary basis of the sensor's space")


class PhaseShift:
    r"""The sensor's default readout after a phase :math:`e^{-i\varphi\hat H}` of its generator
    (:math:`\delta\hat A = \hat H`; no parameter for a sensor without exactly one)."""

    def __init__(self, sensor):
        v0, labels = sensor.readout_basis()
        self.v0 = v0.full()
        self.h = sensor.generators[0].full() if sensor.n_params == 1 else None
        self.eig = None if self.h is None else np.linalg.eigh(self.h)
        self.size = 0 if self.h is None else 1
        self.labels, self.shape = [labels], [sensor.size]

    def bases(self, x) -> list[np.ndarray]:
        return [self.v0 if self.h is None else _exp(self.eig, x[0]) @ self.v0]

    def gradient(self, x, zs: list[np.ndarray]) -> np.ndarray:
        return np.zeros(0) if self.h is None else np.array([np.trace(self.h @ zs[0]).real])

    def start(self) -> np.ndarray:
        return np.zeros(self.size)

    def random(self, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(0, 2 * np.pi, self.size)

    def setting(self, x) -> dict:
        return {"family": "phase", "phase": float(x[0]) if self.size else 0.0}

    def recipe(self, x) -> str:
        if self.h is None:
            return "its default readout"
        return (f"its default readout after a phase shift exp(-i ({float(x[0]):.4f}) H) of its "
                f"generator")


def families(network: Network, local: str) -> list:
    """One family per sensor: ``local="spin"``: the spin axis where the sensor has a spin, else
    an arbitrary basis up to :data:`MAX_UNITARY_DIMENSION`, else a phase; ``"unitary"``: an
    arbitrary basis for every sensor (refused above :data:`MAX_UNITARY_DIMENSION`)."""
    out = []
    for k, sensor in enumerate(network.sensors):
        particle = particle_spin(sensor) if local == "spin" else None
        spin = spin_components(sensor) if local == "spin" and particle is None else None
        if particle is not None:
            out.append(SpinAxis(*particle))
        elif spin is not None:
            out.append(SpinAxis(spin))
        elif sensor.size <= MAX_UNITARY_DIMENSION:
            out.append(FreeBasis(sensor))
        elif local == "spin":
            out.append(PhaseShift(sensor))
        else:
            raise QSNError(f"local='unitary' searches a d x d unitary per sensor up to d = "
                           f"{MAX_UNITARY_DIMENSION}; {network.which(k)} has d = {sensor.size}:"
                           f" use local='spin'")
    return out


class LocalSearch:
    r"""The product readouts of ``families`` on a measured state: the objective, its exact
    gradient (module docstring) and the seeded L-BFGS search.

    Every family acts on one or more tensor factors (a particle each, for :class:`SpinAxis`
    with copies); the POVM is the product basis over all factors, in the network's order.

    Parameters
    ----------
    network : Network
        The space the state is read out on.
    encoded : EncodedState
    objective : CFIMObjective
    families : list
        One family per sensor (:func:`families`).
    """

    #: iterations of one L-BFGS run
    MAX_ITER = 500

    def __init__(self, network: Network, encoded: EncodedState, objective: CFIMObjective,
                 families: list):
        self.network, self.encoded, self.objective = network, encoded, objective
        self.families = families
        self.cuts = np.cumsum([0] + [f.size for f in families])
        self.shape = [d for f in families for d in f.shape]
        if math.prod(self.shape) != network.size:
            raise QSNError(f"the local families act on {self.shape}, the network on dims "
                           f"{network.ket_dims}")
        self.factors = np.cumsum([0] + [len(f.shape) for f in families])
        labels = [lab for f in families for lab in f.labels]
        self.labels = [",".join(parts) for parts in itertools.product(*labels)]

    def split(self, x: np.ndarray) -> list[np.ndarray]:
        return [x[a:b] for a, b in zip(self.cuts[:-1], self.cuts[1:])]

    def povm(self, x: np.ndarray) -> POVM:
        bases = [b for f, xk in zip(self.families, self.split(x)) for b in f.bases(xk)]
        return POVM.from_storage(self.network.ket_dims, ProductBasis(tuple(bases)),
                                 self.labels, "best local readout")

    def value(self, x: np.ndarray) -> float:
        return self.objective(self.encoded.cfim(self.povm(x)))

    def value_and_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        povm = self.povm(x)
        p, dp = self.encoded.outcomes(povm)
        value, g = self.objective.gradient(classical_fisher(p, dp))
        keep = ~((p <= tolerances.atol) & np.all(np.abs(dp) <= np.sqrt(tolerances.atol), axis=1))
        safe = np.where(keep, p, 1.0)
        c = np.where(keep, -np.einsum("xk,kl,xl->x", dp, g, dp) / safe ** 2, 0.0)
        e = np.where(keep[:, None], 2 * dp @ g / safe[:, None], 0.0)
        rows = povm.storage                                   # W^dag X, factor by factor
        forward = ProductBasis(tuple(b.conj().T for b in rows.bases))   # W Y
        qx = np.zeros_like(self.encoded.rho)
        for coef, mat in [(c, self.encoded.rho)] + [(e[:, l], self.encoded.drho[l])
                                                    for l in range(e.shape[1])]:
            qx += forward.adjoint(coef[:, None] * rows.adjoint(mat))
        z = 1j * (qx.conj().T - qx)
        grads = [f.gradient(xk, [self._reduced(z, i) for i in range(a, b)])
                 for f, xk, a, b in zip(self.families, self.split(x), self.factors[:-1],
                                        self.factors[1:])]
        return value, np.concatenate(grads) if grads else np.zeros(0)

    def _reduced(self, z: np.ndarray, k: int) -> np.ndarray:
        """The partial trace of z over every factor but k."""
        before, after = math.prod(self.shape[:k]), math.prod(self.shape[k + 1:])
        t = z.reshape(before, self.shape[k], after, before, self.shape[k], after)
        return np.einsum("aibajb->ij", t)

    def run(self, rng: np.random.Generator, restarts: int) -> list[tuple[float, np.ndarray]]:
        """(objective, parameters) from the default readouts and ``restarts`` random starts."""
        starts = [np.concatenate([f.start() for f in self.families])]
        starts += [np.concatenate([f.random(rng) for f in self.families])
                   for _ in range(restarts)]
        found = []
        for x0 in starts:
            if self.cuts[-1] == 0:
                found.append((self.value(x0), x0))
                continue
            run = scipy.optimize.minimize(self.value_and_gradient, x0, jac=True,
                                          method="L-BFGS-B",
                                          options={"maxiter": self.MAX_ITER})
            found.append((float(run.fun), run.x))
        return found
