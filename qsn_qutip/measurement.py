r"""Measurements on a sensor network: POVMs, classical Fisher information, simulated experiments.

A measurement is a POVM :math:`\{\hat E_x\}`, :math:`\hat E_x\ge 0`, :math:`\sum_x\hat E_x = 1`,
on the network's space; with the encoded state :math:`\rho_\phi = U_\phi\rho U_\phi^\dagger`,
:math:`U_\phi = e^{-i\sum_j\phi_j\hat H_j}`, outcome x has probability
:math:`p_x(\phi) = \mathrm{Tr}(\hat E_x\rho_\phi)` and the classical Fisher information matrix
(CFIM) of the outcomes is

.. math::
    F^{C}_{kl}(\phi) = \sum_x \frac{\partial_k p_x\,\partial_l p_x}{p_x},\qquad
    \partial_k p_x = \mathrm{Tr}\big(\hat E_x\,(-i)[\hat H'_k, \rho_\phi]\big),

with :math:`\hat H'_k = U_\phi\tilde H_kU_\phi^\dagger` and :math:`\tilde H_k` the exact effective
generators (:func:`~qsn_qutip.fisher.effective_generators`; :math:`\tilde H_k=\hat H_k` when the
generators commute).  :math:`F^C \le F^Q` (the QFIM) for every POVM; a POVM *saturates* the QCRB
at :math:`\phi` when equality holds.

* :class:`POVM` — a validated list of effects (a plain list of positive ``Qobj`` works wherever a
  POVM is expected).  Built-ins on a :class:`~qsn_qutip.Network`: :func:`local_projective` (each
  sensor in its own basis), :func:`spin_readout` (local :math:`\hat J_z`, :math:`\hat J_x`, ...),
  :func:`local_readout` (the default local readout of separable probes), :func:`parity` (the
  two-outcome parity of a GHZ-like state), :func:`photon_counting` (optionally after a linear
  optical network such as :func:`beam_splitter`) and :func:`sld_readout` (the locally optimal
  measurement of Proposition 2).
* :func:`cfim` — the CFIM at :math:`\phi`, exact.
* :func:`simulate` — a Monte-Carlo experiment: multinomial outcome counts for :math:`\mu`
  repeats per trial, maximum-likelihood (or Bayesian) estimates, their mean and covariance
  against the QCRB and the CRB of the measurement (:class:`SimulationResult`);
  :func:`simulate_task` does the same for a probe of a network and a task
  (:class:`TaskSimulation`, used by ``qsn simulate``).
* :func:`holevo_bound` — the Holevo Cramér-Rao bound, the attainable bound for non-commuting
  generators (with collective measurements), as a semidefinite program (needs ``cvxpy``, the
  optional extra ``qsn_qutip[sdp]``).

Proposition 2 of the paper: for commuting generators the separable probe of Theorem 1 has a
block-diagonal QFIM, and a POVM made of *local* measurements, one per sensor, saturates its
QCRB — e.g. :func:`local_readout` for local GHZ probes (at every :math:`\phi` away from the
special points) or :func:`sld_readout` for any product probe (at the :math:`\phi` it is built
for).  All arithmetic here is dense on the network's space (:math:`D\times D` matrices): meant
for networks of dimension up to a few thousand.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.linalg

from .errors import QSNError
from ._checks import as_positive_int, as_real_vector, check_state
from ._linalg import diagonal_of, ket_array
from .estimation.qfim import qfim
from .operators import LocalOperator, check_generators, effective_generators
from .network import Network
from .options import tolerances
from .sensors import MultiLevelAtom, OpticalMode, QubitEnsemble, Sensor

__all__ = [
    "POVM", "local_projective", "spin_readout", "local_readout", "parity", "photon_counting",
    "beam_splitter", "sld_readout", "default_measurement",
    "outcome_probabilities", "cfim",
    "SimulationResult", "simulate",
    "holevo_bound",
]

#: probes for which :func:`default_measurement` is the GHZ parity (all others: local readout)
PARITY_PROBES = ("ghz", "optimal-ghz")

#: largest number of numbers (trials x grid points, or points x outcomes x dimension) handled
#: in one vectorised block by the simulation
_BLOCK = 1 << 22


# ----------------------------------------------------------------------------------------
# POVMs
# ----------------------------------------------------------------------------------------
def _apply_factors(mats: Sequence[np.ndarray | None], shape: tuple[int, ...],
                   x: np.ndarray) -> np.ndarray:
    r""":math:`(\bigotimes_k M_k)X` for the columns of X, factor by factor (None = identity)."""
    m = x.shape[1]
    t = x.reshape(*shape, m)
    for k, mat in enumerate(mats):
        if mat is not None:
            t = np.moveaxis(np.tensordot(mat, t, axes=([1], [k])), 0, k)
    return t.reshape(-1, m)


class POVM(Sequence):
    r"""A measurement: effects :math:`\hat E_x \ge 0` with :math:`\sum_x \hat E_x = 1`.

    Behaves as a read-only list of its effects (``Qobj``, built on request), with outcome
    ``labels`` and a ``name``.  Built-in measurements store the rank-one projectors of a
    product basis (or a list of vectors) instead of dense effects, so that a projective
    measurement of D outcomes costs :math:`O(D^2)` memory, not :math:`O(D^3)`.

    Parameters
    ----------
    effects : sequence of Qobj
        Positive semidefinite operators on one space (same ``dims``, kept: ``[[2, 2], [2, 2]]``
        is not ``[[4], [4]]``) that sum to the identity.
    labels : sequence of str, optional
        One name per outcome (default ``"0"``, ``"1"``, ...).
    name : str
        What the measurement is, for tables.

    Raises
    ------
    QSNError
        Naming the effect that is not a Hermitian positive semidefinite operator on the common
        dims, or the largest deviation of :math:`\sum_x\hat E_x` from the identity.

    Examples
    --------
    >>> import qutip
    >>> povm = POVM([qutip.basis(2, 0).proj(), qutip.basis(2, 1).proj()], ["up", "down"])
    >>> len(povm), povm.labels, povm.dims
    (2, ('up', 'down'), [2])
    """

    def __init__(self, effects: Sequence[qutip.Qobj], labels: Sequence[str] | None = None, *,
                 name: str = "povm"):
        dims, dense = _validated_effects(effects, "effects")
        self._setup(dims, "dense", dense, labels, name)

    # -- construction ------------------------------------------------------------------
    def _setup(self, dims: list[int], kind: str, data, labels, name: str) -> None:
        self.dims = list(dims)
        self.size = int(np.prod(self.dims))
        self._kind = kind
        self._data = data
        count = {"dense": lambda: data.shape[0], "vectors": lambda: data.shape[1],
                 "factors": lambda: int(np.prod([m.shape[1] for m in data[0]]))}[kind]()
        if labels is None:
            labels = [str(x) for x in range(count)]
        labels = tuple(str(x) for x in labels)
        if len(labels) != count:
            raise QSNError(f"labels must name each of the {count} outcomes, got {len(labels)}")
        self.labels = labels
        self.name = str(name)

    @classmethod
    def _trusted(cls, dims: list[int], kind: str, data, labels, name: str) -> "POVM":
        """A POVM built by this module (valid by construction: no eigenvalue checks)."""
        povm = cls.__new__(cls)
        povm._setup(dims, kind, data, labels, name)
        return povm

    @classmethod
    def _product_basis(cls, dims: list[int], bases: Sequence[np.ndarray], labels, name: str):
        """Rank-one projectors onto the product basis whose factor k has the columns of bases[k]."""
        shape = tuple(b.shape[0] for b in bases)
        return cls._trusted(dims, "factors", (tuple(bases), shape), labels, name)

    # -- the list interface ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"outcome {index} out of range for {count} outcomes")
        index %= count
        dims = [self.dims, self.dims]
        if self._kind == "dense":
            return qutip.Qobj(self._data[index], dims=dims)
        if self._kind == "vectors":
            w = self._data[:, index]
        else:
            bases, shape = self._data
            digits = np.unravel_index(index, tuple(b.shape[1] for b in bases))
            w = np.array([1.0 + 0j])
            for b, digit in zip(bases, digits):
                w = np.kron(w, b[:, digit])
        return qutip.Qobj(np.outer(w, w.conj()), dims=dims)

    def __repr__(self) -> str:
        return f"POVM({self.name!r}, {len(self)} outcomes on dims {self.dims})"

    # -- evaluation -------------------------------------------------------------------------
    @property
    def rank_one(self) -> bool:
        """True when every effect is a rank-one :math:`|w_x\\rangle\\langle w_x|` stored as a vector."""
        return self._kind != "dense"

    def _adjoint(self, x: np.ndarray) -> np.ndarray:
        r""":math:`\langle w_x|X` for the columns of X (rank-one kinds): shape (outcomes, m)."""
        if self._kind == "vectors":
            return self._data.conj().T @ x
        bases, shape = self._data
        return _apply_factors([b.conj().T for b in bases], shape, x)

    def _dense(self) -> np.ndarray:
        """The effects as one (outcomes, D, D) array."""
        if self._kind == "dense":
            return self._data
        w = self._adjoint(np.eye(self.size)).conj()             # rows: w_x
        return np.einsum("xi,xj->xij", w, w.conj())

    def _terms(self, state: np.ndarray, derivatives: np.ndarray | None, pure: bool):
        r"""(p, dp): :math:`p_x = \mathrm{Tr}(E_x\rho)`, :math:`\partial_kp_x = \mathrm{Tr}(E_x\partial_k\rho)`.

        ``state`` is a ket (D,) or a density matrix (D, D); ``derivatives`` the kets
        :math:`\partial_k\psi` as columns (D, d) or the matrices :math:`\partial_k\rho` (d, D, D).
        """
        if pure:
            if self.rank_one:
                cols = state[:, None] if derivatives is None else np.concatenate(
                    [state[:, None], derivatives], axis=1)
                amps = self._adjoint(cols)
                p = np.abs(amps[:, 0]) ** 2
                dp = None if derivatives is None else 2 * (amps[:, :1].conj() * amps[:, 1:]).real
                return p, dp
            images = self._data @ state                          # (outcomes, D): E_x psi
            p = (images @ state.conj()).real
            dp = None if derivatives is None else 2 * (images.conj() @ derivatives).real
            return p, dp
        if self.rank_one:
            left = self._adjoint(np.eye(self.size))              # (outcomes, D): <w_x|
            p = np.einsum("xi,ij,xj->x", left, state, left.conj()).real
            dp = None if derivatives is None else np.einsum(
                "xi,kij,xj->xk", left, derivatives, left.conj()).real
            return p, dp
        p = np.einsum("xij,ji->x", self._data, state).real
        dp = None if derivatives is None else np.einsum(
            "xij,kji->xk", self._data, derivatives).real
        return p, dp


    def _terms_many(self, state: np.ndarray, derivatives: np.ndarray | None, pure: bool):
        r""":meth:`_terms` at M points at once: kets (M, D) with derivatives (M, D, d), or density
        matrices (M, D, D) with derivatives (M, d, D, D); returns (M, outcomes), (M, outcomes, d)."""
        if pure and self.rank_one:
            amps = self._adjoint(state.T)                                    # (outcomes, M)
            p = (np.abs(amps) ** 2).T
            if derivatives is None:
                return p, None
            m, size, d = derivatives.shape
            damps = self._adjoint(np.moveaxis(derivatives, 1, 0).reshape(size, m * d))
            dp = 2 * (amps.conj()[:, :, None] * damps.reshape(-1, m, d)).real
            return p, np.moveaxis(dp, 0, 1)
        if pure:
            images = np.einsum("xab,mb->mxa", self._data, state)
            p = np.einsum("ma,mxa->mx", state.conj(), images).real
            if derivatives is None:
                return p, None
            return p, 2 * np.einsum("mxa,mak->mxk", images.conj(), derivatives).real
        effects = self._dense()
        p = np.einsum("xab,mba->mx", effects, state).real
        if derivatives is None:
            return p, None
        return p, np.einsum("xab,mkba->mxk", effects, derivatives).real


def _validated_effects(effects, name: str) -> tuple[list[int], np.ndarray]:
    """Check a user's list of effects; return (ket dims, dense (outcomes, D, D) array)."""
    if isinstance(effects, qutip.Qobj) or not isinstance(effects, Sequence) or not effects:
        raise QSNError(f"{name} must be a non-empty list of positive operators (Qobj) summing "
                       f"to the identity, got {type(effects).__name__}")
    dims = None
    mats = []
    for x, effect in enumerate(effects):
        label = f"{name}[{x}]"
        if not isinstance(effect, qutip.Qobj) or not effect.isoper:
            raise QSNError(f"{label} must be an operator Qobj, got {type(effect).__name__}"
                           + (f" of type {effect.type!r}" if isinstance(effect, qutip.Qobj)
                              else ""))
        if effect.dims[0] != effect.dims[1]:
            raise QSNError(f"{label} must be a square operator, got dims {effect.dims}")
        if dims is None:
            dims = list(effect.dims[0])
        elif list(effect.dims[0]) != dims:
            raise QSNError(f"{label} acts on dims {effect.dims[0]}, {name}[0] on {dims}")
        mat = effect.full()
        if not np.all(np.isfinite(mat)):
            raise QSNError(f"{label} contains NaN or inf entries")
        scale = max(1.0, np.abs(mat).max())
        if np.abs(mat - mat.conj().T).max() > tolerances.atol * scale:
            raise QSNError(f"{label} must be Hermitian")
        mat = (mat + mat.conj().T) / 2
        smallest = np.linalg.eigvalsh(mat)[0]
        if smallest < -tolerances.atol * scale:
            raise QSNError(f"{label} must be positive semidefinite: smallest eigenvalue "
                           f"{smallest:.3g}")
        mats.append(mat)
    dense = np.array(mats)
    deviation = np.abs(dense.sum(axis=0) - np.eye(dense.shape[1])).max()
    if deviation > 100 * tolerances.atol:
        raise QSNError(f"the effects of {name} must sum to the identity: largest deviation "
                       f"{deviation:.3g}")
    return dims, dense


