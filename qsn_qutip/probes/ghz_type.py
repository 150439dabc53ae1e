r"""The GHZ-type probe: an entangled state that reaches the hardware limit for ANY allocation.

The paper's GHZ-like state (Eq. 1) needs particle numbers proportional to :math:`|v|`; a real
array (three ensembles of 4, 7 and 9 atoms estimating the curvature
:math:`\phi_1 - 2\phi_2 + \phi_3`) does not have them.  For commuting generators, one
parameter per sensor, and sensor k holding :math:`n_k` particles, no probe beats

.. math::
    \mathrm{Var}(v^T\phi) \ge \frac1\mu\max_k\Big(\frac{v_k}{s_k}\Big)^2,
    \qquad s_k = \lambda_{\max,n_k} - \lambda_{\min,n_k}\ (=\kappa n_k),

(:func:`~qsn_qutip.estimation.bounds.hardware_limit`, with its proof): the sensor
:math:`k^*` with the least spread per :math:`|v_k|` sets it.  :func:`ghz_type` reaches it
exactly.  With :math:`x_k = \pm s_k/2` the centred extremal eigenvalues of sensor k and
:math:`r_k = v_k/v_{k^*}`, draw :math:`s = \pm1` with probability 1/2 and put sensor
:math:`k^*` in :math:`|\lambda_{\max}\rangle` (s = +1) or :math:`|\lambda_{\min}\rangle`
(s = -1); every other sensor, independently given s, in the extremal state of sign
:math:`s\,\mathrm{sgn}(r_k)` with probability :math:`q_k = (1 + |r_k|s_{k^*}/s_k)/2 \le 1`
(:math:`|r_k|s_{k^*} \le s_k` is the choice of :math:`k^*`), else in the other one, so that
:math:`E[x_ks] = r_ks_{k^*}/2`.  The probe is the superposition
:math:`\sum_b\sqrt{p(b)}\,|b\rangle` of these product basis states, which factorises into two
branches:

.. math::
    |\psi\rangle = \frac{1}{\sqrt2}\Big(|\lambda_{\max}\rangle_{k^*}\bigotimes_{k\ne k^*}
    |\chi_k\rangle + |\lambda_{\min}\rangle_{k^*}\bigotimes_{k\ne k^*}\hat P_k|\chi_k\rangle\Big),
    \qquad |\chi_k\rangle = \sqrt{q_k}\,|\lambda_{\sigma_k}\rangle
    + \sqrt{1-q_k}\,|\lambda_{-\sigma_k}\rangle,

with :math:`\sigma_k = \mathrm{sgn}(r_k)` and :math:`\hat P_k` the swap of sensor k's extremal
states: a GHZ state whose branch label sits on the bottleneck sensor while every other
sensor is tilted.  The branches are distinct joint eigenstates of the generators, so the QFIM
is :math:`F = 4\,\mathrm{Cov}_p(x) = s_{k^*}^2\,rr^T + \mathrm{diag}(s_k^2 - s_{k^*}^2r_k^2)`.
Then :math:`Fe_{k^*} = s_{k^*}^2 r \propto v` (the equality condition of the Cauchy-Schwarz
step of the proof), hence :math:`v^TF^{+}v = F_{k^*k^*}/(s_{k^*}^2/v_{k^*})^2 =
(v_{k^*}/s_{k^*})^2`: the limit, exactly.  When :math:`n \propto |v|` every :math:`q_k = 1`
and the state is Eq. 1 with bound :math:`\|v\|_1^2/(\kappa N)^2`.

Every particle is in the state: the sensors other than :math:`k^*` hold all of theirs in the
tilted superposition.  Particles beyond what the bottleneck needs cannot lower the bound
(the limit depends on :math:`k^*` alone), which is why, under the paper's constraint of N
particles allocated freely, :func:`ghz_type_allocation` puts them where the bottleneck is
(:func:`~qsn_qutip.estimation.bounds.ghz_allocation`).

Readout: the local readout of the separable probes
(:func:`~qsn_qutip.measurement.local_readout`: :math:`\hat J_x` on qubit ensembles, the
eigenbasis of the sensor's parity elsewhere) saturates :math:`v^TF^{+}v` away from isolated
special values of :math:`\phi` (checked in ``tests/test_probes.py`` against :func:`cfim`);
the GHZ parity alone does not once there are more than two branches (its CFIM has rank one,
along the branch phase, not along v).
"""

from __future__ import annotations

import numpy as np
import qutip

from ..errors import QSNError
from .._checks import as_real_vector
from ..estimation.bounds import ghz_allocation
from ..network import Network

__all__ = ["spreads", "ghz_type", "ghz_type_allocation", "bottleneck"]


def _label(network: Network, k: int) -> str:
    """``"sensor 'left'"`` or ``"sensor 2"`` (1-based) for messages."""
    name = network.sensors[k].name
    return f"sensor {name!r}" if name else f"sensor {k + 1}"


def _one_parameter_per_sensor(network: Network) -> None:
    for k, sensor in enumerate(network.sensors):
        if sensor.n_params > 1:
            raise QSNError(f"needs one parameter per sensor ({_label(network, k)} carries "
                           f"{sensor.n_params}): the hardware limit and the GHZ-type probe are "
                           f"for one commuting generator per sensor")


