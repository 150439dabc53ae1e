"""Simulated experiments of a model's probe (``simulate_task``, ``qsn simulate``): the noisy
probe is what is sampled and bounded, the readout estimates the task, runs whose estimates pile
up on the bracket edge say so instead of comparing.

Statistical tolerances come from the number of trials T alone: the sample variance of T normal
estimates has relative standard error sqrt(2/(T-1)), and the tests accept a 4-sigma band.
Every simulation is seeded.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import qutip

from qsn_qutip import Network, OpticalMode, QSNError, QubitEnsemble, probes, states
from qsn_qutip import cli
from qsn_qutip import measurement as M
from qsn_qutip.experiment import MAX_FULL_DIMENSION, simulate_task
from qsn_qutip.noise import NoiseModel, apply_noise, noisy_qfim
from qsn_qutip.options import tolerances

GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)
SIGMAS = 4.0


def band(trials: int) -> float:
    """The accepted relative deviation of a sample variance of ``trials`` estimates."""
    return SIGMAS * np.sqrt(2.0 / (trials - 1))


def dicke_ket(network: Network, indices, amplitudes) -> qutip.Qobj:
    """sum_i a_i |k_i1, k_i2, ...> (Dicke index k = spins down), normalised."""
    psi = sum(a * qutip.tensor([qutip.basis(s.size, k) for s, k in zip(network.sensors, ks)])
              for ks, a in zip(indices, amplitudes))
    return psi.unit()


def gradient_model(tmp_path, n: int, extra: str = "", probes_line: str = '"ghz"'):
    path = tmp_path / "model.toml"
    path.write_text(f'name = "gradient"\n[[sensor]]\nkind = "qubits"\nn = {n}\n'
                    f'[[sensor]]\nkind = "qubits"\nn = {n}\n'
                    f'[task]\nfunction = [-0.7071067811865476, 0.7071067811865476]\n'
                    f'[probes]\ncompare = [{probes_line}]\n{extra}')
    return str(path)


# -- noise: the noisy probe is sampled, its bounds are the noisy ones ----------------------------
def test_noisy_ghz_reaches_the_closed_form_parity_bound():
    """GHZ of N = 4 qubits under local dephasing gamma t: the parity CFI of theta is
    (n ||v||_1)^2 e^{-2 N gamma t} = 8 e^{-2 N gamma t}, the noisy QFI (a closed form); the
    simulated variance agrees with it, never with the noiseless bound 1/(8 mu)."""
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    gamma_t, mu, trials = 0.15, 200, 800
    noise = NoiseModel(dephasing=gamma_t / 0.5, time=0.5)
    sim = simulate_task(net, "ghz", v=GRADIENT, repeats=mu, trials=trials, seed=7, noise=noise)
    closed = np.exp(2 * 4 * gamma_t) / (8 * mu)
    assert sim.measurement == "parity" and sim.noise is noise and sim.measured_on == ""
    assert sim.qcrb == pytest.approx(closed, rel=1e-9)
    assert sim.crb == pytest.approx(closed, rel=1e-9)
    assert abs(sim.variance / sim.crb - 1) <= band(trials)
    assert abs(sim.variance / (1 / (8 * mu)) - 1) > 5 * band(trials)
    assert sim.comparable and "QCRB (noisy)" in str(sim) and "dephasing = 0.3" in str(sim)
    document = json.loads(json.dumps(sim.to_dict(), allow_nan=False))
    assert document["noise"]["dephasing"] == 0.3 and document["noise"]["time"] == 0.5
    # the sampled state is the noisy one: its QFIM on the measured space is the noisy QFIM
    assert sim.result.qfim[0, 0] == pytest.approx(8 * np.exp(-2 * 4 * gamma_t), rel=1e-9)


def test_leaking_noise_is_sampled_on_the_full_space_of_the_qubits():
    """A spin-coherent (product) probe under local dephasing leaves the Dicke subspace: it is
    sampled on the full 2^n space (every qubit along x), and the bounds are closed forms:
    QFI n e^{-2 gamma t} per sensor, CFI n r^2 sin^2 phi / (1 - r^2 cos^2 phi), r = e^{-gamma t}."""
    n, gamma_t, mu, trials = 2, 0.2, 200, 600
    net = Network([QubitEnsemble(n), QubitEnsemble(n)])
    noise = NoiseModel(dephasing=gamma_t, time=1.0)
    sim = simulate_task(net, "product", v=GRADIENT, repeats=mu, trials=trials, seed=3,
                        noise=noise)
    assert "full 2^n space" in sim.measured_on and sim.measurement == "local readout"
    assert sim.qcrb == pytest.approx(np.exp(2 * gamma_t) / (n * mu), rel=1e-9)
    reference = noisy_qfim(apply_noise(states.product(net), net, noise), net)
    np.testing.assert_allclose(sim.result.qfim, reference, rtol=1e-9, atol=1e-12)
    r2 = np.exp(-2 * gamma_t)
    phi = sim.result.phi_true
    per_qubit = r2 * np.sin(phi) ** 2 / (1 - r2 * np.cos(phi) ** 2)
    assert sim.crb == pytest.approx(float(GRADIENT ** 2 @ (1 / (n * per_qubit))) / mu, rel=1e-8)
    assert abs(sim.variance / sim.crb - 1) <= band(trials)


def test_too_large_leaking_state_is_refused_in_one_line(tmp_path, capsys):
    net = Network([QubitEnsemble(6), QubitEnsemble(6)])
    with pytest.raises(QSNError, match=f"leaves their symmetric .* dimension 4096 here, above "
                                       f"{MAX_FULL_DIMENSION}"):
        simulate_task(net, "product", v=GRADIENT, repeats=10, trials=10,
                      noise=NoiseModel(dephasing=0.1, time=1.0))
    model = gradient_model(tmp_path, 6, "[noise]\ndephasing = 0.1\ntime = 1\n", '"product"')
    assert cli.main(["simulate", model]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("qsn: error:") and "symmetric" in err[0]


def test_cli_simulate_samples_the_model_noise(tmp_path, capsys):
    model = gradient_model(tmp_path, 2, "[noise]\ndephasing = 0.3\ntime = 0.5\n")
    trials = 400
    assert cli.main(["simulate", model, "--repeats", "200", "--trials", str(trials),
                     "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    closed = np.exp(2 * 4 * 0.15) / (8 * 200)
    assert document["qcrb"] == pytest.approx(closed, rel=1e-9)
    assert document["crb"] == pytest.approx(closed, rel=1e-9)
    assert document["noise"]["dephasing"] == 0.3 and document["comparable"] is True
    assert abs(document["ratio_to_crb"] - 1) <= band(trials)
    assert cli.main(["simulate", model, "--repeats", "200", "--trials", "50"]) == 0
    out = capsys.readouterr().out
    assert "noise: dephasing = 0.3, time = 0.5" in out and "QCRB (noisy)" in out


def test_simulate_task_refuses_a_noise_that_is_not_a_noise_model():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    with pytest.raises(QSNError, match="noise must be a NoiseModel or None, got dict"):
        simulate_task(net, "ghz", v=GRADIENT, repeats=10, trials=10, noise={"dephasing": 1})


# -- the readout estimates the task --------------------------------------------------------------
def test_user_ghz_state_with_a_relative_phase_gets_the_parity_at_a_good_phase():
    """(|up^3 down^3> + i |down^3 up^3>)/sqrt2: two branches exchanged by the parity.  Its
    signal is shifted by a quarter period, so the default true value is a special point where
    no readout carries information (the old behaviour: local readout, CRB 1e32 x the QCRB);
    the parity at the middle of a monotone region reaches the QCRB."""
    net = Network([QubitEnsemble(3), QubitEnsemble(3)])
    psi = dicke_ket(net, [(0, 3), (3, 0)], [1, 1j])
    trials, mu = 600, 100
    sim = simulate_task(net, ("mine", psi), v=GRADIENT, repeats=mu, trials=trials, seed=4)
    assert sim.measurement == "parity" and "two branches" in sim.readout_note
    assert sim.qcrb == pytest.approx(1 / (18 * mu), rel=1e-9)           # 1/(2 n^2 mu), n = 3
    assert sim.crb == pytest.approx(sim.qcrb, rel=1e-9)
    assert abs(sim.variance / sim.crb - 1) <= band(trials) and sim.comparable


def test_readout_falls_back_to_the_sld_readout_when_the_default_cannot_estimate():
    """A mode in (|1> + |2>)/sqrt2 (cutoff 2): the default readout, the eigenbasis of the
    parity |0> <-> |2>, gives outcome probabilities that do not depend on phi; the local SLD
    readout reaches the QFI 4 Var(n) = 1."""
    net = Network([OpticalMode(2)])
    psi = (qutip.basis(3, 1) + qutip.basis(3, 2)).unit()
    with pytest.raises(QSNError, match="CFIM of local readout at phi_true is singular"):
        M.simulate(psi, net.generators, M.local_readout(net), [0.4], repeats=10, trials=10)
    trials, mu = 600, 200
    sim = simulate_task(net, ("mine", psi), repeats=mu, trials=trials, seed=2)
    assert sim.measurement == "local SLD readout"
    assert "local readout cannot estimate the task" in sim.readout_note
    assert sim.qcrb == pytest.approx(1 / mu, rel=1e-9)
    assert sim.crb == pytest.approx(sim.qcrb, rel=1e-9)
    assert abs(sim.variance / sim.crb - 1) <= band(trials)


def test_no_readout_that_estimates_the_task_is_refused():
    net = Network([OpticalMode(2), OpticalMode(2)])
    psi = (qutip.tensor(qutip.basis(3, 1), qutip.basis(3, 2))
           + qutip.tensor(qutip.basis(3, 2), qutip.basis(3, 1))).unit()
    with pytest.raises(QSNError, match=r"no readout tried \(local readout, local SLD readout\) "
                                       r"estimates the task"):
        simulate_task(net, ("mine", psi), v=GRADIENT, repeats=10, trials=10)


@pytest.mark.parametrize("probe", ["ghz-type", "optimal-ghz"])
def test_multi_branch_registry_probes_keep_a_local_readout_that_estimates_the_task(probe):
    """ghz-type / optimal-ghz on an uneven array (n = 2, 3, 2 for the curvature): more than two
    branches, the parity does not saturate; the local readout does (checked with cfim)."""
    net = Network([QubitEnsemble(2), QubitEnsemble(3), QubitEnsemble(2)])
    v = np.array([1.0, -2.0, 1.0]) / np.sqrt(6)
    mu = 100
    sim = simulate_task(net, probe, v=v, repeats=mu, trials=50, seed=1)
    assert sim.measurement == "local readout" and sim.readout_note == ""
    state, built = probes.build_probe(probe, net, v)
    phi = sim.basis @ sim.result.phi_true
    fc = M.cfim(state, built.local_generators, M.local_readout(built), phi)
    assert float(v @ np.linalg.pinv(fc) @ v) / mu == pytest.approx(sim.crb, rel=1e-8)
    assert sim.crb == pytest.approx(sim.qcrb, rel=1e-8)


def test_parity_probes_are_the_registry_ones():
    assert M.PARITY_PROBES == probes.PARITY_PROBES == ("ghz",)
    assert "optimal-ghz" not in M.PARITY_PROBES
    assert probes.PROBES["optimal-ghz"].readout == "local"


# -- estimates on the bracket edge ---------------------------------------------------------------
def test_runs_with_estimates_on_the_bracket_edge_are_not_compared():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    sim = simulate_task(net, "ghz", v=GRADIENT, repeats=1, trials=200, seed=5)
    assert sim.result.at_edge > tolerances.edge_flag and not sim.comparable
    text = str(sim)
    assert "warning:" in text and "no ratio" in text and "ratio 1" not in text
    document = sim.to_dict()
    assert document["comparable"] is False and document["warning"] == sim.warning
    assert document["ratio_to_qcrb"] is None and document["ratio_to_crb"] is None
    good = simulate_task(net, "ghz", v=GRADIENT, repeats=200, trials=200, seed=5)
    assert good.comparable and good.warning is None and good.to_dict()["ratio_to_qcrb"] > 0


def test_cli_warns_about_estimates_on_the_bracket_edge_and_exits_normally(tmp_path, capsys):
    model = gradient_model(tmp_path, 2)
    assert cli.main(["simulate", model, "--repeats", "1", "--trials", "100"]) == 0
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("qsn: warning:") and "edge" in err[0]
    assert "no ratio" in captured.out
    assert cli.main(["simulate", model, "--repeats", "1", "--trials", "100", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["comparable"] is False
    assert captured.err.startswith("qsn: warning:")


# -- what the command line says it does ----------------------------------------------------------
def test_simulate_help_describes_the_behaviour(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["simulate", "--help"])
    assert stop.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("[noise]", "GHZ parity for ghz", "SLD readout", "warning"):
        assert phrase in text
    doc = " ".join(cli.__doc__.split())
    assert "``ghz``/``optimal-ghz``" not in doc
    assert "``[noise]``" in doc and "local SLD readout" in doc