def _as_povm(povm, dims: list[int], name: str = "povm") -> POVM:
    """A :class:`POVM` from a POVM or a list of effects, on the state's ``dims``."""
    if not isinstance(povm, POVM):
        found, dense = _validated_effects(povm, name)
        povm = POVM._trusted(found, "dense", dense, None, name)
    if povm.dims != list(dims):
        raise QSNError(f"{name} acts on dims {povm.dims}, the state has dims {list(dims)}")
    return povm


# ----------------------------------------------------------------------------------------
# built-in measurements on a network
# ----------------------------------------------------------------------------------------
def _check_network(network) -> Network:
    if not isinstance(network, Network):
        raise QSNError(f"network must be a Network, got {type(network).__name__}")
    return network


def _unitary_columns(basis, sensor: Sensor, name: str) -> np.ndarray:
    """The columns of a sensor's measurement basis (a unitary), checked."""
    if basis is None:
        return np.eye(sensor.size, dtype=complex)
    if isinstance(basis, qutip.Qobj):
        if not basis.isoper or list(basis.dims[0]) != list(sensor.dims) or \
                list(basis.dims[1]) != list(sensor.dims):
            raise QSNError(f"{name} must be a unitary operator on the sensor's dims "
                           f"{sensor.dims}, got a Qobj with dims {basis.dims}")
        mat = basis.full()
    else:
        try:
            mat = np.asarray(basis, dtype=complex)
        except (TypeError, ValueError):
            raise QSNError(f"{name} must be a unitary Qobj (its columns are the basis), got "
                           f"{type(basis).__name__}") from None
        if mat.shape != (sensor.size, sensor.size):
            raise QSNError(f"{name} must be a {sensor.size} x {sensor.size} unitary, got shape "
                           f"{mat.shape}")
    if not np.all(np.isfinite(mat)):
        raise QSNError(f"{name} contains NaN or inf entries")
    if np.abs(mat.conj().T @ mat - np.eye(sensor.size)).max() > 100 * tolerances.atol:
        raise QSNError(f"{name} must be unitary (its columns an orthonormal basis)")
    return mat


