"""The measurement for a probe found by optimal_probe: qsn_qutip.optimize.readout.

The numbers the readouts are checked against come from closed forms (||v||_1^2 / N^2 for the
noiseless GHZ-type optimum) and from the independent full-space code of ``reference.py`` (the
dephased state and its QFI), with the CFIM recomputed here from the dense effects.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from math import comb
from pathlib import Path

import numpy as np
import pytest
import qutip

from qsn_qutip import MultiLevelAtom, Network, QSNError, QubitEnsemble, optimal_probe
from qsn_qutip.experiment import simulate_task
from qsn_qutip.measurement import cfim, joint_sld_readout, simulate
from qsn_qutip.noise import NoiseModel
from qsn_qutip.optimize.local_readout import (CFIMObjective, EncodedState, LocalSearch,
                                              families, spin_components)
from qsn_qutip.optimize.readout import ReadoutReport, optimal_readout
from qsn_qutip.measurement.noisy import measured_state
from qsn_qutip.probes import Task

_spec = importlib.util.spec_from_file_location(
    "optimize_reference", Path(__file__).with_name("reference.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

GAMMA = 0.2


# ----------------------------------------------------------------------------------------
# independent arithmetic
# ----------------------------------------------------------------------------------------
def dicke_to_full(amplitudes: np.ndarray) -> np.ndarray:
    """A Dicke-basis ket (index k = number of spins down) on the 2^n qubits."""
    n = amplitudes.size - 1
    out = np.zeros(2 ** n, dtype=complex)
    for x in range(2 ** n):
        k = bin(x).count("1")
        out[x] = amplitudes[k] / np.sqrt(comb(n, k))
    return out


def dicke_isometry(n: int) -> np.ndarray:
    """Columns: the Dicke states |k> (k spins down) on the 2^n qubits."""
    return np.array([dicke_to_full(np.eye(n + 1)[k]) for k in range(n + 1)]).T


def full_space(report, n: int) -> tuple[np.ndarray, callable]:
    """(the state read out, effects -> effects) on the 2^n qubits, whichever space it is on."""
    if report.network.ket_dims == [2] * n:
        return report.state.full(), lambda effects: effects
    s = dicke_isometry(n)                              # the state stays symmetric (a GHZ state)
    return s @ report.state.full() @ s.conj().T, lambda effects: s[None] @ effects @ s.conj().T


def dense_cfim(rho: np.ndarray, diagonals: list[np.ndarray], effects: np.ndarray,
               phi: np.ndarray) -> np.ndarray:
    """sum_x dp dp^T / p from the dense effects, rho_phi = U rho U^dag for diagonal H_k."""
    phases = np.exp(-1j * sum(p * h for p, h in zip(phi, diagonals)))
    rho = phases[:, None] * rho * phases.conj()[None, :]
    p = np.einsum("xab,ba->x", effects, rho).real
    dp = np.array([np.einsum("xab,ba->x", effects, -1j * (h[:, None] - h[None, :]) * rho).real
                   for h in diagonals]).T
    use = p > 1e-12
    return (dp[use].T / p[use]) @ dp[use]


def function_bound(matrix: np.ndarray, v: np.ndarray) -> float:
    return float(v @ np.linalg.pinv(matrix, rcond=1e-10, hermitian=True) @ v)


def generator_diagonals(network: Network) -> list[np.ndarray]:
    return [np.real(g.full().diagonal()) for g in
            (h.to_qobj() if hasattr(h, "to_qobj") else h for h in network.generators)]


# ----------------------------------------------------------------------------------------
# probes (found once)
# ----------------------------------------------------------------------------------------
GHZ_CASES = [((2, 2), (1.0, -1.0)), ((1, 2), (1.0, 2.0)), ((1, 1, 1), (1.0, 1.0, 1.0))]


@pytest.fixture(scope="module", params=GHZ_CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def ghz_optimum(request):
    ns, v = request.param
    net = Network([QubitEnsemble(n) for n in ns])
    return optimal_probe(net, v=list(v), seed=1), np.array(v), sum(ns)


@pytest.fixture(scope="module", params=[2, 3, 4])
def dephased(request):
    noise = NoiseModel(dephasing=GAMMA, time=1.0)
    best = optimal_probe(Network([QubitEnsemble(request.param)]), noise=noise, seed=1)
    return request.param, noise, best


# ----------------------------------------------------------------------------------------
# noiseless GHZ-type optimum: the best local readout reaches the bound
# ----------------------------------------------------------------------------------------
def test_ghz_type_optimum_local_readout_reaches_the_bound(ghz_optimum):
    best, v, n = ghz_optimum
    closed = np.abs(v).sum() ** 2 / n ** 2                    # ||v||_1^2 / N^2 (the paper)
    assert best.bound == pytest.approx(closed, rel=1e-6)
    report = optimal_readout(best, seed=2)
    assert report.qfim_bound == pytest.approx(closed, rel=1e-6)
    assert report.local.ratio == pytest.approx(1.0, abs=1e-6)
    assert report.sld.ratio == pytest.approx(1.0, abs=1e-8)
    # the CFIM again, from the dense effects of the local readout and the ket itself
    psi = report.state.full().ravel()
    rho = np.outer(psi, psi.conj())
    diagonals = generator_diagonals(report.network)
    for readout in (report.local, report.sld):
        fc = dense_cfim(rho, diagonals, readout.povm.dense_effects(), report.phi)
        assert function_bound(fc, v) == pytest.approx(closed, rel=1e-6)
        np.testing.assert_allclose(fc, readout.cfim, atol=1e-8 * n ** 2)
    # what to build: one spin axis per ensemble, on the equator (the phase is in x-y)
    assert [s["family"] for s in report.local.settings] == ["axis"] * len(v)
    assert all(abs(s["theta"] - np.pi / 2) < 1e-4 for s in report.local.settings)


def test_local_readout_matches_the_public_cfim(ghz_optimum):
    best, v, _ = ghz_optimum
    phi = np.linspace(0.1, 0.3, len(v))
    report = optimal_readout(best, seed=3, phi=phi, restarts=2)
    fc = cfim(best.state, best.network.generators, report.local.povm, phi)
    np.testing.assert_allclose(fc, report.local.cfim, atol=1e-9 * np.abs(fc).max())
    assert report.local.ratio == pytest.approx(1.0, abs=1e-6)


# ----------------------------------------------------------------------------------------
# one ensemble under local dephasing: the SLD readout saturates the QFI
# ----------------------------------------------------------------------------------------
def test_dephased_ensemble_sld_readout_saturates_the_qfi(dephased):
    n, noise, best = dephased
    eta = np.exp(-GAMMA * 1.0)
    psi = dicke_to_full(best.dicke_amplitudes)
    expected = ref.ket_qfi(psi, eta)                          # independent full-space QFI
    assert best.qfim[0, 0] == pytest.approx(expected, rel=1e-8)
    report = optimal_readout(best, noise=noise, seed=1)
    rho = ref.dephase(np.outer(psi, psi.conj()), eta)
    read, lift = full_space(report, n)
    np.testing.assert_allclose(read, rho, atol=1e-12)
    fc = dense_cfim(rho, [ref.jz_diagonal(n)], lift(report.sld.povm.dense_effects()),
                    report.phi)
    assert fc[0, 0] == pytest.approx(expected, rel=1e-8)
    assert report.sld.ratio == pytest.approx(1.0, abs=1e-8)
    assert report.qfim_bound == pytest.approx(1 / expected, rel=1e-8)
    # the best collective-spin readout: at most the QFI, and what it gives is recomputed here
    assert 0 < report.local.ratio <= 1 + 1e-12
    fl = dense_cfim(rho, [ref.jz_diagonal(n)], lift(report.local.povm.dense_effects()),
                    report.phi)
    assert report.local.ratio == pytest.approx(fl[0, 0] / expected, rel=1e-8)
    assert min(report.starts) == pytest.approx(report.local.bound, rel=1e-12)


def test_particle_readout_carries_the_collective_spin_information():
    """On the full space every qubit is read out along n: the same CFIM as the collective
    J_n (its eigenprojectors, degenerate, built here from the Pauli matrices)."""
    noise = NoiseModel(dephasing=GAMMA, time=1.0)
    best = optimal_probe(Network([QubitEnsemble(3)]), noise=noise, seed=1)
    report = optimal_readout(best, noise=noise, seed=1, phi=[0.3])
    setting = report.local.settings[0]
    assert setting["family"] == "axis" and "every one of the 3 particles" in \
        report.local.recipe[0]
    n_axis = np.array(setting["axis"])
    paulis = [qutip.sigmax().full(), qutip.sigmay().full(), qutip.sigmaz().full()]
    one = sum(a * p for a, p in zip(n_axis, paulis)) / 2
    eye = np.eye(2)
    jn = sum(np.kron(np.kron(*(one if i == k else eye for i in range(2))), one if k == 2 else
                     eye) for k in range(3))
    values, vecs = np.linalg.eigh(jn)
    effects = np.array([vecs[:, np.isclose(values, m)] @ vecs[:, np.isclose(values, m)].conj().T
                        for m in (-1.5, -0.5, 0.5, 1.5)])
    fc = dense_cfim(report.state.full(), [ref.jz_diagonal(3)], effects, report.phi)
    assert fc[0, 0] == pytest.approx(report.local.cfim[0, 0], rel=1e-9)


def test_dephased_ensemble_per_unit_time():
    noise = NoiseModel(dephasing=GAMMA, time=None)            # time optimised with the state
    best = optimal_probe(Network([QubitEnsemble(3)]), noise=noise, seed=1)
    assert best.per == "time"
    report = optimal_readout(best, noise=noise, seed=1)
    assert report.noise.time == best.time
    assert report.qfim_bound == pytest.approx(best.bound, rel=1e-9)   # B(t) / t
    assert report.sld.ratio == pytest.approx(1.0, abs=1e-8)
    assert report.local.ratio <= 1 + 1e-12
    assert report.per == "time"


def test_network_function_under_dephasing():
    noise = NoiseModel(dephasing=0.1, time=1.0)
    net = Network([QubitEnsemble(2), QubitEnsemble(1)])
    best = optimal_probe(net, v=[1.0, 1.0], noise=noise, resources="fixed", seed=1)
    report = optimal_readout(best, noise=noise, seed=1)
    # C u = v with u = F^+ v: the SLD readout saturates the function's bound (several phases)
    u = np.linalg.pinv(report.qfim) @ np.array([1.0, 1.0])
    np.testing.assert_allclose(report.sld.cfim @ u, [1.0, 1.0], atol=1e-9)
    assert report.sld.ratio == pytest.approx(1.0, abs=1e-8)
    assert report.qfim_bound == pytest.approx(best.bound, rel=1e-9)
    assert 0 < report.local.ratio <= 1 + 1e-12


def test_weighted_task_and_a_sensor_without_spin():
    net = Network([QubitEnsemble(2), MultiLevelAtom(levels=[0.0, 1.0, 3.0])])
    best = optimal_probe(net, resources="fixed", seed=1)       # all parameters, weights 1
    report = optimal_readout(best, seed=1)
    assert [s["family"] for s in report.local.settings] == ["axis", "unitary"]
    assert report.local.ratio == pytest.approx(1.0, abs=1e-6)   # local GHZ: Proposition 2
    assert report.sld.ratio == pytest.approx(1.0, abs=1e-8)     # the local SLDs
    assert "Proposition 2" in report.sld.recipe[0]
    u = report.local.settings[1]["unitary"]
    np.testing.assert_allclose(u.conj().T @ u, np.eye(3), atol=1e-12)


def test_unitary_family_reaches_the_bound_on_a_small_sensor():
    noise = NoiseModel(dephasing=GAMMA, time=1.0)
    best = optimal_probe(Network([QubitEnsemble(2)]), noise=noise, seed=1)
    report = optimal_readout(best, noise=noise, seed=1, local="unitary", restarts=2)
    assert report.local.settings[0]["family"] == "unitary"
    assert report.local.ratio == pytest.approx(1.0, abs=1e-6)    # one sensor: local = joint


# ----------------------------------------------------------------------------------------
# the engine: exact gradient, the spin found from the sensor's hooks
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("local", ["spin", "unitary"])
def test_local_search_gradient_matches_finite_differences(local):
    noise = NoiseModel(dephasing=0.1, time=1.0)
    net = Network([QubitEnsemble(2), QubitEnsemble(1)])
    best = optimal_probe(net, v=[1.0, -1.0], noise=noise, resources="fixed", seed=1)
    measured = measured_state(best.state, best.network, noise)
    search = LocalSearch(measured.network, EncodedState(measured, np.array([0.2, 0.1])),
                         CFIMObjective(Task(2, v=[1.0, -1.0]), measured.qfim),
                         families(measured.network, local))
    rng = np.random.default_rng(5)
    x = np.concatenate([f.random(rng) for f in search.families])
    _, grad = search.value_and_gradient(x)
    step = 1e-6
    numeric = np.array([(search.value(x + step * e) - search.value(x - step * e)) / (2 * step)
                        for e in np.eye(x.size)])
    np.testing.assert_allclose(grad, numeric, atol=1e-7 * np.abs(numeric).max())


@pytest.mark.parametrize("sensor", [QubitEnsemble(3), QubitEnsemble(2, basis="full"),
                                    MultiLevelAtom(spin=1.0)], ids=repr)
def test_spin_components_are_the_spin(sensor):
    jy, jz, vz, labels = spin_components(sensor)
    j = (sensor.size - 1) / 2 if sensor.dims == [sensor.size] else None
    if j is not None:
        np.testing.assert_allclose(jy, qutip.jmat(j, "y").full(), atol=1e-12)
    np.testing.assert_allclose(jz, sensor.generators[0].full(), atol=1e-12)
    assert len(labels) == sensor.size


# ----------------------------------------------------------------------------------------
# simulate runs it
# ----------------------------------------------------------------------------------------
def _near(variance: float, bound: float, trials: int) -> bool:
    """Within four standard errors of a sample variance (and 5 % for the finite mu bias)."""
    return abs(variance / bound - 1) <= 4 * np.sqrt(2 / (trials - 1)) + 0.05


def test_simulate_task_runs_the_ghz_readouts():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    best = optimal_probe(net, v=[1.0, -1.0], seed=1)
    report = optimal_readout(best, seed=1)
    for readout in (report.local, report.sld):
        sim = simulate_task(best.network, ("optimal", best.state), v=[1.0, -1.0],
                            povm=readout.povm, phi=report.phi, repeats=100, trials=400, seed=2)
        assert sim.crb == pytest.approx(readout.bound / 100, rel=1e-9)
        assert sim.comparable
        assert _near(sim.variance, sim.crb, 400)


def test_simulate_task_runs_the_dephased_readouts():
    noise = NoiseModel(dephasing=GAMMA, time=1.0)
    best = optimal_probe(Network([QubitEnsemble(3)]), noise=noise, seed=1)
    report = optimal_readout(best, noise=noise, seed=1)
    for readout in (report.sld, report.local):
        sim = simulate_task(best.network, ("optimal", best.state), povm=readout.povm,
                            noise=report.noise, phi=report.phi, repeats=100, trials=400, seed=2)
        assert sim.measured_on                           # the full space of the qubits
        assert sim.crb == pytest.approx(readout.bound / 100, rel=1e-9)
        assert sim.comparable
        assert _near(sim.variance, sim.crb, 400)
    # and simulate itself, on the state read out
    res = simulate(report.state, report.network.generators, report.sld.povm, report.phi,
                   repeats=100, trials=400, seed=4)
    assert res.crb[0, 0] == pytest.approx(report.qfim_bound / 100, rel=1e-8)
    assert _near(res.covariance[0, 0], res.crb[0, 0], 400)


def test_simulate_task_refuses_a_povm_on_the_wrong_space():
    noise = NoiseModel(dephasing=GAMMA, time=1.0)
    best = optimal_probe(Network([QubitEnsemble(3)]), noise=noise, seed=1)
    dicke = joint_sld_readout(best.network, best.state, [0.0])   # on the Dicke space
    with pytest.raises(QSNError, match="povm"):
        simulate_task(best.network, ("optimal", best.state), povm=dicke, noise=noise,
                      trials=10, seed=1)
    with pytest.raises(QSNError, match="phi"):
        simulate_task(best.network, ("optimal", best.state), noise=noise, phi=[0.0, 1.0],
                      trials=10, seed=1)


# ----------------------------------------------------------------------------------------
# the report and bad input
# ----------------------------------------------------------------------------------------
def test_report_renders():
    best = optimal_probe(Network([QubitEnsemble(2), QubitEnsemble(2)]), v=[1, -1], seed=1)
    report = optimal_readout(best, seed=1, restarts=1)
    assert isinstance(report, ReadoutReport)
    text = str(report)
    assert "SLD readout" in text and "best local readout" in text and "rotation" in text
    assert report._repr_html_().startswith("<div>")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["local"]["ratio"] == pytest.approx(1.0, abs=1e-6)
    assert len(data["starts"]) == 2
    assert "ReadoutReport(" in repr(report)


@pytest.fixture(scope="module")
def noisy_probe():
    noise = NoiseModel(dephasing=GAMMA, time=1.0)
    return noise, optimal_probe(Network([QubitEnsemble(2)]), noise=noise, seed=1)


@pytest.mark.parametrize("kwargs, name", [
    ({"phi": [0.0, 1.0]}, "phi"),
    ({"phi": "x"}, "phi"),
    ({"restarts": -1}, "restarts"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"local": "axis"}, "local"),
])
def test_bad_options_name_the_argument(noisy_probe, kwargs, name):
    noise, best = noisy_probe
    with pytest.raises(QSNError, match=name):
        optimal_readout(best, noise=noise, **kwargs)


def test_bad_result_and_noise_name_the_argument(noisy_probe):
    noise, best = noisy_probe
    with pytest.raises(QSNError, match="result"):
        optimal_readout("not a result")
    stripped = dataclasses.replace(best, noise=None) if hasattr(best, "noise") else best
    with pytest.raises(QSNError, match="noise"):
        optimal_readout(stripped)                                # noise missing
    with pytest.raises(QSNError, match="noise"):
        optimal_readout(best, noise="dephasing")
    with pytest.raises(QSNError, match="noise"):
        optimal_readout(best, noise=NoiseModel(dephasing=0.5, time=1.0))   # not its noise
    with pytest.raises(QSNError, match="noise.time"):
        optimal_readout(best, noise=NoiseModel(dephasing=GAMMA, time=2.0))
    clean = optimal_probe(Network([QubitEnsemble(2)]), seed=1)
    with pytest.raises(QSNError, match="noise"):
        optimal_readout(clean, noise=noise)                      # optimised without noise
