r""":func:`qsn_qutip.optimal_probe` against the checks of issue 11, with numbers that do not come
from the optimiser:

* closed forms: the paper's :math:`\|v\|_1^2/N^2` (noiseless, free allocation), its integer
  bottleneck :math:`\min_n\max_k(v_k/n_k)^2` (found here by brute force over allocations), the
  hardware limit and the local-GHZ separable value :math:`\sum_kv_k^2/n_k^2` on fixed hardware,
  GHZ :math:`N^2\eta^{2N}` and product :math:`N\eta^2` QFIs of one dephased ensemble, the CE
  bound :math:`N^2\eta^2/(N(1-\eta^2)+\eta^2)`, the product state per unit time
  :math:`\min_tB/t = 2e\gamma/N`;
* the independent full-space reference of ``tests/optimize/reference.py`` (see-saw in the
  :math:`2^N` space, network L-BFGS), loaded by file location;
* the toolkit's independently tested paths: ``compare`` (the menu probes' bounds at the same
  noise and resources) and ``apply_noise`` + ``noisy_qfim`` (every reported state is re-evaluated
  and must give the reported QFIM and bound).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import numpy as np
import pytest
import qutip

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, compare,
                       optimal_probe)
from qsn_qutip.estimation.bounds import function_bound, ghz_bound, hardware_limit, qcrb
from qsn_qutip.noise import NoiseModel, apply_noise, noisy_qfim
from qsn_qutip.optimize import load_state
from qsn_qutip.optimize.search import best_state, neighbours
from qsn_qutip.probes import Task

E = math.e




# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------
def recheck(res, v=None, weights=None, noise=None):
    """The reported state, re-evaluated by the toolkit (apply_noise + noisy_qfim at the reported
    time): a normalised ket with real non-negative amplitudes whose QFIM and bound are the
    reported ones (per unit time: the bound divided by the time)."""
    net, ket = res.network, res.state
    assert ket.isket and ket.dims[0] == net.ket_dims
    amplitudes = ket.full().ravel()
    assert np.linalg.norm(amplitudes) == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.abs(amplitudes.imag) < 1e-15) and np.all(amplitudes.real >= -1e-9)
    if noise is None:
        F = noisy_qfim(qutip.ket2dm(ket), net)
    else:
        F = noisy_qfim(apply_noise(ket, net, dataclasses.replace(noise, time=res.time)), net)
    scale = max(1.0, np.abs(F).max())
    np.testing.assert_allclose(res.qfim, F, rtol=0, atol=1e-9 * scale)
    bound = function_bound(F, v) if v is not None else qcrb(F, weights=weights)
    if res.per == "time":
        bound /= res.time
    assert res.bound == pytest.approx(bound, rel=1e-8)
    assert res.allocation == list(net.particles)
    return F


def bottleneck(v, N: int) -> float:
    r""":math:`\min_n\max_k(v_k/n_k)^2` over integer allocations :math:`n_k \ge 1`,
    :math:`\sum n_k = N`, by brute force (the least noiseless bound with N qubits: the hardware
    limit of each allocation, minimised)."""
    v = np.abs(np.asarray(v, dtype=float))
    best = np.inf
    for cut in itertools.combinations(range(1, N), v.size - 1):
        n = np.diff((0, *cut, N))
        best = min(best, float(np.max((v / n) ** 2)))
    return best


def separable_brute(v, N: int) -> float:
    r""":math:`\min_n\sum_kv_k^2/n_k^2` over integer allocations (local GHZ states, noiseless: the
    best sensor-separable bound with N qubits), by brute force."""
    v = np.asarray(v, dtype=float)
    return min(float(np.sum(v ** 2 / np.diff((0, *cut, N)) ** 2))
               for cut in itertools.combinations(range(1, N), v.size - 1))


def ce_closed_form(N: int, eta: float) -> float:
    return N ** 2 * eta ** 2 / (N * (1 - eta ** 2) + eta ** 2)


def exact_per_time_ce(N: int, gamma: float) -> float:
    r""":math:`\min_t(Nc(t)+1)/(N^2t)` with :math:`c(t) = e^{2\gamma t} - 1`: no probe of one
    ensemble does better per unit time (CE bound), by a fine scan in ln t."""
    t = np.exp(np.linspace(np.log(1e-6 / gamma), np.log(20 / gamma), 200001))
    return float(np.min((N * np.expm1(2 * gamma * t) + 1) / (N ** 2 * t)))


# ----------------------------------------------------------------------------------------
# (a) noiseless, free allocation: the paper's GHZ-like bound
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("sizes, v", [
    ((2, 2), (1.0, -1.0)),
    ((4, 2), (2.0, 1.0)),
    ((2, 1, 1), (2.0, 1.0, -1.0)),
], ids=["2+2", "4+2", "2+1+1"])
def test_noiseless_total_reaches_the_paper_bound(sizes, v):
    """Allocations proportional to |v| exist: the optimum is ||v||_1^2/N^2 (ghz_bound) to 1e-6,
    and so is the limit."""
    net = Network([QubitEnsemble(n) for n in sizes])
    N = sum(sizes)
    res = optimal_probe(net, v=v, seed=0)
    expected = float(np.sum(np.abs(v))) ** 2 / N ** 2
    assert expected == pytest.approx(ghz_bound(v, N), rel=1e-14)
    assert res.bound == pytest.approx(expected, rel=1e-6)
    assert res.limit == pytest.approx(expected, rel=1e-6)
    assert res.limit <= res.bound * (1 + 1e-12)
    assert res.separable_bound == pytest.approx(separable_brute(v, N), rel=1e-6)
    assert sum(res.allocation) == N
    assert res.converged and res.per == "shot" and res.time is None
    recheck(res, v=v)


@pytest.mark.slow
def test_noiseless_total_without_a_proportional_allocation():
    """(3, 3, 2) with v = (1, 1, -1): no allocation of 8 is proportional to |v|, so the least
    bound is the integer bottleneck min_n max_k (v_k/n_k)^2 = 1/4 (brute force), above the
    paper's ||v||_1^2/N^2 = 9/64, which stays a valid (unreached) limit."""
    v = (1.0, 1.0, -1.0)
    net = Network([QubitEnsemble(3), QubitEnsemble(3), QubitEnsemble(2)])
    res = optimal_probe(net, v=v, seed=0)
    assert res.bound == pytest.approx(bottleneck(v, 8), rel=1e-6)
    assert res.limit == pytest.approx(9 / 64, rel=1e-9)
    recheck(res, v=v)