def local_projective(network: Network, bases: Sequence, *,
                     labels: Sequence[Sequence[str]] | None = None,
                     name: str = "local projective") -> POVM:
    r"""Each sensor measured in its own orthonormal basis: :math:`\hat E_{x} = \bigotimes_k|b_{k,x_k}\rangle\langle b_{k,x_k}|`.

    Parameters
    ----------
    network : Network
    bases : sequence
        One entry per sensor: a unitary ``Qobj`` (or array) on the sensor's space whose columns
        :math:`|b_{k,j}\rangle = U_k|j\rangle` are the basis, or ``None`` for the computational
        (Fock, Dicke, level) basis.
    labels : sequence of sequence of str, optional
        Each sensor's outcome names; outcome labels join them with commas.
    name : str

    Returns
    -------
    POVM
        :math:`\prod_k \dim\mathcal H_k` outcomes, in C order of the local outcomes.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(1), QubitEnsemble(1)])
    >>> local_projective(net, [None, None]).labels
    ('0,0', '0,1', '1,0', '1,1')
    """
    network = _check_network(network)
    if isinstance(bases, (qutip.Qobj, str)) or not isinstance(bases, Sequence) or \
            len(bases) != len(network.sensors):
        raise QSNError(f"bases must be a list with one entry per sensor "
                       f"({len(network.sensors)}): a unitary Qobj or None")
    mats = [_unitary_columns(b, s, f"bases[{k}]")
            for k, (b, s) in enumerate(zip(bases, network.sensors))]
    if labels is None:
        labels = [[str(j) for j in range(s.size)] for s in network.sensors]
    joined = [",".join(parts) for parts in itertools.product(*labels)]
    return POVM._product_basis(network.ket_dims, mats, joined, name)


def _spin_basis(sensor: Sensor, axis: str, k: int) -> tuple[np.ndarray, list[str]]:
    """Eigenbasis of the sensor's spin component along ``axis`` (ascending m) and its labels."""
    if isinstance(sensor, QubitEnsemble):
        if sensor.basis == "dicke":
            values, vecs = np.linalg.eigh(qutip.jmat(sensor.n / 2, axis).full())
            return vecs, [f"m={v:+g}" for v in np.round(values, 9)]
        values, one = np.linalg.eigh(qutip.jmat(0.5, axis).full())
        mats, labels = one, [f"{v:+g}" for v in np.round(2 * values, 9)]
        for _ in range(sensor.n - 1):
            mats = np.kron(mats, one)
        labels = ["".join(s) for s in itertools.product(["-", "+"], repeat=sensor.n)]
        return mats, labels
    if isinstance(sensor, MultiLevelAtom) and sensor.spin is not None:
        values, one = np.linalg.eigh(qutip.jmat(sensor.spin, axis).full())
        mats = one
        for _ in range(sensor.atoms - 1):
            mats = np.kron(mats, one)
        ms = [f"{v:+g}" for v in np.round(values, 9)]
        return mats, ["/".join(c) for c in itertools.product(ms, repeat=sensor.atoms)]
    if sensor.n_params == 0:
        return np.eye(sensor.size), [str(j) for j in range(sensor.size)]
    raise QSNError(f"spin_readout needs qubit ensembles or spin atoms (MultiLevelAtom(spin=...))"
                   f"; sensor {k} is {sensor!r}")


def spin_readout(network: Network, axis: str = "x") -> POVM:
    r"""Each sensor's collective spin measured along ``axis``: local :math:`\hat J_z` or :math:`\hat J_x` readout.

    Qubit ensembles in the Dicke basis measure :math:`\hat J_a` (outcomes :math:`m`); in the
    full basis every qubit is measured along a (outcomes ``"+-+..."``, a refinement with the same
    information on symmetric states); spin atoms measure each atom's :math:`\hat J_a`.
    Sensors without parameters are read out in their computational basis.  For a local GHZ
    probe :math:`\hat J_x` readout saturates the QCRB (its outcome determines the parity
    :math:`\prod_j\sigma_x^{(j)} = (-1)^{n/2-m_x}`), as it does for the product state
    :math:`|+\rangle^{\otimes n}` (CFI n).

    Parameters
    ----------
    network : Network
    axis : {"x", "y", "z"}

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> spin_readout(Network([QubitEnsemble(2)]), "z").labels
    ('m=-1', 'm=+0', 'm=+1')
    """
    network = _check_network(network)
    if axis not in ("x", "y", "z"):
        raise QSNError(f"axis must be 'x', 'y' or 'z', got {axis!r}")
    found = [_spin_basis(s, axis, k) for k, s in enumerate(network.sensors)]
    return local_projective(network, [b for b, _ in found], labels=[lab for _, lab in found],
                            name=f"local J_{axis} readout")


def _sensor_parity(sensor: Sensor, k: int) -> np.ndarray:
    r"""The sensor's parity :math:`\hat P_k` (:math:`\hat P_k^2 = 1`) exchanging its extremal states.

    Qubit ensembles: :math:`\prod_j\sigma_x^{(j)}`, which in the Dicke basis maps
    :math:`|m\rangle\to|-m\rangle` with sign +1 (the Dicke states are positive sums of
    computational states).  Other sensors with one parameter: the swap
    :math:`|\lambda_{\min}\rangle\leftrightarrow|\lambda_{\max}\rangle`, identity elsewhere.
    Sensors without parameters: the identity.
    """
    if sensor.n_params == 0:
        return np.eye(sensor.size)
    if sensor.n_params > 1:
        raise QSNError(f"parity needs one parameter per sensor; sensor {k} ({sensor!r}) carries "
                       f"{sensor.n_params}")
    if isinstance(sensor, QubitEnsemble):
        if sensor.basis == "dicke":
            return np.fliplr(np.eye(sensor.size))
        out = np.array([[1.0]])
        for _ in range(sensor.n):
            out = np.kron(out, np.array([[0.0, 1.0], [1.0, 0.0]]))
        return out
    lo, hi = (s.full().ravel() for s in sensor.extremal_states())
    swap = np.outer(lo, hi.conj()) + np.outer(hi, lo.conj())
    return np.eye(sensor.size) - np.outer(lo, lo.conj()) - np.outer(hi, hi.conj()) + swap


