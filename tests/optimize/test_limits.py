r"""The bounds no probe beats (:mod:`qsn_qutip.optimize.limits`), against closed forms and
against every probe we can evaluate with the toolkit's independently tested noise path.

* one ensemble: :func:`ce_qfi` is the finite-N channel-extension bound
  :math:`N^2\eta^2/(N(1-\eta^2)+\eta^2)` (Demkowicz-Dobrzanski, Kolodynski and Guta 2012);
  it lies above the GHZ (:math:`N^2\eta^{2N}`) and product (:math:`N\eta^2`) QFIs and below
  the asymptotic :math:`N\eta^2/(1-\eta^2)`;
* networks: :math:`U(w) \ge w^TFw` for the QFIM F (``noisy_qfim(apply_noise(...))``) of GHZ,
  local GHZ, product, random and descended probes, with dephased and noiseless sensors;
* :func:`task_limit` is at most the bound of every menu probe (``qsn_qutip.compare``) and of
  random probes under the same noise; noiseless it is
  :func:`~qsn_qutip.estimation.bounds.hardware_limit`;
* per unit time, one ensemble: the limit is within the documented grid ratio below the exact
  :math:`\min_t(Nc(t)+1)/(N^2t)` (computed here by scipy), and at most a factor e below the best
  product state, :math:`2e\gamma/N` (:math:`\max_ttF = N/(2e\gamma)`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, compare,
                       states)
from qsn_qutip.estimation.bounds import function_bound, hardware_limit, qcrb
from qsn_qutip.noise import NoiseModel, apply_noise, noisy_qfim
from qsn_qutip.optimize import PhaseChannel, ce_qfi, task_limit, time_limit, total_limit
from qsn_qutip.optimize.channel import generator_values
from qsn_qutip.optimize.limits import GRID_RATIO, Dephased, LimitModel
from qsn_qutip.optimize.seesaw import Objective, descend
from qsn_qutip.probes import Task

E = math.e


def ce_closed_form(N: int, eta: float) -> float:
    return N ** 2 * eta ** 2 / (N * (1 - eta ** 2) + eta ** 2)


def coefficient(eta: float) -> float:
    return (1 - eta ** 2) / eta ** 2


def _ket(psi, net):
    return qutip.Qobj(np.asarray(psi, dtype=complex).reshape(-1, 1),
                      dims=[net.ket_dims, [1] * len(net.ket_dims)])


# ----------------------------------------------------------------------------------------
# one ensemble: closed forms
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("N", [1, 2, 5, 8, 50, 1000])
@pytest.mark.parametrize("eta", [0.999, 0.9, 0.5, 0.1])
def test_ce_qfi_of_one_ensemble_is_the_closed_form(N, eta):
    c = coefficient(eta)
    for w in (1.0, -2.5):
        U = ce_qfi(np.array([N]), np.array([w]), np.array([c]))
        assert U == pytest.approx(w ** 2 * ce_closed_form(N, eta), rel=1e-12)
    U = ce_closed_form(N, eta)
    assert N ** 2 * eta ** (2 * N) <= U * (1 + 1e-12)           # GHZ
    assert N * eta ** 2 <= U * (1 + 1e-12)                      # product
    assert U <= N * eta ** 2 / (1 - eta ** 2)                   # the asymptotic (QS) bound


def test_ce_qfi_of_a_fully_dephased_ensemble_is_the_spread_alone():
    """eta = 0 (c infinite): the ensemble carries nothing; a noiseless spread s gives s^2."""
    assert ce_qfi(np.array([3]), np.array([1.0]), np.array([np.inf])) == 0.0
    assert ce_qfi(np.array([3]), np.array([1.0]), np.array([np.inf]), 2.0) == \
        pytest.approx(4.0, rel=1e-14)



def test_ce_qfi_near_zero_noise_is_the_squared_spread():
    """c -> 0+ (eta -> 1): U(w) -> (sum_k n_k |w_k| + spread)^2, the noiseless Popoviciu
    bound."""
    n, w = np.array([3.0, 2.0]), np.array([1.0, -0.5])
    assert ce_qfi(n, w, np.full(2, 1e-12), 1.5) == pytest.approx((3 + 1 + 1.5) ** 2, rel=1e-9)


def test_ce_qfi_without_noise_is_the_squared_spread():
    """c = 0 exactly: the same limit."""
    n, w = np.array([3.0, 2.0]), np.array([1.0, -0.5])
    assert ce_qfi(n, w, np.zeros(2), 1.5) == pytest.approx((3 + 1 + 1.5) ** 2, rel=1e-14)


def test_ce_qfi_is_the_documented_minimum_over_z():
    r"""The active-set minimum equals a numerical minimum of the documented
    :math:`4[\sum_kn_kw_k^2z_k^2/c_k + (\sum_kn_k|w_k||\frac12+z_k| + s/2)^2]` over z."""
    rng = np.random.default_rng(3)
    for _ in range(6):
        n = rng.integers(1, 6, size=3).astype(float)
        w = rng.normal(size=3)
        c = rng.uniform(0.01, 2.0, size=3)
        s = float(rng.uniform(0, 2))

        def objective(z):
            return 4 * (np.sum(n * w ** 2 * z ** 2 / c)
                        + (np.sum(n * np.abs(w) * np.abs(0.5 + z)) + 0.5 * s) ** 2)
        best = min(scipy.optimize.minimize(objective, z0, method="Nelder-Mead",
                                           options={"xatol": 1e-12, "fatol": 1e-14,
                                                    "maxiter": 20000}).fun
                   for z0 in (np.zeros(3), -0.5 * np.ones(3), rng.uniform(-1, 0, 3)))
        U = ce_qfi(n, w, c, s)
        assert U <= best * (1 + 1e-9)
        assert U >= best * (1 - 1e-6)


# ----------------------------------------------------------------------------------------
# networks: U(w) >= w^T F w for every probe we can evaluate
# ----------------------------------------------------------------------------------------
NETWORKS = {
    "two-ensembles": (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]), [0.1, 0.3]),
    "three-ensembles": (lambda: Network([QubitEnsemble(2), QubitEnsemble(1), QubitEnsemble(3)]),
                        [0.2, 0.05, 0.4]),
    "ensembles-and-clean-mode": (lambda: Network([QubitEnsemble(3), QubitEnsemble(2),
                                                  OpticalMode(2)]), [0.15, 0.25, 0.0]),
    "ensemble-and-clean-ensemble": (lambda: Network([QubitEnsemble(4), QubitEnsemble(2)]),
                                    [0.2, 0.0]),
}


def _probes(net: Network, w: np.ndarray, rng) -> list[tuple[str, np.ndarray]]:
    """Kets of the network: GHZ-like for w, local GHZ, product, random complex, random real."""
    out = []
    builders = {"local-ghz": lambda: states.local_ghz(net),
                "product": lambda: states.product(net),      # refused for a truncated mode
                "ghz-like": lambda: states.ghz_like(net, np.where(w == 0, 1.0, w))}
    for label, build in builders.items():
        try:
            out.append((label, build().full().ravel()))
        except QSNError:        # a builder that does not apply here: the other probes stay
            pass
    dim = int(np.prod(net.ket_dims))
    z = rng.normal(size=dim) + 1j * rng.normal(size=dim)
    out.append(("random-complex", z / np.linalg.norm(z)))
    x = np.abs(rng.normal(size=dim))
    out.append(("random-real", x / np.linalg.norm(x)))
    return out


def _limit_model(net: Network, gammas) -> LimitModel:
    """Dephased ensembles (gamma > 0) and the other sensors' generator diagonals."""
    dephased, others = [], []
    for k, (sensor, rows) in enumerate(zip(net.sensors, generator_values(net))):
        if gammas[k] > 0:
            dephased.append(Dephased(k, sensor.particles, gammas[k]))
        else:
            others.append(((k,), rows))
    return LimitModel(net.n_params, tuple(dephased), tuple(others))