@pytest.mark.parametrize("sizes, v", [((2, 2), (1.0, -1.0)), ((4, 2), (2.0, 1.0)),
                                      ((3, 1), (1.0, 2.0))], ids=["2+2", "4+2", "3+1"])
def test_random_starts_alone_reach_the_hardware_limit(sizes, v):
    """Without the menu probes (best_state with menu=False), seeded random starts reach
    max_k (v_k/n_k)^2 on fixed noiseless hardware."""
    net = Network([QubitEnsemble(n) for n in sizes])
    search = best_state(net, Task(net.n_params, v=v), None, None, restarts=3,
                        rng=np.random.default_rng(1), menu=False)
    assert all(run.start.startswith("random") for run in search.runs)
    assert search.best.bound == pytest.approx(hardware_limit(v, sizes), rel=1e-6)


def test_repeats_divide_every_bound():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    one = optimal_probe(net, v=[1, -1], seed=0)
    four = optimal_probe(net, v=[1, -1], seed=0, repeats=4)
    for name in ("bound", "limit", "separable_bound", "product_bound"):
        assert getattr(four, name) == pytest.approx(getattr(one, name) / 4, rel=1e-12), name


# ----------------------------------------------------------------------------------------
# (b) fixed hardware, noiseless: hardware limit <= optimum <= best separable
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("sensors, v", [
    ((2, 3, 1), (1.0, -2.0, 1.0)),
    ((3, 5), (1.0, 1.0)),
], ids=["2+3+1", "3+5"])
def test_fixed_noiseless_between_hardware_limit_and_separable(sensors, v):
    net = Network([QubitEnsemble(n) for n in sensors])
    res = optimal_probe(net, v=v, resources="fixed", seed=0)
    limit = hardware_limit(v, sensors)
    separable = float(np.sum(np.asarray(v) ** 2 / np.asarray(sensors, dtype=float) ** 2))
    menu = compare(net, v=v, resources="fixed")
    assert menu["local-ghz"].bound == pytest.approx(separable, rel=1e-10)
    assert limit * (1 - 1e-9) <= res.bound <= separable * (1 + 1e-12)
    assert res.bound == pytest.approx(limit, rel=1e-6)      # the GHZ-type probe reaches it
    assert res.limit == pytest.approx(limit, rel=1e-9)
    assert res.separable_bound == pytest.approx(separable, rel=1e-6)
    assert res.product_bound == pytest.approx(menu["product"].bound, rel=1e-9)
    assert res.gain == pytest.approx(separable / limit, rel=1e-6)
    assert res.allocation == list(sensors)
    recheck(res, v=v)