def parity(network: Network) -> POVM:
    r"""The GHZ parity: the two-outcome POVM :math:`\hat E_\pm = (1 \pm \hat P)/2`, :math:`\hat P = \bigotimes_k\hat P_k`.

    :math:`\hat P_k` exchanges sensor k's extremal states :math:`|\lambda_{\min,n_k}\rangle
    \leftrightarrow|\lambda_{\max,n_k}\rangle`: for qubit ensembles it is the physical parity
    :math:`\prod_j\sigma_x^{(j)}`, which in the Dicke basis maps :math:`|m\rangle` to
    :math:`|-m\rangle` with sign +1; for other sensors the swap of the two states (identity on
    the rest); sensors without parameters are not measured.  :math:`\hat P` exchanges the two
    branches of every GHZ-like state (Eq. 1), the sign-swapped gradient state
    :math:`|{\downarrow}^{n_1}{\uparrow}^{n_2}\rangle + |{\uparrow}^{n_1}{\downarrow}^{n_2}\rangle`
    included, so :math:`\langle\hat P\rangle_\phi = \cos(\Delta(\phi))` with :math:`\Delta` the
    phase between the branches, :math:`p_\pm = (1\pm\cos\Delta)/2`, and the CFI equals the QFI
    (:math:`N^2` for N qubits) wherever :math:`\sin\Delta \ne 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble, states
    >>> net = Network([QubitEnsemble(3)])
    >>> F = cfim(states.ghz_like(net, [1.0]), net.generators, parity(net), [0.3])
    >>> round(float(F[0, 0]), 9)
    9.0
    """
    network = _check_network(network)
    total = np.array([[1.0]])
    for k, sensor in enumerate(network.sensors):
        total = np.kron(total, _sensor_parity(sensor, k))
    eye = np.eye(network.size)
    effects = np.array([(eye + total) / 2, (eye - total) / 2], dtype=complex)
    return POVM._trusted(network.ket_dims, "dense", effects, ("+1", "-1"), "parity")


def _readout_basis(sensor: Sensor, k: int) -> tuple[np.ndarray, list[str]]:
    """The default local readout basis of a sensor (see :func:`local_readout`)."""
    if isinstance(sensor, QubitEnsemble):
        return _spin_basis(sensor, "x", k)
    if sensor.n_params == 0:
        return np.eye(sensor.size), [str(j) for j in range(sensor.size)]
    values, vecs = np.linalg.eigh(_sensor_parity(sensor, k))
    return vecs, [f"{'+' if v > 0 else '-'}{j}" for j, v in enumerate(values)]


def local_readout(network: Network) -> POVM:
    r"""The default local measurement of separable probes: one projective measurement per sensor.

    * qubit ensembles: :math:`\hat J_x` readout (:func:`spin_readout`);
    * other sensors with one parameter: the eigenbasis of the sensor's parity
      :math:`\hat P_k` (:func:`parity`), i.e. :math:`(|\lambda_{\min}\rangle \pm
      |\lambda_{\max}\rangle)/\sqrt2` and the remaining basis states;
    * sensors without parameters: their computational basis.

    Both saturate the QCRB of a local GHZ probe away from its special points (Proposition 2:
    a product of local measurements is optimal for the Theorem 1 probe); :math:`\hat J_x`
    also saturates it for qubits in :math:`|+\rangle^{\otimes n}`.  For other probes (a
    coherent state of a mode, which needs a phase reference) they need not be optimal: compare
    :func:`cfim` with the QFIM, or use :func:`sld_readout`.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, OpticalMode, QubitEnsemble, qfim, states
    >>> net = Network([QubitEnsemble(2), OpticalMode(3)])
    >>> psi = states.local_ghz(net)
    >>> np.round(cfim(psi, net.generators, local_readout(net), [0.2, 0.3]), 9)
    array([[4., 0.],
           [0., 9.]])
    """
    network = _check_network(network)
    found = [_readout_basis(s, k) for k, s in enumerate(network.sensors)]
    return local_projective(network, [b for b, _ in found], labels=[lab for _, lab in found],
                            name="local readout")


def _check_modes(network: Network, what: str) -> None:
    for k, sensor in enumerate(network.sensors):
        if not isinstance(sensor, OpticalMode):
            raise QSNError(f"{what} needs optical modes; sensor {k} is {sensor!r}")


def photon_counting(network: Network, unitary: qutip.Qobj | None = None) -> POVM:
    r"""Photon counting in every mode, optionally after a linear optical network ``unitary``.

    .. math::
        \hat E_{\mathbf n} = \hat V^\dagger|\mathbf n\rangle\langle\mathbf n|\hat V,\qquad
        p_{\mathbf n} = |\langle\mathbf n|\hat V|\psi_\phi\rangle|^2,

    with :math:`\hat V` the network applied before the detectors (e.g. :func:`beam_splitter`),
    the identity by default.  For a NOON state :math:`(|N,0\rangle+|0,N\rangle)/\sqrt2`,
    counting after a balanced beam splitter gives CFI :math:`N^2` (the QFI) away from the
    special points; counting alone gives none.

    Parameters
    ----------
    network : Network
        Every sensor an :class:`~qsn_qutip.OpticalMode` (phase references included).
    unitary : Qobj, optional
        A unitary on the network's space (dims kept).

    Examples
    --------
    >>> from qsn_qutip import Network, OpticalMode, states
    >>> net = Network([OpticalMode(2), OpticalMode(2, generator=None)])
    >>> povm = photon_counting(net, beam_splitter(net))
    >>> round(float(cfim(states.noon(net, 2), net.generators, povm, [0.3])[0, 0]), 9)
    4.0
    """
    network = _check_network(network)
    _check_modes(network, "photon_counting")
    labels = [[str(n) for n in range(s.size)] for s in network.sensors]
    joined = [",".join(parts) for parts in itertools.product(*labels)]
    if unitary is None:
        return POVM._product_basis(network.ket_dims, [np.eye(s.size) for s in network.sensors],
                                   joined, "photon counting")
    if not isinstance(unitary, qutip.Qobj) or not unitary.isoper or \
            unitary.dims != network.dims:
        raise QSNError(f"unitary must be an operator Qobj with the network's dims "
                       f"{network.dims}, got "
                       + (f"dims {unitary.dims}" if isinstance(unitary, qutip.Qobj)
                          else type(unitary).__name__))
    mat = unitary.full()
    if np.abs(mat.conj().T @ mat - np.eye(network.size)).max() > 100 * tolerances.atol:
        raise QSNError("unitary must be unitary")
    return POVM._trusted(network.ket_dims, "vectors", mat.conj().T, joined,
                         "photon counting after a linear network")