def spreads(network: Network) -> np.ndarray:
    r""":math:`s_k = \lambda_{\max,n_k} - \lambda_{\min,n_k}` of every sensor that carries a
    parameter, in parameter order (from the sensor's own extremal eigenvalues,
    :meth:`~qsn_qutip.sensors.Sensor.eigenvalue_range`).

    Examples
    --------
    >>> from qsn_qutip import MultiLevelAtom, Network, OpticalMode, QubitEnsemble
    >>> spreads(Network([QubitEnsemble(4), OpticalMode(5, photons=3),
    ...                  MultiLevelAtom(levels=[-1, 0, 2], atoms=2)])).tolist()
    [4.0, 3.0, 6.0]
    """
    _one_parameter_per_sensor(network)
    out = []
    for k in network.sensing:
        lo, hi = network.sensors[k].eigenvalue_range()
        out.append(hi - lo)
    return np.array(out, dtype=float)


def bottleneck(v: np.ndarray, spread: np.ndarray) -> int:
    r"""The index :math:`k^*` of the largest :math:`|v_k|/s_k` (the first one on a tie).

    Raises :class:`QSNError` when a sensor with :math:`v_k \ne 0` has no spread."""
    dead = [k for k in range(v.size) if v[k] != 0 and spread[k] <= 0]
    if dead:
        raise QSNError(f"parameter {dead[0] + 1} has v_k != 0 but its generator has no spread "
                       f"on the sensor's states: it cannot be sensed")
    ratio = np.divide(np.abs(v), spread, out=np.zeros_like(spread), where=spread > 0)
    return int(np.argmax(ratio))


def _branch_pair(sensor, plus: bool) -> tuple[qutip.Qobj, qutip.Qobj]:
    """(state of sign +, state of sign -): the extremal states, max first when ``plus``."""
    lo, hi = sensor.extremal_states()
    return (hi, lo) if plus else (lo, hi)


def ghz_type(network: Network, v) -> qutip.Qobj:
    r"""The GHZ-type probe of the module docstring on ``network`` as given.

    Its bound on :math:`\mathrm{Var}(v^T\phi)` is the hardware limit
    :math:`\max_k(v_k/s_k)^2/\mu`; for :math:`n \propto |v|` it is Eq. 1
    (:func:`~qsn_qutip.states.ghz_like`).  Sensors without parameters stay in their
    :meth:`~qsn_qutip.sensors.Sensor.idle_state`.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble, function_bound, qfim
    >>> net = Network([QubitEnsemble(4), QubitEnsemble(7), QubitEnsemble(9)])
    >>> v = np.array([1, -2, 1]) / np.sqrt(6)
    >>> psi = ghz_type(net, v)
    >>> round(function_bound(qfim(psi, net.generators), v) * 6 * 49 / 4, 10)   # (2/7)^2/6
    1.0
    """
    if not isinstance(network, Network):
        raise QSNError(f"network must be a Network, got {type(network).__name__}")
    _one_parameter_per_sensor(network)
    v = as_real_vector(v, "v", length=network.n_params)
    if not np.any(v):
        raise QSNError("v must have a non-zero entry")
    s = spreads(network)
    star = bottleneck(v, s)
    r = v / v[star]
    branches: tuple[list, list] = ([], [])
    param = iter(range(network.n_params))
    for sensor in network.sensors:
        if not sensor.n_params:
            branches[0].append(sensor.idle_state())
            branches[1].append(sensor.idle_state())
            continue
        k = next(param)
        if k == star:
            up, down = _branch_pair(sensor, True)
        elif s[k] <= 0:                               # no spread and v_k = 0: left alone
            up = down = sensor.extremal_states()[0]
        else:
            q = min(1.0, max(0.5, (1 + abs(r[k]) * s[star] / s[k]) / 2))
            same, other = _branch_pair(sensor, r[k] >= 0)
            up = np.sqrt(q) * same + np.sqrt(1 - q) * other
            down = np.sqrt(q) * other + np.sqrt(1 - q) * same
        branches[0].append(up)
        branches[1].append(down)
    # two product branches with few amplitudes each: build sparse, make dense once
    kets = [qutip.tensor([k.to("csr") for k in branch]) for branch in branches]
    return ((kets[0] + kets[1]) / np.sqrt(2)).to("dense")


def ghz_type_allocation(network: Network, v) -> list[int]:
    r"""The particle numbers of every sensor for the GHZ-type probe under the paper's
    constraint: the :math:`N = \sum_k n_k` particles of the sensors that carry parameters,
    re-allocated to minimise :math:`\max_k|v_k|/(\kappa_kn_k)`
    (:func:`~qsn_qutip.estimation.bounds.ghz_allocation`, exact).

    A sensor with :math:`v_k = 0` keeps one particle (the least a sensor holds; it carries no
    weight); sensors without parameters keep theirs.  Raises :class:`QSNError` saying why when
    the particles cannot be re-allocated (a sensor whose spread is not :math:`\kappa n`, such
    as a Kerr mode; too few particles).

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> ghz_type_allocation(Network([QubitEnsemble(4), QubitEnsemble(7), QubitEnsemble(9)]),
    ...                     [1, -2, 1])
    [5, 10, 5]
    """
    _one_parameter_per_sensor(network)
    v = as_real_vector(v, "v", length=network.n_params)
    sensing = network.sensing
    kappas = [network.sensors[k].kappa for k in sensing]
    for k, kappa in zip(sensing, kappas):
        if kappa is None or kappa <= 0:
            raise QSNError(f"re-allocating particles needs spreads kappa * n; "
                           f"{_label(network, k)} ({network.sensors[k]!r}) has none")
    total = sum(network.particles[k] for k in sensing)
    idle = int(np.sum(v == 0))
    numbers = ghz_allocation(v, total - idle, kappas)
    full = list(network.particles)
    for k, n in zip(sensing, numbers):
        full[k] = int(n) if n else 1
    return full