def _ce_along(net: Network, gammas, t: float, w: np.ndarray) -> float:
    """U_t(w) by ce_qfi: the dephased ensembles, plus the spread of w.H on the others."""
    n, ww, c, spread = [], [], [], 0.0
    for k, (sensor, rows) in enumerate(zip(net.sensors, generator_values(net))):
        if gammas[k] > 0:
            eta = math.exp(-gammas[k] * t)
            n.append(sensor.particles)
            ww.append(w[k])
            c.append(coefficient(eta))
        else:
            spread += abs(w[k]) * float(np.ptp(rows[0]))
    return ce_qfi(np.array(n, dtype=float), np.array(ww), np.array(c), spread)


@settings(max_examples=8, deadline=None)
@given(name=st.sampled_from(sorted(NETWORKS)),
       w=st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
       t=st.floats(0.2, 3.0), seed=st.integers(0, 2 ** 32 - 1))
def test_ce_bound_is_above_every_probe(name, w, t, seed):
    build, gammas = NETWORKS[name]
    net = build()
    w = np.array(w[:net.n_params])
    w[np.abs(w) < 1e-9] = 0.0     # subnormal weights only make ce_qfi's z overflow (harmlessly)
    if not np.any(np.abs(w) > 1e-3):
        w[0] = 1.0
    noise = NoiseModel(dephasing=gammas, time=t)
    U = _ce_along(net, gammas, t, w)
    rng = np.random.default_rng(seed)
    for label, psi in _probes(net, w, rng):
        F = noisy_qfim(apply_noise(_ket(psi, net), net, noise), net)
        assert float(w @ F @ w) <= U * (1 + 1e-10) + 1e-12, label


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_ce_bound_is_above_descended_probes(name):
    """The strongest probes at hand: the descent's optimum for the task v = w (a valid probe
    whatever the descent's quality), evaluated by the toolkit's noise path."""
    build, gammas = NETWORKS[name]
    net = build()
    t = 1.0
    noise = NoiseModel(dephasing=gammas, time=t)
    channel = PhaseChannel(net, noise.sensor_rates(net))
    rng = np.random.default_rng(8)
    for w in (np.ones(net.n_params), np.array([1.0, -1.0, 0.5][:net.n_params])):
        run = descend(Objective(channel, Task(net.n_params, v=w)),
                      np.abs(rng.normal(size=channel.dim)))
        F = noisy_qfim(apply_noise(channel.ket(run.best.psi), net, noise), net)
        assert float(w @ F @ w) <= _ce_along(net, gammas, t, w) * (1 + 1e-10)