def beam_splitter(network: Network, modes: tuple[int, int] = (0, 1), *,
                  transmissivity: float = 0.5, phase: float = 0.0) -> qutip.Qobj:
    r"""A beam splitter between two modes of the network, as a unitary on the whole network.

    .. math::
        \hat B = \exp\!\big[\vartheta\,(e^{i\varphi}\hat a^\dagger\hat b
        - e^{-i\varphi}\hat a\hat b^\dagger)\big],\qquad \cos^2\vartheta = T,

    so :math:`\hat B^\dagger\hat a\hat B = \cos\vartheta\,\hat a + e^{i\varphi}\sin\vartheta\,\hat b`.
    :math:`\hat a^\dagger\hat b` conserves the total photon number, so in the truncated space
    :math:`\hat B` is exact on every state with at most ``cutoff`` photons in the two modes
    together (the NOON states of :func:`~qsn_qutip.states.noon`).

    Parameters
    ----------
    network : Network
    modes : (int, int)
        The two sensors (optical modes) it acts on.
    transmissivity : float
        T in [0, 1]; 0.5 is the balanced (50:50) beam splitter.
    phase : float
        :math:`\varphi`.

    Examples
    --------
    >>> from qsn_qutip import Network, OpticalMode
    >>> beam_splitter(Network([OpticalMode(2), OpticalMode(2)])).dims
    [[3, 3], [3, 3]]
    """
    network = _check_network(network)
    try:
        a_site, b_site = (int(m) for m in modes)
    except (TypeError, ValueError):
        raise QSNError(f"modes must be two sensor indices, got {modes!r}") from None
    count = len(network.sensors)
    if not (0 <= a_site < count and 0 <= b_site < count) or a_site == b_site:
        raise QSNError(f"modes must be two different sensor indices below {count}, got {modes!r}")
    for site in (a_site, b_site):
        if not isinstance(network.sensors[site], OpticalMode):
            raise QSNError(f"beam_splitter acts on optical modes; sensor {site} is "
                           f"{network.sensors[site]!r}")
    t = float(transmissivity)
    if not 0.0 <= t <= 1.0:
        raise QSNError(f"transmissivity must lie in [0, 1], got {transmissivity!r}")
    angle = np.arccos(np.sqrt(t))

    def lowering(site: int) -> qutip.Qobj:
        return qutip.tensor([qutip.destroy(s.size) if k == site else qutip.qeye(s.dims)
                             for k, s in enumerate(network.sensors)])

    a, b = lowering(a_site), lowering(b_site)
    exponent = angle * (np.exp(1j * phase) * a.dag() * b - np.exp(-1j * phase) * a * b.dag())
    return exponent.expm()


def sld_readout(network: Network, state: qutip.Qobj, phi: Sequence[float]) -> POVM:
    r"""Each sensor measured in the eigenbasis of its local SLD at :math:`\phi` (Proposition 2).

    For sensor k (one parameter, generator :math:`\hat h_k`) with reduced state
    :math:`\rho_k(\phi) = \sum_i\lambda_i|i\rangle\langle i|` of the encoded probe,
    :math:`\partial\rho_k = -i[\hat h_k,\rho_k]` and

    .. math::
        \hat L_k = \sum_{\lambda_i+\lambda_j>0}\frac{2\langle i|\partial\rho_k|j\rangle}
        {\lambda_i+\lambda_j}|i\rangle\langle j|;

    measuring its eigenbasis gives the sensor's single-parameter QFI at :math:`\phi` (Braunstein
    and Caves).  On a product probe — the separable probe of Theorem 1 — the product of these
    local measurements has a CFIM equal to the (diagonal) QFIM at :math:`\phi`: the measurement
    Proposition 2 guarantees, here built explicitly.  It is optimal at :math:`\phi` itself
    (locally), so an experiment adapts it to a prior estimate.  Sensors without parameters are
    read out in their computational basis.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble, qfim, states
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(3)])
    >>> psi = states.product(net)
    >>> F = cfim(psi, net.generators, sld_readout(net, psi, [0.1, 0.2]), [0.1, 0.2])
    >>> bool(np.allclose(F, qfim(psi, net.generators)))
    True
    """
    network = _check_network(network)
    state = network.check(state)
    encoded = network.encode(state, phi)
    bases = []
    for k, sensor in enumerate(network.sensors):
        if sensor.n_params == 0:
            bases.append(None)
            continue
        if sensor.n_params > 1:
            raise QSNError(f"sld_readout needs one parameter per sensor; sensor {k} "
                           f"({sensor!r}) carries {sensor.n_params}")
        rho = network.reduced_state(encoded, k).full()
        h = sensor.generators[0].full()
        lam, vecs = np.linalg.eigh((rho + rho.conj().T) / 2)
        drho = vecs.conj().T @ (-1j * (h @ rho - rho @ h)) @ vecs
        total = lam[:, None] + lam[None, :]
        keep = total > tolerances.eig_cutoff * max(lam[-1], 0.0)
        sld = np.where(keep, 2 * drho / np.where(keep, total, 1.0), 0.0)
        _, local = np.linalg.eigh((sld + sld.conj().T) / 2)
        bases.append(vecs @ local)
    return local_projective(network, bases, name="local SLD readout")


def default_measurement(network: Network, probe: str | None = None) -> POVM:
    """The measurement :func:`simulate_task` (and ``qsn simulate``) uses for a probe.

    * ``"ghz"``, ``"optimal-ghz"`` (GHZ-like, Eq. 1): :func:`parity`, which saturates their
      QCRB for :math:`\\theta = v^T\\phi`;
    * every other probe (``"local-ghz"``, ``"optimal-separable"``, ``"product"``, a user's
      state): :func:`local_readout`, which saturates the QCRB of local GHZ probes (and of qubits
      in :math:`|+\\rangle^{\\otimes n}`); Proposition 2 guarantees a saturating local
      measurement for every Theorem 1 probe (:func:`sld_readout`).

    Raises
    ------
    QSNError
        For ``"time-shared"`` (a reference strategy, not a probe state) or a network with a
        sensor of several parameters (no default).
    """
    network = _check_network(network)
    if probe == "time-shared":
        raise QSNError("time-shared is a reference strategy (particles moved between sensors "
                       "shot by shot), not a probe state of the network: nothing to simulate")
    many = [k for k, s in enumerate(network.sensors) if s.n_params > 1]
    if many:
        k = many[0]
        raise QSNError(f"no default measurement for a sensor with several parameters (sensor "
                       f"{k}, {network.sensors[k]!r}, carries {network.sensors[k].n_params}): "
                       f"build a POVM and use simulate(); holevo_bound() gives the attainable "
                       f"bound")
    if probe in PARITY_PROBES:
        return parity(network)
    return local_readout(network)


# ----------------------------------------------------------------------------------------
# outcome probabilities and their derivatives
# ----------------------------------------------------------------------------------------
def _dense_generators(generators, dims: list[int]) -> list[qutip.Qobj]:
    gens = check_generators(generators, dims)
    return [g.to_qobj() if isinstance(g, LocalOperator) else g for g in gens]


def _state_array(state: qutip.Qobj) -> np.ndarray:
    """The ket (D,) or density matrix (D, D) of a checked state, normalised and positive."""
    if state.isket:
        psi = np.asarray(ket_array(state), dtype=complex)
        if not np.all(np.isfinite(psi)):
            raise QSNError("state contains NaN or inf entries")
        norm = np.vdot(psi, psi).real
        if abs(norm - 1) > 100 * tolerances.atol:
            raise QSNError(f"state must be normalised: <psi|psi> is {norm:.12g}, expected 1")
        return psi
    rho = state.full()
    if not np.all(np.isfinite(rho)):
        raise QSNError("state contains NaN or inf entries")
    if np.abs(rho - rho.conj().T).max() > tolerances.atol:
        raise QSNError("state (density matrix) must be Hermitian")
    trace = np.trace(rho).real
    if abs(trace - 1) > 100 * tolerances.atol:
        raise QSNError(f"state must be normalised: the trace of rho is {trace:.12g}, expected 1")
    smallest = np.linalg.eigvalsh(rho)[0]
    if smallest < -tolerances.atol:
        raise QSNError(f"state (density matrix) must be positive semidefinite: smallest "
                       f"eigenvalue {smallest:.3g}")
    return (rho + rho.conj().T) / 2


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