def test_fixed_noiseless_with_an_optical_mode():
    """A mode and an ensemble on fixed hardware, the ensemble setting the hardware limit
    (max((1/2)^2, (0.1/s)^2) = 1/4 whether the mode's spread s is its one photon or its cutoff).
    The cutoff is large enough for the coherent product state of one photon, which
    optimal_probe builds for its product row."""
    net = Network([QubitEnsemble(2), OpticalMode(11, photons=1)])
    res = optimal_probe(net, v=[1, 0.1], resources="fixed", seed=0)
    assert res.bound == pytest.approx(hardware_limit([1, 0.1], [2, 1]), rel=1e-6)
    recheck(res, v=[1, 0.1])


def test_a_default_optical_mode_is_searched():
    net = Network([QubitEnsemble(2), OpticalMode(2)])
    res = optimal_probe(net, v=[1, 1], resources="fixed", seed=0)
    assert res.bound == pytest.approx(hardware_limit([1, 1], [2, 2]), rel=1e-6)


def test_fixed_resources_keep_the_photons_of_a_mode():
    net = Network([QubitEnsemble(2), OpticalMode(11, photons=1)])
    res = optimal_probe(net, v=[1, 3], resources="fixed", seed=0)
    menu_limit = compare(net, v=[1, 3], resources="fixed").limit
    assert menu_limit == pytest.approx(hardware_limit([1, 3], [2, 1]), rel=1e-12)
    assert res.bound >= menu_limit * (1 - 1e-9)
    assert res.limit == pytest.approx(menu_limit, rel=1e-9)


def test_fixed_noiseless_weights():
    r"""All parameters with weights: :math:`\sum_pW_{pp}/n_p^2` (each :math:`F_{pp} \le n_p^2`
    and :math:`[F^{-1}]_{pp} \ge 1/F_{pp}`; local GHZ states reach it)."""
    net = Network([QubitEnsemble(3), QubitEnsemble(5)])
    res = optimal_probe(net, weights=[1, 2], resources="fixed", seed=0)
    assert res.bound == pytest.approx(1 / 9 + 2 / 25, rel=1e-6)
    assert res.limit <= res.bound * (1 + 1e-12)
    recheck(res, weights=[1, 2])


# ----------------------------------------------------------------------------------------
# (c) one ensemble under local dephasing
# ----------------------------------------------------------------------------------------
def _one_ensemble(N: int, gamma_t: float):
    eta = math.exp(-gamma_t)
    noise = NoiseModel(dephasing=gamma_t, time=1.0)
    res = optimal_probe(Network([QubitEnsemble(N)]), v=[1], noise=noise, seed=0)
    recheck(res, v=[1], noise=noise)
    ghz = 1 / (N ** 2 * eta ** (2 * N))
    product = 1 / (N * eta ** 2)
    limit = 1 / ce_closed_form(N, eta)
    assert res.bound <= min(ghz, product) * (1 + 1e-9)
    assert res.product_bound == pytest.approx(product, rel=1e-9)
    assert res.limit == pytest.approx(limit, rel=1e-9)
    assert res.limit <= res.bound
    assert res.separable_bound == pytest.approx(res.bound, rel=1e-9)   # one sensor
    assert res.converged
    return res, eta


