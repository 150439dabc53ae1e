r"""The one registry of built-in probes, their default readouts, and the estimation task.

A built-in probe is one :class:`BuiltinProbe` entry of :data:`PROBES`: its name, how to build
its state for a network and a task, whether it is sensor-separable, whether it is a reference
strategy (reported, never ranked) and the measurement :func:`default_measurement` gives it.
Adding a probe is one builder function and one entry here; every other module (comparisons,
simulated experiments, model files, the CLI) reads the registry.

* ``ghz``: the paper's GHZ-like state of Eq. 1 on the network as given (entangled; parity
  readout); it needs :math:`n_k \propto |v_k|` and says so when they are not;
* ``ghz-type``: the entangled probe for the hardware as given, any allocation
  (:func:`~qsn_qutip.probes.ghz_type.ghz_type`): it reaches the hardware limit
  :math:`\max_k(v_k/s_k)^2/\mu` no probe beats, and is Eq. 1 when :math:`n \propto |v|`
  (entangled; local readout);
* ``optimal-ghz``: the same state at the best integer allocation of the N particles
  (:func:`~qsn_qutip.probes.ghz_type.ghz_type_allocation`), whose bound approaches the paper's
  :math:`\|v\|_1^2/(\kappa N)^2` (entangled; local readout);
* ``local-ghz``: a GHZ state on every sensor (separable; local readout), the best
  sensor-separable probe for a fixed allocation: :math:`\sum_kv_k^2/s_k^2`;
* ``product``: every particle on its own, the standard quantum limit (separable; local);
* ``optimal-separable``: local GHZ states at the best integer allocation of the N particles
  (separable; local);
* ``time-shared``: a reference strategy, not a probe state (separable; nothing to measure).

The time-shared reference puts all N particles, in a local GHZ state, on sensor k for a
fraction :math:`f_k\propto|v_k|` of the shots (more generally :math:`f_k \propto d_k/(\kappa_k
N)` along the task's direction d); its per-shot Fisher information is
:math:`\mathrm{diag}(f_k\kappa^2N^2)`, reaching :math:`\|v\|_1^2/(\mu\kappa^2N^2)`.  It
changes the allocation from shot to shot, which neither resource constraint of
:mod:`~qsn_qutip.probes.resources` allows, so comparisons report it and never rank it.

The task (:class:`Task`) is either a linear function :math:`\theta = v^T\phi` (bound
:math:`v^TF^{+}v/\mu`) or all parameters with diagonal weights W (bound
:math:`\sum_kW_{kk}[F^{+}]_{kk}/\mu`); it is validated in one place.

>>> from qsn_qutip import Network, QubitEnsemble
>>> net = Network([QubitEnsemble(2), QubitEnsemble(2)])
>>> state, _ = build_probe("ghz", net, v=[-1, 1])
>>> state.dims, PROBES["ghz"].readout, default_measurement(net, "ghz").name
([[3, 3], [1]], 'parity', 'parity')
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import qutip

from .. import states
from ..errors import QSNError
from .._checks import as_positive_int, as_real_vector
from ..estimation.bounds import best_separable_allocation, function_bound, qcrb
from ..estimation.qfim import qfim
from ..measurement import local_readout, parity
from ..network import Network
from .ghz_type import ghz_type, ghz_type_allocation
from .resources import RESOURCES, check_resources, fits, satisfies, support

__all__ = ["BuiltinProbe", "Reference", "PROBES", "BUILTIN_PROBES", "STATE_PROBES",
           "DEFAULT_PROBES", "SEPARABLE", "REFERENCES", "PARITY_PROBES", "Task", "lookup",
           "build_probe", "default_probes", "default_measurement", "parse_probe", "probe_name",
           "did_you_mean", "several_parameters", "RESOURCES", "check_resources", "fits",
           "satisfies", "support", "ghz_type", "ghz_type_allocation", "sensing_total",
           "reallocated"]

Builder = Callable[[Network, "np.ndarray | None", "np.ndarray | None"],
                   "tuple[qutip.Qobj, Network]"]


@dataclasses.dataclass(frozen=True)
class Reference:
    """What a reference strategy reaches: its per-shot Fisher information and resources.

    Attributes
    ----------
    qfim : numpy.ndarray
        The per-shot (average) Fisher information.
    resources : float
        The mean resource per shot.
    note : str
        How the strategy uses the resources, for tables.
    """

    qfim: np.ndarray
    resources: float
    note: str


@dataclasses.dataclass(frozen=True)
class BuiltinProbe:
    """One entry of the registry.

    Attributes
    ----------
    name : str
    summary : str
        One line for help texts.
    separable : bool
        Sensor-separable (a product over sensors, or a mixture of such).
    readout : {"parity", "local", None}
        The default measurement (:func:`default_measurement`); None for a reference strategy.
    build : callable or None
        ``build(network, v, direction) -> (state, network)`` (the network may be re-allocated);
        None for a reference strategy.
    reference : callable or None
        ``reference(network, direction) -> Reference`` for a strategy that is not a probe state
        of the network as given (reported for reference only, never ranked).
    default : bool
        Compared when no probes are named.
    needs_function : bool
        Built for a function :math:`\\theta = v^T\\phi` (needs v).
    one_parameter_per_sensor : bool
        Needs every sensor to carry at most one parameter.
    """

    name: str
    summary: str
    separable: bool
    readout: str | None
    build: Builder | None = None
    reference: Callable[[Network, np.ndarray], Reference] | None = None
    default: bool = True
    needs_function: bool = False
    one_parameter_per_sensor: bool = True

    @property
    def is_reference(self) -> bool:
        """True for a reference strategy (no probe state: nothing to build or measure)."""
        return self.reference is not None


# ----------------------------------------------------------------------------------------
# builders
# ----------------------------------------------------------------------------------------
def sensing_total(network: Network) -> int:
    """N: the particles on the sensors that carry parameters."""
    return sum(network.particles[k] for k in network.sensing)


def reallocated(network: Network, numbers) -> Network:
    """The network with ``numbers`` particles on its sensing sensors (others unchanged)."""
    full = list(network.particles)
    for k, n in zip(network.sensing, numbers):
        full[k] = int(n)
    return network.with_particles(full)


def _ghz(network: Network, v, direction) -> tuple[qutip.Qobj, Network]:
    numbers = [network.particles[k] for k in network.sensing]
    if several_parameters(network) is None and np.size(v) == len(numbers):
        wanted = states.proportional_allocation(v, sum(numbers))
        if wanted != numbers:
            hint = (f"with N = {sum(numbers)} that would be n = {wanted}"
                    if wanted is not None else
                    f"no allocation of N = {sum(numbers)} particles is")
            raise QSNError(f"Eq. 1 needs particle numbers proportional to |v|: {hint}, the "
                           f"network has n = {numbers}; ghz-type is the entangled probe for "
                           f"this hardware")
    return states.ghz_like(network, v), network


def _ghz_type(network: Network, v, direction) -> tuple[qutip.Qobj, Network]:
    return ghz_type(network, v), network


def _optimal_ghz(network: Network, v, direction) -> tuple[qutip.Qobj, Network]:
    net = network.with_particles(ghz_type_allocation(network, v))
    return ghz_type(net, v), net


def _local_ghz(network: Network, v, direction) -> tuple[qutip.Qobj, Network]:
    return states.local_ghz(network), network


def _product(network: Network, v, direction) -> tuple[qutip.Qobj, Network]:
    return states.product(network), network


def _optimal_separable(network: Network, v, direction) -> tuple[qutip.Qobj, Network]:
    if direction is None and v is None:
        raise QSNError("optimal-separable follows the task: give v or direction")
    numbers = best_separable_allocation(np.abs(v) if direction is None else direction,
                                        sensing_total(network))
    if np.any(numbers == 0):
        raise QSNError("the best allocation leaves a sensor empty")
    net = reallocated(network, numbers)
    return states.local_ghz(net), net


def _time_shared(network: Network, direction: np.ndarray) -> Reference:
    """All N particles in a local GHZ state on one sensor per shot, f_k of the shots."""
    total = sensing_total(network)
    per_shot = []
    for k in network.sensing:
        full = network.sensors[k].with_particles(total)
        per_shot.append(qfim(full.local_ghz(), full.generators)[0, 0])
    per_shot = np.array(per_shot)
    share = direction / np.sqrt(per_shot)
    share = share / share.sum()
    return Reference(np.diag(share * per_shot), float(total),
                     f"N = {total} on one sensor per shot, shares f = "
                     f"{np.round(share, 4).tolist()}")


# ----------------------------------------------------------------------------------------
# the registry
# ----------------------------------------------------------------------------------------
#: every built-in probe, in the order tables list them
PROBES: dict[str, BuiltinProbe] = {p.name: p for p in (
    BuiltinProbe("ghz", "GHZ-like state (Eq. 1) on the network as given", False, "parity",
                 _ghz, needs_function=True),
    BuiltinProbe("ghz-type", "entangled probe reaching the hardware limit on the network as "
                 "given (Eq. 1 when n ~ |v|)", False, "local", _ghz_type, needs_function=True),
    BuiltinProbe("optimal-ghz", "the GHZ-type probe at the best allocation of the N particles",
                 False, "local", _optimal_ghz, needs_function=True),
    BuiltinProbe("local-ghz", "a GHZ state on every sensor", True, "local", _local_ghz),
    BuiltinProbe("product", "every particle on its own (standard quantum limit)", True,
                 "local", _product, one_parameter_per_sensor=False),
    BuiltinProbe("optimal-separable", "local GHZ states at the best integer allocation", True,
                 "local", _optimal_separable),
    BuiltinProbe("time-shared", "reference: all N particles on one sensor per shot", True,
                 None, reference=_time_shared),
)}

#: the names of every built-in probe
BUILTIN_PROBES = tuple(PROBES)
#: the built-in probe states (reference strategies left out)
STATE_PROBES = tuple(n for n, p in PROBES.items() if not p.is_reference)
#: the probes compared when none are named
DEFAULT_PROBES = tuple(n for n, p in PROBES.items() if p.default)
#: built-in probes that are sensor-separable (a product over sensors, or a mixture of such)
SEPARABLE = frozenset(n for n, p in PROBES.items() if p.separable)
#: strategies reported for reference only: not a probe state of the network as given
REFERENCES = frozenset(n for n, p in PROBES.items() if p.is_reference)
#: probes for which :func:`default_measurement` is the GHZ parity (all others: local readout)
PARITY_PROBES = tuple(n for n, p in PROBES.items() if p.readout == "parity")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known`` (:func:`difflib.get_close_matches`), or ``""``.

    Examples
    --------
    >>> did_you_mean("local_ghz", BUILTIN_PROBES)
    " (did you mean 'local-ghz'?)"
    >>> did_you_mean("frobnicate", BUILTIN_PROBES)
    ''
    """
    close = difflib.get_close_matches(str(word), [str(k) for k in known], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def lookup(name: str, *, argument: str = "probe") -> BuiltinProbe:
    """The registry entry of the built-in probe ``name``.

    Raises
    ------
    QSNError
        Naming ``argument`` and the closest built-in name when ``name`` is unknown.

    Examples
    --------
    >>> lookup("product").separable
    True
    """
    if name not in PROBES:
        raise QSNError(f"{argument}: unknown probe {name!r}{did_you_mean(name, PROBES)}; "
                       f"built-in probes are {list(BUILTIN_PROBES)}")
    return PROBES[name]


def default_probes(function: bool = True) -> tuple[str, ...]:
    """The probes compared when none are named; without a function task (``function=False``)
    the GHZ-like ones, which need v, are left out.

    >>> default_probes(function=False)
    ('local-ghz', 'product', 'optimal-separable', 'time-shared')
    """
    return tuple(n for n in DEFAULT_PROBES if function or not PROBES[n].needs_function)


def probe_name(probe: str | tuple[str, qutip.Qobj]) -> str:
    """The name of a probe given as a built-in name or a ``(name, state)`` pair."""
    return probe if isinstance(probe, str) else probe[0]


def parse_probe(probe, network: Network, *,
                argument: str = "probe") -> str | tuple[str, qutip.Qobj]:
    """A probe as the user gave it, checked: a built-in name, or a ``(name, state)`` pair.

    The state of a pair must be a ket or density matrix on ``network``'s space.

    Returns
    -------
    str or (str, Qobj)
        The built-in name, or the pair with its checked state.

    Raises
    ------
    QSNError
        Naming ``argument``: an unknown name (with the closest built-in one), a state on
        another space, or anything else.
    """
    if isinstance(probe, str):
        lookup(probe, argument=argument)
        return probe
    if (isinstance(probe, tuple) and len(probe) == 2 and isinstance(probe[0], str)
            and isinstance(probe[1], qutip.Qobj)):
        return probe[0], network.check_truncation(probe[1], f"{argument} ({probe[0]})",
                                                  warn=True)
    raise QSNError(f"{argument} must be a probe name or a (name, Qobj) pair, got {probe!r}")


def several_parameters(network: Network) -> str | None:
    """Why a network does not have one parameter per sensor (None when it does)."""
    many = [k for k, s in enumerate(network.sensors) if s.n_params > 1]
    if not many:
        return None
    sensor = network.sensors[many[0]]
    label = f"sensor {sensor.name!r}" if sensor.name else f"sensor {many[0] + 1}"
    return f"{label} has {sensor.n_params}"


def build_probe(name: str, network: Network, v: np.ndarray | None = None,
                direction: np.ndarray | None = None) -> tuple[qutip.Qobj, Network]:
    """The state of the built-in probe ``name`` and the network it lives on.

    ``optimal-ghz`` and ``optimal-separable`` re-allocate the N particles of the sensing
    sensors (the bottleneck allocation of
    :func:`~qsn_qutip.probes.ghz_type.ghz_type_allocation`, or
    :func:`~qsn_qutip.estimation.bounds.best_separable_allocation` along ``direction``,
    default :math:`|v|`).  Raises :class:`QSNError` saying why when the probe does not apply.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> state, net = build_probe("optimal-ghz", Network([QubitEnsemble(3), QubitEnsemble(1)]),
    ...                          v=[1, 1])
    >>> net.particles
    [2, 2]
    >>> build_probe("optimal-ghz", Network([QubitEnsemble(3), QubitEnsemble(2)]),
    ...             v=[1, 1])[1].particles                   # 5 = 3 + 2, one left over
    [3, 2]
    """
    if not isinstance(network, Network):
        raise QSNError(f"network must be a Network, got {type(network).__name__}")
    probe = PROBES.get(name) if isinstance(name, str) else None
    if probe is None or probe.is_reference:
        raise QSNError(f"unknown probe state {name!r}{did_you_mean(name, STATE_PROBES)}; "
                       f"built-in probe states are {list(STATE_PROBES)}")
    problem = several_parameters(network) if probe.one_parameter_per_sensor else None
    if problem:
        raise QSNError(f"needs one parameter per sensor ({problem})")
    if probe.needs_function and v is None:
        raise QSNError("GHZ-like probes are built for a function theta = v . phi: give v")
    return probe.build(network, v, direction)


def default_measurement(network: Network, probe: str | None = None):
    """The registered readout of a probe: what :func:`~qsn_qutip.experiment.simulate_task` (and
    ``qsn simulate``) tries first — it checks with the CFIM that the readout estimates the task
    and otherwise takes the local SLD readout or refuses (a user's two-branch GHZ-like state is
    tried with the parity first).

    * ``"ghz"`` (GHZ-like, Eq. 1; the registry's ``readout="parity"``):
      :func:`~qsn_qutip.measurement.parity`, which saturates its QCRB for
      :math:`\\theta = v^T\\phi`;
    * ``"ghz-type"``, ``"optimal-ghz"`` (the GHZ-type probe, more than two branches when
      :math:`n \\not\\propto |v|`): :func:`~qsn_qutip.measurement.local_readout`, which
      saturates :math:`v^TF^{+}v` away from isolated special phases (parity does not once
      there are more than two branches; :mod:`~qsn_qutip.probes.ghz_type`);
    * every other probe (``"local-ghz"``, ``"optimal-separable"``, ``"product"``, a user's
      state): :func:`~qsn_qutip.measurement.local_readout`, which saturates the QCRB of local
      GHZ probes (and of qubits in :math:`|+\\rangle^{\\otimes n}`); Proposition 2 guarantees
      a saturating local measurement for every Theorem 1 probe
      (:func:`~qsn_qutip.measurement.sld_readout`).

    Returns
    -------
    POVM

    Raises
    ------
    QSNError
        For a reference strategy (``"time-shared"``: not a probe state) or a network with a
        sensor of several parameters (no default).
    """
    if not isinstance(network, Network):
        raise QSNError(f"network must be a Network, got {type(network).__name__}")
    if probe is not None and not isinstance(probe, str):
        raise QSNError(f"probe must be a probe name (a str) or None, got {probe!r}")
    entry = PROBES.get(probe) if isinstance(probe, str) else None
    if entry is not None and entry.is_reference:
        raise QSNError(f"{probe} is a reference strategy (particles moved between sensors "
                       f"shot by shot), not a probe state of the network: nothing to simulate")
    many = [k for k, s in enumerate(network.sensors) if s.n_params > 1]
    if many:
        k = many[0]
        raise QSNError(f"no default measurement for a sensor with several parameters (sensor "
                       f"{k}, {network.sensors[k]!r}, carries {network.sensors[k].n_params}): "
                       f"build a POVM and use simulate(); holevo_bound() gives the attainable "
                       f"bound")
    if entry is not None and entry.readout == "parity":
        return parity(network)
    return local_readout(network)


# ----------------------------------------------------------------------------------------
# the task
# ----------------------------------------------------------------------------------------
class Task:
    r"""What is estimated: :math:`\theta = v^T\phi`, or all parameters with weights W.

    The figure of merit is bounded by :math:`v^TF^{+}v/\mu` (function) or
    :math:`\sum_kW_{kk}[F^{+}]_{kk}/\mu` (all parameters), with :math:`\mu` repeats.

    Parameters
    ----------
    n_params : int
        The number of parameters of the network.
    v : sequence of float, optional
        The function (used as given; not all zero).
    weights : sequence of float, optional
        The diagonal of W (non-negative, not all zero); all ones when neither is given.
    repeats : int
        :math:`\mu`.
    names : (str, str)
        How error messages call v and weights (a model file says ``task.function``).

    Raises
    ------
    QSNError
        Both v and weights given, a vector of the wrong length, a zero v, negative or zero
        weights, repeats below 1.

    Examples
    --------
    >>> task = Task(2, v=[-1, 1])
    >>> task.direction, task.bound(np.diag([16.0, 16.0]))
    (array([1., 1.]), 0.125)
    >>> Task(2).weights
    array([1., 1.])
    """

    def __init__(self, n_params: int, v: Sequence[float] | None = None,
                 weights: Sequence[float] | None = None, repeats: int = 1, *,
                 names: tuple[str, str] = ("v", "weights")):
        v_name, w_name = names
        if v is not None and weights is not None:
            raise QSNError(f"give either {v_name} (a linear function) or {w_name} (all "
                           f"parameters), not both")
        self.v = None if v is None else as_real_vector(v, v_name, length=n_params)
        if self.v is not None and not np.any(self.v):
            raise QSNError(f"{v_name} must have a non-zero entry")
        self.weights = None
        if self.v is None:
            self.weights = np.ones(n_params) if weights is None else as_real_vector(
                weights, w_name, length=n_params)
            if np.any(self.weights < 0) or not np.any(self.weights):
                raise QSNError(f"{w_name} must be non-negative and not all zero, got "
                               f"{self.weights.tolist()}")
        self.repeats = as_positive_int(repeats, "repeats")

    @property
    def direction(self) -> np.ndarray:
        """|v|, or sqrt(W) for the weighted task (what particle allocations follow)."""
        return np.abs(self.v) if self.v is not None else np.sqrt(self.weights)

    def bound(self, F: np.ndarray) -> float:
        """The bound on the figure of merit for the QFIM ``F`` (``inf`` when not estimable)."""
        if self.v is not None:
            return function_bound(F, self.v, self.repeats)
        return qcrb(F, self.weights, self.repeats)

    def __repr__(self) -> str:
        what = (f"v={self.v.tolist()}" if self.v is not None
                else f"weights={self.weights.tolist()}")
        return f"Task({what}, repeats={self.repeats})"