def test_ce_bound_is_above_the_full_space_optimum(full_space):
    """One ensemble: the best QFI found by the independent full-2^N-space optimiser of
    tests/optimize/reference.py lies below the CE bound, and the CE bound agrees with its SDP."""
    ref = full_space
    for N, eta in [(2, 0.9), (4, 0.8)]:
        U = ce_qfi(np.array([N]), np.array([1.0]), np.array([coefficient(eta)]))
        assert ref.full_space_optimum(N, eta).value <= U * (1 + 1e-9)
        assert U == pytest.approx(ref.ce_closed_form(N, eta), rel=1e-12)


@pytest.mark.slow
def test_ce_qfi_equals_the_reference_sdp(full_space):
    ref = full_space
    pytest.importorskip("cvxpy")
    for N, eta in [(1, 0.8), (3, 0.9), (6, 0.7)]:
        U = ce_qfi(np.array([N]), np.array([1.0]), np.array([coefficient(eta)]))
        assert U == pytest.approx(ref.ce_bound(N, eta), rel=1e-5)


# ----------------------------------------------------------------------------------------
# task_limit: below every probe; noiseless, the hardware limit
# ----------------------------------------------------------------------------------------
TASKS = [
    (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]), [0.1, 0.1], 1.0,
     {"v": [1.0, -1.0]}),
    (lambda: Network([QubitEnsemble(2), QubitEnsemble(1), QubitEnsemble(2)]), [0.1, 0.3, 0.2],
     0.8, {"v": [1.0, -2.0, 0.5]}),
    (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]), [0.2, 0.05], 1.5,
     {"weights": [1.0, 2.0]}),
    (lambda: Network([QubitEnsemble(3), OpticalMode(2)]), [0.1, 0.0], 1.0,
     {"v": [1.0, 1.0]}),
]