class _Model:
    r"""Outcome probabilities :math:`p_x(\phi)` and derivatives of (state, generators, POVM).

    Commuting generators are diagonalised once, :math:`\hat H_k = V\Lambda_kV^\dagger`, so
    :math:`|\psi_\phi\rangle = V e^{-i\Lambda\cdot\phi}V^\dagger|\psi\rangle` is cheap at many
    :math:`\phi` at once (the simulation).  Non-commuting ones: :meth:`point` uses
    :func:`scipy.linalg.expm` and the exact effective generators (as the QFIM does),
    :meth:`batch` one batched eigendecomposition per block of points and the Daleckii-Krein
    derivative of the exponential; the two agree to rounding.
    """

    def __init__(self, state: qutip.Qobj, generators: list[qutip.Qobj], povm: POVM):
        self.pure = state.isket
        self.state = _state_array(state)
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

    # -- one phi, in the lab frame -------------------------------------------------------------
    def point(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(p, dp) at one phi: shapes (outcomes,), (outcomes, d)."""
        if self.commuting:
            return self._point_commuting(phi)
        return self._point_general(phi)

    def _to_lab(self, x: np.ndarray) -> np.ndarray:
        return x if self.V is None else self.V @ x

    def _rotated_state(self) -> np.ndarray:
        if self.V is None:
            return self.state
        if self.pure:
            return self.V.conj().T @ self.state
        return self.V.conj().T @ self.state @ self.V

    def _point_commuting(self, phi):
        phases = np.exp(-1j * (self.lam @ phi))
        rotated = self._rotated_state()
        if self.pure:
            y = phases * rotated
            dy = -1j * self.lam * y[:, None]
            return self.povm._terms(self._to_lab(y), self._to_lab(dy), True)
        rho = rotated * np.outer(phases, phases.conj())
        diff = self.lam[:, None, :] - self.lam[None, :, :]            # (D, D, d)
        drho = np.moveaxis(-1j * diff * rho[:, :, None], 2, 0)
        if self.V is not None:
            rho = self.V @ rho @ self.V.conj().T
            drho = self.V @ drho @ self.V.conj().T
        return self.povm._terms(rho, drho, False)

    def _point_general(self, phi):
        unitary = scipy.linalg.expm(-1j * sum(p * m for p, m in zip(phi, self.mats)))
        eff = [g.full() for g in effective_generators(self.generators, phi)]
        if self.pure:
            images = np.stack([h @ self.state for h in eff], axis=1)
            return self.povm._terms(unitary @ self.state, -1j * (unitary @ images), True)
        rho = self.state
        drho = np.array([unitary @ (-1j * (h @ rho - rho @ h)) @ unitary.conj().T for h in eff])
        return self.povm._terms(unitary @ rho @ unitary.conj().T, drho, False)

    # -- many phi at once (commuting generators) ---------------------------------------------
    def _prepare(self):
        """Operators in the generators' eigenbasis, computed once for :meth:`batch`."""
        if self._prepared is not None:
            return self._prepared
        rotated = self._rotated_state()
        povm = self.povm
        if self.pure and povm.rank_one:
            basis = np.eye(povm.size) if self.V is None else self.V
            self._prepared = ("amplitudes", povm._adjoint(basis) * rotated[None, :])
        elif self.pure:
            effects = povm._data if self.V is None else np.einsum(
                "ia,xij,jb->xab", self.V.conj(), povm._data, self.V)
            self._prepared = ("quadratic", effects, rotated)
        else:
            effects = povm._dense()
            if self.V is not None:
                effects = np.einsum("ia,xij,jb->xab", self.V.conj(), effects, self.V)
            # p_x = sum_ab E'_{x,ba} rho'_{ab} e^{-i (lam_a - lam_b) . phi}
            weights = np.einsum("xba,ab->xab", effects, rotated).reshape(len(povm), -1)
            diff = (self.lam[:, None, :] - self.lam[None, :, :]).reshape(-1, self.d)
            keep = np.flatnonzero(np.abs(weights).max(axis=0) > 0)
            self._prepared = ("frequencies", weights[:, keep], diff[keep])
        return self._prepared

    def batch(self, points: np.ndarray, derivatives: bool = True):
        """(p, dp) at many phi (rows of ``points``): shapes (M, outcomes), (M, outcomes, d)."""
        points = np.atleast_2d(points)
        n, size = len(self.povm), self.povm.size
        if self.commuting:
            prepared = self._prepare()
            width = {"amplitudes": n + size, "quadratic": n * size,
                     "frequencies": prepared[1].shape[1] if prepared[0] == "frequencies" else 1}
            step = max(1, _BLOCK // max(1, width[prepared[0]] * (1 + self.d)))
        else:
            step = max(1, _BLOCK // (size * size * (2 + self.d) + n * size * (1 + self.d)))
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
        of :meth:`point`, :math:`\partial_kU = -iU\tilde H_k`).
        """
        mats = np.array(self.mats)                                     # (d, D, D)
        lam, vecs = np.linalg.eigh(np.einsum("mk,kab->mab", points, mats))
        phases = np.exp(-1j * lam)                                     # (M, D)
        unitary = np.einsum("mab,mb,mcb->mac", vecs, phases, vecs.conj())
        gaps = lam[:, :, None] - lam[:, None, :]
        close = np.abs(gaps) <= 1e-9 * max(1.0, np.abs(lam).max())
        gamma = np.where(close, -1j * phases[:, :, None],
                         (phases[:, :, None] - phases[:, None, :]) / np.where(close, 1.0, gaps))
        rotated = np.einsum("mba,kbc,mcd->mkad", vecs.conj(), mats, vecs)  # V^dag H_k V
        povm = self.povm
        if self.pure:
            coeffs = np.einsum("mba,b->ma", vecs.conj(), self.state)      # V^dag psi
            psi = unitary @ self.state                                      # (M, D)
            dpsi = np.einsum("mab,mkbc,mc->mak", vecs, gamma[:, None] * rotated, coeffs)
            return povm._terms_many(psi, dpsi if derivatives else None, True)
        rho = np.einsum("mab,bc,mdc->mad", unitary, self.state, unitary.conj())
        if not derivatives:
            return povm._terms_many(rho, None, False)
        dunitary = np.einsum("mab,mkbc,mdc->mkad", vecs, gamma[:, None] * rotated, vecs.conj())
        drho = np.einsum("mkab,bc,mdc->mkad", dunitary, self.state, unitary.conj())
        drho = drho + np.conj(np.swapaxes(drho, 2, 3))
        return povm._terms_many(rho, drho, False)

    def _batch(self, prepared, points, derivatives):
        kind = prepared[0]
        if kind == "frequencies":
            _, weights, diff = prepared
            phases = np.exp(-1j * (diff @ points.T))                  # (terms, M)
            p = (weights @ phases).real.T
            if not derivatives:
                return p, None
            dp = np.stack([(weights @ (-1j * diff[:, k:k + 1] * phases)).real.T
                           for k in range(self.d)], axis=2)
            return p, dp
        phases = np.exp(-1j * (points @ self.lam.T))                   # (M, D)
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
        ey = np.einsum("xab,mb->mxa", effects, y)
        p = np.einsum("ma,mxa->mx", y.conj(), ey).real
        if not derivatives:
            return p, None
        dy = -1j * y[:, :, None] * self.lam[None, :, :]                # (M, D, d)
        return p, 2 * np.einsum("mxa,mak->mxk", ey.conj(), dy).real


def _classical_fisher(p: np.ndarray, dp: np.ndarray) -> np.ndarray:
    r""":math:`\sum_x \partial p_x\partial p_x^T/p_x`, skipping outcomes that carry no information.

    An outcome with :math:`p_x \le` ``tolerances.atol`` whose derivatives all vanish
    (:math:`|\partial_kp_x|\le\sqrt{\mathrm{atol}}`) is skipped: at a zero of a smooth
    :math:`p_x\ge0` the derivative vanishes too and :math:`(\partial p)^2/p` is 0/0, whose limit
    the exact :math:`\phi` does not determine (the special points, e.g. :math:`n\phi\in\pi\mathbb Z`
    for GHZ parity, where the CFI drops to the remaining outcomes' share).
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


def _phi(phi, d: int) -> np.ndarray:
    return np.zeros(d) if phi is None else as_real_vector(phi, "phi", length=d)


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
    gens = _dense_generators(generators, state.dims[0])
    model = _Model(state, gens, _as_povm(povm, state.dims[0]))
    return model.point(_phi(phi, len(gens)))[0]


def cfim(state: qutip.Qobj, generators: Sequence, povm,
         phi: Sequence[float] | None = None) -> np.ndarray:
    r"""Classical Fisher information matrix of the outcomes of ``povm`` on the encoded ``state``.

    .. math::
        F^C_{kl}(\phi) = \sum_{x} \frac{\partial_k p_x\,\partial_l p_x}{p_x},\quad
        p_x = \mathrm{Tr}(\hat E_x\rho_\phi),\quad
        \partial_k p_x = \mathrm{Tr}\big(\hat E_x(-i)[\hat H'_k,\rho_\phi]\big),

    exact: :math:`\hat H'_k = U_\phi\tilde H_kU_\phi^\dagger` with the effective generators
    :math:`\tilde H_k` of :func:`~qsn_qutip.fisher.effective_generators` (the generators
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
    gens = _dense_generators(generators, state.dims[0])
    model = _Model(state, gens, _as_povm(povm, state.dims[0]))
    p, dp = model.point(_phi(phi, len(gens)))
    return _classical_fisher(p, dp)


# ----------------------------------------------------------------------------------------
# simulated experiments
# ----------------------------------------------------------------------------------------
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
        edge = (self.estimates <= lo + 1e-9 * width) | (self.estimates >= hi - 1e-9 * width)
        return float(np.mean(np.any(edge, axis=1)))


def _spread(generator: qutip.Qobj) -> float:
    r""":math:`\lambda_{\max}-\lambda_{\min}` of a generator."""
    diag = diagonal_of(generator)
    values = diag if diag is not None else np.linalg.eigvalsh(generator.full())
    return float(values.max() - values.min())


def _bracket(bracket, phi: np.ndarray, gens: list[qutip.Qobj]) -> np.ndarray:
    if bracket is None:
        spreads = np.array([_spread(g) for g in gens])
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


def _loglik(model: _Model, points: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Log-likelihood of each row of counts at the matching row of points."""
    p, _ = model.batch(points, derivatives=False)
    return np.sum(counts * np.log(np.maximum(p, 1e-300)), axis=1)


def _grid(bracket: np.ndarray, per_axis: Sequence[int]) -> np.ndarray:
    axes = [np.linspace(lo, hi, g) for (lo, hi), g in zip(bracket, per_axis)]
    return np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)


def _mle(model: _Model, counts: np.ndarray, bracket: np.ndarray, repeats: int) -> np.ndarray:
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
    chunk = max(1, _BLOCK // len(grid))
    p_grid, _ = model.batch(grid, derivatives=False)
    log_grid = np.log(np.maximum(p_grid, 1e-300)).T
    for start in range(0, trials, chunk):
        x[start:start + chunk] = grid[np.argmax(counts[start:start + chunk] @ log_grid, axis=1)]
    lo, hi = bracket[:, 0], bracket[:, 1]
    tol = 1e-12 * (hi - lo)
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
        scale = np.maximum(np.trace(info, axis1=1, axis2=2), 1e-300)
        info = info + 1e-12 * scale[:, None, None] * np.eye(d)
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
        flat = new_ll - start_ll <= 1e-14 * np.maximum(1.0, np.abs(start_ll))
        x[active], ll[active] = new, new_ll
        done[active] = small | flat | pending
    return x


def _bayes(model: _Model, counts: np.ndarray, bracket: np.ndarray, sigma: np.ndarray,
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
    log_grid = np.log(np.maximum(p_grid, 1e-300)).T
    out = np.empty((counts.shape[0], model.d))
    chunk = max(1, _BLOCK // len(grid))
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
        When the CFIM at ``phi_true`` is singular: some combination of the parameters is not
        identifiable from this measurement.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble, states
    >>> net = Network([QubitEnsemble(2)])
    >>> res = simulate(states.ghz_like(net, [1.0]), net.generators, parity(net),
    ...                [0.3927], repeats=100, trials=200, seed=1)
    >>> res.estimates.shape, round(float(res.crb[0, 0]), 12)
    ((200, 1), 0.0025)
    """
    state = check_state(state)
    gens = _dense_generators(generators, state.dims[0])
    povm = _as_povm(povm, state.dims[0])
    phi = as_real_vector(phi_true, "phi_true", length=len(gens))
    mu = as_positive_int(repeats, "repeats")
    count = as_positive_int(trials, "trials", minimum=2)
    if estimator not in ("mle", "bayes"):
        raise QSNError(f"estimator must be 'mle' or 'bayes', got {estimator!r}")
    box = _bracket(bracket, phi, gens)
    model = _Model(state, gens, povm)
    p, dp = model.point(phi)
    fc = _classical_fisher(p, dp)
    lam = np.linalg.eigvalsh(fc)
    if lam[0] <= tolerances.rank_rtol * max(lam[-1], 0.0) or lam[-1] <= 0:
        raise QSNError(f"the CFIM of {povm.name} at phi_true is singular (eigenvalues "
                       f"{np.round(lam, 6).tolist()}): not every parameter is identifiable; "
                       f"estimate the identifiable combinations, e.g. theta = v . phi with the "
                       f"single generator sum_k v_k H_k / |v|^2")
    fq = qfim(state, gens, phi)
    rng = np.random.default_rng(seed)
    prob = np.clip(p, 0.0, None)
    counts = rng.multinomial(mu, prob / prob.sum(), size=count).astype(float)
    if estimator == "mle":
        estimates = _mle(model, counts, box, mu)
    else:
        sigma = np.sqrt(np.diag(np.linalg.inv(fc)) / mu)
        estimates = _bayes(model, counts, box, sigma, grid_points)
    return SimulationResult(phi, estimates, mu, fq, fc, estimator, box, seed, povm.name)


# ----------------------------------------------------------------------------------------
# the Holevo bound
# ----------------------------------------------------------------------------------------
def _hermitian_basis_images(psi: np.ndarray, drhos: Sequence[np.ndarray]):
    r"""(R, G) for the orthonormal Hermitian basis :math:`\{\lambda_a\}` of :math:`D\times D` matrices.

    The basis: :math:`E_{ii}`, :math:`(E_{ij}+E_{ji})/\sqrt2` and :math:`(-iE_{ij}+iE_{ji})/\sqrt2`
    for i < j (:math:`\mathrm{Tr}\,\lambda_a\lambda_b = \delta_{ab}`).  Column a of R is
    :math:`\mathrm{vec}(\lambda_a\Psi)` with :math:`\rho = \Psi\Psi^\dagger`; row a of G holds
    :math:`\mathrm{Tr}(\lambda_a\partial_l\rho)` (real).
    """
    dim, rank = psi.shape
    root = 1 / np.sqrt(2)
    upper_i, upper_j = np.triu_indices(dim, 1)
    pairs = upper_i.size
    count = dim + 2 * pairs
    images = np.zeros((count, dim, rank), complex)
    images[np.arange(dim), np.arange(dim)] = psi
    re = np.arange(dim, dim + pairs)
    im = re + pairs
    images[re, upper_i] = root * psi[upper_j]
    images[re, upper_j] = root * psi[upper_i]
    images[im, upper_i] = -1j * root * psi[upper_j]
    images[im, upper_j] = 1j * root * psi[upper_i]
    rows = np.empty((count, len(drhos)))
    for l, drho in enumerate(drhos):
        rows[:dim, l] = np.real(np.diag(drho))
        rows[re, l] = np.sqrt(2) * drho[upper_i, upper_j].real
        rows[im, l] = -np.sqrt(2) * drho[upper_i, upper_j].imag
    return images.reshape(count, -1).T, rows


def _weight_matrix(weights, d: int) -> np.ndarray:
    if weights is None:
        return np.eye(d)
    arr = np.asarray(weights, dtype=float) if not isinstance(weights, qutip.Qobj) else None
    if arr is None or arr.ndim not in (1, 2):
        raise QSNError(f"weights must be the diagonal of W (length {d}) or a d x d matrix")
    if arr.ndim == 1:
        arr = np.diag(as_real_vector(arr, "weights", length=d))
    if arr.shape != (d, d) or not np.all(np.isfinite(arr)):
        raise QSNError(f"weights must be a finite {d} x {d} matrix, got shape {arr.shape}")
    if np.abs(arr - arr.T).max() > tolerances.atol * max(1.0, np.abs(arr).max()):
        raise QSNError("weights must be a symmetric matrix")
    arr = (arr + arr.T) / 2
    if np.linalg.eigvalsh(arr)[0] < -tolerances.atol * max(1.0, np.abs(arr).max()):
        raise QSNError("weights must be positive semidefinite")
    return arr


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
    mixed state with commuting generators.  The SDP is that of Albarelli, Friel and
    Datta, PRL 123, 200503 (2019): write :math:`\hat X_k = \sum_a x_{ak}\lambda_a` in an
    orthonormal Hermitian basis (:math:`D^2` real coordinates),
    :math:`\rho = \Psi\Psi^\dagger` with :math:`\Psi = V_r\sqrt{\Lambda_r}` from the
    eigendecomposition on the support (rank r), and R the :math:`Dr\times D^2` complex matrix
    with columns :math:`\mathrm{vec}(\lambda_a\Psi)`, so that :math:`Z = X^TR^\dagger RX`
    (:math:`S = R^\dagger R`, :math:`S_{ab} = \mathrm{Tr}(\rho\lambda_a\lambda_b)`).  Then

    .. math::
        C_H = \min_{V = V^T,\,X}\mathrm{Tr}(WV)\quad\text{s.t.}\quad
        \begin{pmatrix}V & X^TR^\dagger\\ RX & 1_{Dr}\end{pmatrix}\succeq 0,\quad
        G^TX = 1_d,\quad G_{al} = \mathrm{Tr}(\lambda_a\partial_l\rho),

    the complex Hermitian constraint imposed through its real-symmetric embedding
    :math:`\begin{pmatrix}\mathrm{Re}M & -\mathrm{Im}M\\ \mathrm{Im}M & \mathrm{Re}M\end{pmatrix}\succeq0`.
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

    The problem has :math:`dD^2` variables and a constraint of size :math:`2(d+Dr)`: meant for
    D up to about a hundred.  Needs ``cvxpy`` (``pip install 'qsn_qutip[sdp]'``), imported on
    first use.

    Parameters
    ----------
    state : Qobj
        Ket or density matrix.
    generators : list of Qobj or LocalOperator
    weights : sequence of float or array, optional
        The diagonal of W, or W itself (symmetric, positive semidefinite); default the identity.
    phi : sequence of float, optional
        Where to evaluate (default 0); matters only for non-commuting generators.
    repeats : int
        :math:`\mu`; the bound is :math:`C_H/\mu`.
    solver : str, optional
        A cvxpy solver name (default: cvxpy's choice, Clarabel when installed).

    Returns
    -------
    float
        :math:`C_H/\mu`, ``inf`` when the parameters are not all estimable (the SDP is
        infeasible).

    Examples
    --------
    >>> import qutip
    >>> up = qutip.basis(2, 0)
    >>> round(holevo_bound(up, [qutip.sigmax() / 2, qutip.sigmay() / 2]), 5)   # QCRB: 2
    4.0
    """
    state = check_state(state)
    gens = _dense_generators(generators, state.dims[0])
    d = len(gens)
    w = _weight_matrix(weights, d)
    mu = as_positive_int(repeats, "repeats")
    phis = _phi(phi, d)
    try:
        import cvxpy as cp
    except ImportError:
        raise QSNError("holevo_bound needs cvxpy, the optional extra 'sdp': pip install "
                       "'qsn_qutip[sdp]' (or pip install cvxpy)") from None
    rho = _state_array(state)
    if rho.ndim == 1:
        rho = np.outer(rho, rho.conj())
    eff = [g.full() for g in effective_generators(gens, phis)] if phi is not None else [
        g.full() for g in gens]
    drhos = [-1j * (h @ rho - rho @ h) for h in eff]
    lam, vecs = np.linalg.eigh(rho)
    keep = lam > tolerances.eig_cutoff * lam[-1]
    psi = vecs[:, keep] * np.sqrt(lam[keep])
    images, grads = _hermitian_basis_images(psi, drhos)
    rows = images.shape[0]
    V = cp.Variable((d, d), symmetric=True)
    X = cp.Variable((grads.shape[0], d))
    y_re, y_im = images.real @ X, images.imag @ X
    zero_d, zero_r = np.zeros((d, d)), np.zeros((rows, rows))
    m_re = cp.bmat([[V, y_re.T], [y_re, np.eye(rows)]])
    m_im = cp.bmat([[zero_d, -y_im.T], [y_im, zero_r]])
    block = cp.bmat([[m_re, -m_im], [m_im, m_re]])
    problem = cp.Problem(cp.Minimize(cp.trace(w @ V)),
                         [(block + block.T) / 2 >> 0, grads.T @ X == np.eye(d)])
    try:
        problem.solve(solver=solver)
    except cp.error.SolverError as err:
        raise QSNError(f"holevo_bound: the SDP solver failed: {err}") from None
    if problem.status in ("infeasible", "infeasible_inaccurate"):
        return float("inf")
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise QSNError(f"holevo_bound: the SDP ended with status {problem.status!r}")
    return float(problem.value) / mu
