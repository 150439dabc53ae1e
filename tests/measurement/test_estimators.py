"""Simulated experiments: seeded experiments reaching the bound within their statistical error
(GHZ parity, separable local readout, the singular GHZ QFIM, non-commuting generators), the MLE
against its closed form, ``simulate_task``, the saturation figure and ``qsn simulate``.

Statistical tolerances come from the number of trials T alone: the sample variance of T normal
estimates has relative standard error sqrt(2/(T-1)), and the tests accept a 4-sigma band.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import qutip

from qsn_qutip import MultiLevelAtom, Network, QSNError, QubitEnsemble, states
from qsn_qutip import measurement as M
from qsn_qutip.cli import main
from qsn_qutip.experiment import simulate_task
from qsn_qutip.figures import FIGURES, saturation

GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)
#: acceptance band of a sample variance from T trials, in units of its standard error
SIGMAS = 4.0


def band(trials: int) -> float:
    """The accepted relative deviation of a sample variance of ``trials`` estimates."""
    return SIGMAS * np.sqrt(2.0 / (trials - 1))


def single_qubit():
    net = Network([QubitEnsemble(1)])
    return net, states.product(net)


# -- simulated experiments --------------------------------------------------------------------------
def test_ghz_parity_experiment_reaches_the_bound():
    net = Network([QubitEnsemble(3)])
    ghz = states.ghz_like(net, [1.0])
    trials, mu = 2000, 400
    truth = np.pi / 6                        # the middle of the monotone region (0, pi/3)
    res = M.simulate(ghz, net.generators, M.parity(net), [truth], repeats=mu, trials=trials,
                     seed=2024)
    assert res.estimates.shape == (trials, 1)
    np.testing.assert_allclose(res.crb, res.qcrb, rtol=1e-10)
    assert res.qcrb[0, 0] == pytest.approx(1 / (9 * mu), rel=1e-12)
    assert abs(res.covariance[0, 0] / res.crb[0, 0] - 1) <= band(trials)
    assert abs(res.mean[0] - truth) <= SIGMAS * np.sqrt(res.covariance[0, 0] / trials)
    assert res.at_edge == 0.0
    again = M.simulate(ghz, net.generators, M.parity(net), [truth], repeats=mu, trials=trials,
                       seed=2024)
    np.testing.assert_array_equal(again.estimates, res.estimates)


def test_mle_equals_the_closed_form_for_two_outcomes():
    """For parity p_+ = (1 + cos 3 phi)/2 the MLE in (0, pi/3) is arccos(2 k/mu - 1)/3."""
    net = Network([QubitEnsemble(3)])
    ghz = states.ghz_like(net, [1.0])
    res = M.simulate(ghz, net.generators, M.parity(net), [np.pi / 6], repeats=50, trials=300,
                     seed=5)
    p = M.outcome_probabilities(ghz, net.generators, M.parity(net), [np.pi / 6])
    counts = np.random.default_rng(5).multinomial(50, p / p.sum(), size=300)[:, 0]
    closed = np.arccos(np.clip(2 * counts / 50 - 1, -1, 1)) / 3
    np.testing.assert_allclose(res.estimates[:, 0], closed, atol=1e-8)


@pytest.mark.parametrize("estimator", ["mle", "bayes"])
def test_separable_gradient_experiment_reaches_the_bound(estimator):
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    psi = states.local_ghz(net)
    trials, mu = 1500, 300
    truth = np.full(2, np.pi / 4)
    res = M.simulate(psi, net.local_generators, M.local_readout(net), truth, repeats=mu,
                     trials=trials, seed=7, estimator=estimator)
    variance = GRADIENT @ res.covariance @ GRADIENT
    bound = GRADIENT @ res.qcrb @ GRADIENT
    assert bound == pytest.approx(1 / (4 * mu), rel=1e-10)          # v^T F^-1 v / mu
    assert abs(variance / bound - 1) <= band(trials)
    for k in range(2):
        assert abs(res.covariance[k, k] / res.crb[k, k] - 1) <= band(trials)


def test_theta_alone_for_the_singular_ghz_qfim():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    ghz = states.ghz_like(net, GRADIENT)
    with pytest.raises(QSNError, match="the CFIM of parity at phi_true is singular"):
        M.simulate(ghz, net.local_generators, M.parity(net), [0.1, 0.3], repeats=10, trials=5)
    theta_generator = sum(v * g for v, g in zip(GRADIENT, net.generators))
    trials, mu = 1500, 300
    spread = 2 * np.abs(GRADIENT).sum()                  # n ||v||_1, n = 2
    res = M.simulate(ghz, [theta_generator], M.parity(net), [np.pi / (2 * spread)],
                     repeats=mu, trials=trials, seed=11)
    assert res.qcrb[0, 0] == pytest.approx(1 / (8 * mu), rel=1e-10)   # 1/(2 n^2 mu), n = 2
    assert abs(res.covariance[0, 0] / res.qcrb[0, 0] - 1) <= band(trials)


@pytest.mark.parametrize("estimator", ["mle", "bayes"])
def test_noncommuting_experiment_reaches_the_crb(estimator):
    """A qubit rotated about x and y, read out by the tetrahedral (SIC) POVM: the CFIM is
    invertible but below the QFIM (no measurement reaches the QCRB for both), and the
    estimates reach the CRB."""
    directions = [(0, 0, 1), (2 * np.sqrt(2) / 3, 0, -1 / 3),
                  (-np.sqrt(2) / 3, np.sqrt(2 / 3), -1 / 3),
                  (-np.sqrt(2) / 3, -np.sqrt(2 / 3), -1 / 3)]
    sic = [(qutip.qeye(2) + x * qutip.sigmax() + y * qutip.sigmay() + z * qutip.sigmaz()) / 4
           for x, y, z in directions]
    psi = (qutip.basis(2, 0) + 0.3 * qutip.basis(2, 1)).unit()
    gens = [qutip.sigmax() / 2, qutip.sigmay() / 2]
    trials = 600
    res = M.simulate(psi, gens, sic, [0.2, -0.1], repeats=500, trials=trials, seed=1,
                     bracket=0.3, estimator=estimator)
    assert np.linalg.eigvalsh(res.qfim - res.cfim).min() > 0.1
    for k in range(2):
        assert abs(res.covariance[k, k] / res.crb[k, k] - 1) <= band(trials)


@pytest.mark.parametrize("kwargs,match", [
    ({"estimator": "least-squares"}, "estimator must be 'mle' or 'bayes'"),
    ({"trials": 1}, "trials must be an integer >= 2, got 1"),
    ({"repeats": 0}, "repeats must be an integer >= 1, got 0"),
    ({"bracket": -0.1}, "bracket must be positive half-widths"),
])
def test_simulate_refuses_bad_options(kwargs, match):
    net, plus = single_qubit()
    options = {"repeats": 10, "trials": 10} | kwargs
    with pytest.raises(QSNError, match=match):
        M.simulate(plus, net.generators, M.spin_readout(net, "x"), [0.5], **options)


def test_simulate_task_picks_the_parametrisation_and_measurement():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    trials, mu = 1200, 200
    ghz = simulate_task(net, "ghz", v=GRADIENT, repeats=mu, trials=trials, seed=1)
    assert ghz.measurement == "parity"
    assert ghz.basis.shape == (2, 1)
    np.testing.assert_allclose(np.abs(ghz.basis[:, 0]), np.abs(GRADIENT), atol=1e-12)
    assert ghz.qcrb == pytest.approx(1 / (8 * mu), rel=1e-10)
    assert ghz.crb == pytest.approx(ghz.qcrb, rel=1e-10)
    assert abs(ghz.variance / ghz.qcrb - 1) <= band(trials)
    separable = simulate_task(net, "local-ghz", v=GRADIENT, repeats=mu, trials=trials, seed=2)
    assert separable.measurement == "local readout"
    np.testing.assert_array_equal(separable.basis, np.eye(2))
    assert separable.qcrb == pytest.approx(2 * ghz.qcrb, rel=1e-10)
    assert abs(separable.variance / separable.qcrb - 1) <= band(trials)
    weighted = simulate_task(net, "product", repeats=mu, trials=trials, seed=3)
    assert weighted.qcrb == pytest.approx(1 / mu, rel=1e-10)       # 2 x 1/(n mu), n = 2
    assert abs(weighted.variance / weighted.qcrb - 1) <= band(trials)
    document = json.loads(json.dumps(ghz.to_dict(), allow_nan=False))
    assert document["measurement"] == "parity" and document["trials"] == trials
    assert "QCRB" in str(ghz) and "ratio" in str(ghz)


@pytest.mark.parametrize("probe,kwargs,match", [
    ("time-shared", {"v": GRADIENT}, "time-shared is a reference strategy"),
    ("ghz", {}, "ghz: GHZ-like probes are built for a function theta = v . phi: give v"),
    ("ghz", {"v": GRADIENT, "weights": [1, 1]}, "give either v"),
    ("nope", {"v": GRADIENT}, "unknown probe state 'nope'"),
])
def test_simulate_task_refuses_what_it_cannot_simulate(probe, kwargs, match):
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    with pytest.raises(QSNError, match=match):
        simulate_task(net, probe, repeats=10, trials=10, **kwargs)
    atoms = Network([MultiLevelAtom(spin=1, axes="xyz")])
    with pytest.raises(QSNError, match="no default measurement for a sensor with several"):
        M.default_measurement(atoms, "product")


# -- the figure and the command line -----------------------------------------------------------------
def test_saturation_figure_reaches_the_qcrb(tmp_path):
    assert FIGURES["saturation"] is saturation
    trials = 800
    data = saturation.compute(n=2, repeats=(2, 300), trials=trials, seed=3)
    assert data.qcrb["ghz"] == pytest.approx(1 / 8, rel=1e-10)         # 1/(2 n^2)
    assert data.qcrb["separable"] == pytest.approx(1 / 4, rel=1e-10)   # 1/n^2
    for key in ("ghz", "separable"):
        assert data.crb[key] == pytest.approx(data.qcrb[key], rel=1e-10)
        assert abs(data.variance[key][-1] / data.qcrb[key] - 1) <= band(trials)
        assert data.at_edge[key][0] > 0 and data.at_edge[key][-1] == 0
    fig, axes = saturation.plot(data)
    assert len(axes) == 2 and fig.get_suptitle()
    saturation.to_csv(data, tmp_path / "s.csv")
    lines = [l for l in (tmp_path / "s.csv").read_text().splitlines() if not l.startswith("#")]
    assert lines[0].startswith("repeats,mu_var_ghz") and len(lines) == 3


def test_cli_simulate_prints_json_and_text(capsys, tmp_path):
    model = tmp_path / "gradient.toml"
    model.write_text('[[sensor]]\nkind = "qubits"\nn = 2\n[[sensor]]\nkind = "qubits"\nn = 2\n'
                     '[task]\nfunction = [-0.7071067811865476, 0.7071067811865476]\n'
                     '[probes]\ncompare = ["time-shared", "ghz", "local-ghz"]\n')
    assert main(["simulate", str(model), "--repeats", "100", "--trials", "300", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["probe"] == "ghz" and document["measurement"] == "parity"
    assert document["qcrb"] == pytest.approx(1 / 800, rel=1e-10)
    assert abs(document["ratio_to_qcrb"] - 1) <= band(300)
    assert main(["simulate", str(model), "--probe", "local-ghz", "--trials", "50",
                 "--estimator", "bayes", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "measurement: local readout" in out and "QCRB" in out
    for args, match in ((["--probe", "time-shared"], "time-shared is a reference strategy"),
                        (["--probe", "nope"], "unknown probe 'nope'"),
                        (["--trials", "1"], "--trials must be an integer in [2, 1000000], got 1"),
                        (["--trials", "many"], "--trials must be an integer, got 'many'")):
        assert main(["simulate", str(model), *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("qsn: error:") and match in err[0]