@pytest.mark.parametrize("case", range(len(TASKS)))
def test_task_limit_is_below_every_probe(case):
    build, gammas, t, task = TASKS[case]
    net = build()
    noise = NoiseModel(dephasing=gammas, time=t)
    limit = task_limit(_limit_model(net, gammas), t, **{k: np.array(v, dtype=float)
                                                          for k, v in task.items()})
    assert limit > 0
    # the menu, at the same noise and on the same hardware
    menu = compare(net, noise=noise, resources="fixed", **task)
    bounds = {p.name: p.bound for p in menu.probes
              if p.applies and p.allocation == list(net.particles)}
    assert bounds, "no menu probe applies"
    for name, bound in bounds.items():
        assert limit <= bound * (1 + 1e-12), name
    # random probes and descended ones, through the toolkit's noise path
    channel = PhaseChannel(net, noise.sensor_rates(net))
    objective = Objective(channel, Task(net.n_params, **task))
    rng = np.random.default_rng(case)
    for _ in range(3):
        psi = np.abs(rng.normal(size=channel.dim))
        for x in (psi / np.linalg.norm(psi), descend(objective, psi).best.psi):
            F = noisy_qfim(apply_noise(channel.ket(x), net, noise), net)
            bound = (function_bound(F, task["v"]) if "v" in task else
                     qcrb(F, weights=task["weights"]))
            assert limit <= bound * (1 + 1e-10)


NOISELESS = [
    (lambda: Network([QubitEnsemble(4), QubitEnsemble(7), QubitEnsemble(9)]), [1.0, -2.0, 1.0]),
    (lambda: Network([QubitEnsemble(3), OpticalMode(3)]), [2.0, -1.0]),
    (lambda: Network([OpticalMode(2, "kerr"), QubitEnsemble(5),
                      MultiLevelAtom(levels=[-1.0, 0.0, 2.0])]), [1.0, 0.5, -3.0]),
    (lambda: Network([QubitEnsemble(2), QubitEnsemble(6)]), [1.0, 1.0]),
]


@pytest.mark.parametrize("case", range(len(NOISELESS)))
def test_noiseless_task_limit_is_the_hardware_limit(case):
    """Without noise the CE bound is the squared spread, and the limit is
    max_k (v_k / s_k)^2 (hardware_limit, the spreads s_k of the generators: n for qubits, the
    cutoff for a linear mode, cutoff^2 for a Kerr mode, the level span for an atom)."""
    build, v = NOISELESS[case]
    net = build()
    v = np.array(v)
    spreads = [float(np.ptp(rows[0])) for rows in generator_values(net)]
    expected = hardware_limit(v, spreads)
    clean = _limit_model(net, [0.0] * len(net.sensors))
    assert task_limit(clean, 0.0, v) == pytest.approx(expected, rel=1e-9)
    # the same, with every qubit ensemble booked as dephased but at a vanishing time
    gammas = [0.3 if isinstance(s, QubitEnsemble) else 0.0 for s in net.sensors]
    assert task_limit(_limit_model(net, gammas), 1e-13, v) == pytest.approx(expected, rel=1e-9)


def test_dephased_ensembles_at_time_zero_give_the_hardware_limit():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    v = np.array([1.0, -1.0])
    assert task_limit(_limit_model(net, [0.1, 0.1]), 0.0, v) == pytest.approx(
        hardware_limit(v, [2, 2]), rel=1e-9)