@pytest.mark.parametrize("N", [2, 4])
def test_one_dephased_ensemble_equals_the_full_space_optimum(N, full_space):
    res, eta = _one_ensemble(N, 0.1)
    best = full_space.full_space_optimum(N, eta).value
    assert res.bound == pytest.approx(1 / best, rel=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("N, gamma_t", [(6, 0.1), (8, 0.2)])
def test_one_dephased_ensemble_equals_the_full_space_optimum_large(N, gamma_t, full_space):
    res, eta = _one_ensemble(N, gamma_t)
    best = full_space.full_space_optimum(N, eta).value
    assert res.bound == pytest.approx(1 / best, rel=1e-5)


# ----------------------------------------------------------------------------------------
# (d) per unit time
# ----------------------------------------------------------------------------------------
def _per_time(N: int, gamma: float):
    noise = NoiseModel(dephasing=gamma, time=None)
    res = optimal_probe(Network([QubitEnsemble(N)]), v=[1], noise=noise, seed=0)
    assert res.per == "time" and res.time > 0
    recheck(res, v=[1], noise=noise)
    product = 2 * E * gamma / N            # min_t e^{2 gamma t}/(N t), at t = 1/(2 gamma)
    assert res.product_bound == pytest.approx(product, rel=1e-5)
    assert res.bound <= product * (1 + 1e-9)
    assert res.bound >= exact_per_time_ce(N, gamma) * (1 - 1e-9)   # no probe beats the CE
    assert res.limit <= res.bound
    return product / res.bound


def test_per_unit_time_gain_of_two_qubits():
    gain = _per_time(2, 0.1)
    assert 1.0 < gain < E


@pytest.mark.slow
def test_per_unit_time_gain_grows_with_n_and_stays_below_e():
    gains = [_per_time(N, 0.1) for N in (2, 4, 8)]
    assert all(b > a for a, b in zip(gains, gains[1:])), gains
    assert all(1.0 < g < E for g in gains), gains


# ----------------------------------------------------------------------------------------
# (e) a network function under local dephasing
# ----------------------------------------------------------------------------------------
def _menu_bounds(net, v, noise, resources):
    """The bounds of the menu probes that compare ranks under ``resources`` (same noise)."""
    menu = compare(net, v=v, noise=noise, resources=resources)
    bounds = {p.name: p.bound for p in menu.probes if p.ranked}
    assert bounds
    return bounds


def test_network_function_under_dephasing_fixed(full_space):
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    v = [1.0, -1.0]
    noise = NoiseModel(dephasing=0.1, time=1.0)
    res = optimal_probe(net, v=v, noise=noise, resources="fixed", seed=0)
    recheck(res, v=v, noise=noise)
    for name, bound in _menu_bounds(net, v, noise, "fixed").items():
        assert res.bound <= bound * (1 + 1e-9), name
    assert res.limit <= res.bound
    assert res.bound <= res.separable_bound * (1 + 1e-9)
    # the independent full-space network optimiser (complex kets, no symmetry assumed)
    assert res.bound == pytest.approx(full_space.network_optimum((2, 2), math.exp(-0.1), v).value,
                                      rel=1e-5)


def test_network_function_under_dephasing_total():
    net = Network([QubitEnsemble(2), QubitEnsemble(1)])
    v = [1.0, -1.0]
    noise = NoiseModel(dephasing=0.1, time=1.0)
    res = optimal_probe(net, v=v, noise=noise, resources="total", seed=0)
    recheck(res, v=v, noise=noise)
    assert sum(res.allocation) == 3
    for name, bound in _menu_bounds(net, v, noise, "total").items():
        assert res.bound <= bound * (1 + 1e-9), name
    assert res.limit <= res.bound
    assert res.bound <= res.separable_bound * (1 + 1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("sizes, v, gamma_t", [
    ((3, 2), (1.0, -1.0), 0.1),
    ((2, 1, 2), (1.0, -2.0, 0.5), 0.2),
], ids=["3+2", "2+1+2"])
def test_network_function_under_dephasing_larger(sizes, v, gamma_t, full_space):
    net = Network([QubitEnsemble(n) for n in sizes])
    noise = NoiseModel(dephasing=gamma_t, time=1.0)
    res = optimal_probe(net, v=v, noise=noise, resources="fixed", seed=0)
    recheck(res, v=v, noise=noise)
    for name, bound in _menu_bounds(net, v, noise, "fixed").items():
        assert res.bound <= bound * (1 + 1e-9), name
    assert res.limit <= res.bound
    assert res.bound == pytest.approx(
        full_space.network_optimum(sizes, math.exp(-gamma_t), v).value, rel=1e-5)
    total = optimal_probe(net, v=v, noise=noise, resources="total", seed=0)
    recheck(total, v=v, noise=noise)
    assert total.bound <= res.bound * (1 + 1e-9)           # the network's allocation is searched
    for name, bound in _menu_bounds(net, v, noise, "total").items():
        assert total.bound <= bound * (1 + 1e-9), name
    assert total.limit <= total.bound


# ----------------------------------------------------------------------------------------
# (f) seeds
# ----------------------------------------------------------------------------------------
def test_a_seed_reproduces_the_search():
    net = Network([QubitEnsemble(3)])
    noise = NoiseModel(dephasing=0.2, time=1.0)
    first = optimal_probe(net, v=[1], noise=noise, seed=5, restarts=2)
    again = optimal_probe(net, v=[1], noise=noise, seed=5, restarts=2)
    other = optimal_probe(net, v=[1], noise=noise, seed=6, restarts=2)
    assert first.bound == again.bound
    np.testing.assert_array_equal(first.state.full(), again.state.full())
    assert [dataclasses.astuple(r) for r in first.runs] == \
        [dataclasses.astuple(r) for r in again.runs]
    assert first.history == again.history
    random_first = [r.initial for r in first.runs if r.start.startswith("random")]
    random_other = [r.initial for r in other.runs if r.start.startswith("random")]
    assert len(random_first) == 2 and random_first != random_other
    assert other.bound == pytest.approx(first.bound, rel=1e-6)     # the same optimum


# ----------------------------------------------------------------------------------------
# (g) bad input: QSNError naming the argument
# ----------------------------------------------------------------------------------------
NET = Network([QubitEnsemble(2), QubitEnsemble(2)])


@pytest.mark.parametrize("kwargs, word", [
    ({"v": [1, 2, 3]}, r"\bv\b"),
    ({"v": [1, -1], "resources": "bogus"}, "resources"),
    ({"v": [1, -1], "seed": -1}, "seed"),
    ({"v": [1, -1], "seed": 1.5}, "seed"),
    ({"v": [1, -1], "seed": True}, "seed"),
    ({"v": [1, -1], "restarts": -1}, "restarts"),
    ({"v": [1, -1], "max_allocations": 0}, "max_allocations"),
    ({"v": [1, -1], "max_iter": 0}, "max_iter"),
    ({"v": [1, -1], "repeats": 0}, "repeats"),
    ({"v": [1, -1], "progress": 5}, "progress"),
    ({"v": [1, -1], "noise": "dephasing"}, "noise"),
    ({"v": [1, -1], "noise": {"dephasing": 0.1}}, "noise"),
    ({"v": [1, -1], "noise": NoiseModel(decay=0.1, time=1.0)}, "decay"),
    ({"v": [1, -1], "noise": NoiseModel(time=None)}, "time"),
    ({"v": [1, -1], "weights": [1, 1]}, "weights"),
], ids=lambda x: x if isinstance(x, str) else None)
def test_bad_arguments_name_themselves(kwargs, word):
    with pytest.raises(QSNError, match=word):
        optimal_probe(NET, **kwargs)


def test_total_resources_need_dicke_ensembles():
    net = Network([QubitEnsemble(2), OpticalMode(2)])
    with pytest.raises(QSNError, match='resources="total"'):
        optimal_probe(net, v=[1, 1])
    with pytest.raises(QSNError, match="resources"):
        optimal_probe(Network([QubitEnsemble(2, basis="full"), QubitEnsemble(2)]), v=[1, 1],
                      resources="total")


def test_photon_loss_and_non_diagonal_generators_are_refused():
    with pytest.raises(QSNError, match="loss"):
        optimal_probe(Network([QubitEnsemble(2), OpticalMode(2)]), v=[1, 1],
                      noise=NoiseModel(transmission=0.9, time=1.0), resources="fixed")
    with pytest.raises(QSNError, match="diagonal"):
        optimal_probe(Network([MultiLevelAtom(spin=1, axes="xyz")]), weights=[1, 1, 1],
                      resources="fixed")


def test_progress_is_called_with_text():
    lines = []
    optimal_probe(Network([QubitEnsemble(2)]), v=[1], seed=0, progress=lines.append)
    assert lines and all(isinstance(x, str) for x in lines)


# ----------------------------------------------------------------------------------------
# the result object and small engine pieces
# ----------------------------------------------------------------------------------------
def test_result_round_trips(tmp_path):
    net = Network([QubitEnsemble(2), QubitEnsemble(1)])
    res = optimal_probe(net, v=[2, -1], resources="fixed", seed=0)
    assert res.gain == pytest.approx(res.separable_bound / res.bound, rel=1e-14)
    assert res.max_gain == pytest.approx(res.separable_bound / res.limit, rel=1e-14)
    assert res.dicke_amplitudes.shape == tuple(net.ket_dims)
    data = json.loads(res.json())
    assert data["bound"] == pytest.approx(res.bound, rel=1e-14)
    assert data["allocation"] == [2, 1] and data["dims"] == net.ket_dims
    assert "optimised probe" in str(res) and "limit" in res._repr_html_()
    path = tmp_path / "best.npz"
    res.save(path)
    loaded = load_state(path, net)
    np.testing.assert_array_equal(loaded.full(), res.state.full())
    with pytest.raises(QSNError, match="dims"):
        load_state(path, Network([QubitEnsemble(2), QubitEnsemble(2)]))
    with pytest.raises(QSNError, match="npz"):
        res.save(tmp_path / "best.txt")
    with pytest.raises(QSNError, match="state file"):
        load_state(tmp_path / "missing.npz", net)


def test_neighbours_move_one_qubit_between_sensing_sensors():
    net = Network([QubitEnsemble(2), QubitEnsemble(1), QubitEnsemble(3)])
    moved = neighbours(net, [2, 1, 3])
    # the one-qubit sensor keeps its qubit (no sensor is left empty)
    assert sorted(map(tuple, moved)) == sorted([(1, 2, 3), (1, 1, 4), (3, 1, 2), (2, 2, 2)])
    assert all(sum(n) == 6 and min(n) >= 1 for n in moved)


def test_per_unit_time_without_local_dephasing_states_no_limit():
    """Phase diffusion alone, time=None: the search runs and the limit says nothing (0), with
    a note, instead of failing after the work."""
    res = optimal_probe(Network([QubitEnsemble(2)]), v=[1], seed=1,
                        noise=NoiseModel(collective_dephasing=0.2, time=None))
    assert res.per == "time" and res.limit == 0.0 and res.max_gain == float("inf")
    assert any("no per-unit-time limit" in note for note in res.notes)
    # the probe's per-time figure is at most the product state's (a start of the search)
    assert res.bound <= res.product_bound * (1 + 1e-9)