def test_noiseless_weighted_limit():
    r""":math:`\sum_pW_{pp}/s_p^2` (each :math:`F_{pp} \le s_p^2`), reached by local GHZ states."""
    net = Network([QubitEnsemble(3), QubitEnsemble(5)])
    weights = np.array([1.0, 2.0])
    limit = task_limit(_limit_model(net, [0.0, 0.0]), 0.0, weights=weights)
    assert limit == pytest.approx(1 / 9 + 2 / 25, rel=1e-12)


# ----------------------------------------------------------------------------------------
# total_limit and per unit time
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("N", [1, 3, 8, 40])
@pytest.mark.parametrize("gamma_t", [0.0, 0.05, 0.5])
def test_total_limit_closed_form(N, gamma_t):
    r"""One ensemble: :math:`1/U` of the CE closed form; a function: :math:`\|v\|_1^2` times it;
    noiseless: the paper's :math:`\|v\|_1^2/N^2`."""
    eta = math.exp(-gamma_t)
    one = total_limit([1.0], N, gamma_t, 1.0)
    assert one == pytest.approx(1 / ce_closed_form(N, eta), rel=1e-12)
    assert total_limit([1.0, -2.0, 0.5], N, gamma_t, 1.0) == pytest.approx(3.5 ** 2 * one,
                                                                          rel=1e-12)
    if gamma_t == 0:
        assert one == pytest.approx(1 / N ** 2, rel=1e-14)


def _exact_per_time(N: int, gamma: float) -> float:
    r""":math:`\min_t(Nc(t)+1)/(N^2t)`, :math:`c(t) = e^{2\gamma t}-1`, by scipy in ln t."""
    def f(log_t):
        t = math.exp(log_t)
        return (N * math.expm1(2 * gamma * t) + 1) / (N ** 2 * t)
    lo, hi = math.log(1e-9 / gamma), math.log(50 / gamma)
    grid = np.linspace(lo, hi, 4001)
    k = int(np.argmin([f(x) for x in grid]))
    found = scipy.optimize.minimize_scalar(f, bounds=(grid[max(k - 1, 0)],
                                                      grid[min(k + 1, grid.size - 1)]),
                                           method="bounded", options={"xatol": 1e-12})
    return float(found.fun)


def test_per_unit_time_limit_is_at_most_a_factor_e_below_the_product_state():
    r"""One ensemble per unit time: the limit lies within the grid ratio below the exact
    :math:`\min_tB_{CE}(t)/t`, and the best product state (:math:`B/t = 2e\gamma/N`) is at
    most e times (exactly: below e; with the grid: e GRID_RATIO) above it, the factor
    approaching e as N grows."""
    gamma = 0.1
    ratios = []
    for N in (1, 2, 8, 100, 10_000):
        limit = total_limit([1.0], N, gamma, None)
        exact = _exact_per_time(N, gamma)
        assert exact / GRID_RATIO * (1 - 1e-9) <= limit <= exact * (1 + 1e-12)
        product = 2 * E * gamma / N
        assert product / exact < E
        assert product / limit <= E * GRID_RATIO
        ratios.append(product / exact)
    assert ratios[0] == pytest.approx(1.0, rel=1e-9)        # one qubit: the product is optimal
    assert all(b > a for a, b in zip(ratios, ratios[1:]))
    assert ratios[-1] > 0.98 * E


@pytest.mark.slow
def test_time_limit_of_one_ensemble():
    """time_limit (the network form) on one ensemble: the same number as total_limit, within
    the grid ratio below the exact per-unit-time CE bound, above the product state / e GRID_RATIO.
    Slow: about 2-3 minutes for one call (see the report to the lead)."""
    N, gamma = 4, 0.1
    model = LimitModel(1, (Dephased(0, N, gamma),), ())
    limit = time_limit(model, v=np.array([1.0]))
    exact = _exact_per_time(N, gamma)
    assert exact / GRID_RATIO * (1 - 1e-9) <= limit <= exact * (1 + 1e-12)
    assert (2 * E * gamma / N) / limit <= E * GRID_RATIO
