r"""The descent of :mod:`qsn_qutip.optimize.seesaw`: the bound and its gradient operator G, the
monotone history, the see-saw fixed point.

Reference numbers come from the toolkit's independently tested estimation path
(:func:`qsn_qutip.noise.apply_noise`, :func:`qsn_qutip.noise.noisy_qfim`,
:func:`qsn_qutip.estimation.bounds.function_bound` / :func:`~qsn_qutip.estimation.bounds.qcrb`),
from central finite differences of the bound, and from closed forms (noiseless one ensemble:
:math:`1/N^2`; one dephased qubit: :math:`e^{2\gamma t}`).
"""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from hypothesis import given, settings
from hypothesis import strategies as st

from qsn_qutip import Network, OpticalMode, QubitEnsemble
from qsn_qutip.estimation.bounds import function_bound, qcrb
from qsn_qutip.noise import NoiseModel, apply_noise, noisy_qfim
from qsn_qutip.optimize import PhaseChannel
from qsn_qutip.optimize.seesaw import SEARCH, Objective, descend
from qsn_qutip.probes import Task

#: (network builder, noise or None, task keywords)
CASES = {
    "two-dicke-dephasing-v": (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]),
                              NoiseModel(dephasing=0.3, time=1.0), {"v": [1.0, -1.0]}),
    "two-dicke-dephasing-weights": (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]),
                                    NoiseModel(dephasing=0.3, time=1.0),
                                    {"weights": [1.0, 2.0]}),
    "two-dicke-noiseless-v": (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]), None,
                              {"v": [1.0, -1.0]}),
    "three-dicke-uneven": (lambda: Network([QubitEnsemble(2), QubitEnsemble(1),
                                            QubitEnsemble(2)]),
                           NoiseModel(dephasing=[0.1, 0.3, 0.2], collective_dephasing=0.05,
                                      time=1.0), {"v": [1.0, -2.0, 0.5]}),
    "one-dicke-dephasing": (lambda: Network([QubitEnsemble(6)]),
                            NoiseModel(dephasing=0.1, time=1.0), {"v": [1.0]}),
    "dicke-and-mode-correlated": (lambda: Network([QubitEnsemble(3), OpticalMode(2)]),
                                  NoiseModel(correlated_dephasing=0.1, dephasing=0.2,
                                             time=1.0), {"v": [2.0, -1.0]}),
    "full-basis-dephasing-weights": (lambda: Network([QubitEnsemble(2, basis="full"),
                                                      QubitEnsemble(2)]),
                                     NoiseModel(dephasing=0.2, time=1.0),
                                     {"weights": [1.0, 0.5]}),
}


def _objective(name):
    build, noise, task = CASES[name]
    net = build()
    channel = PhaseChannel(net, None if noise is None else noise.sensor_rates(net))
    return net, noise, Objective(channel, Task(net.n_params, **task)), task


def _random_positive(dim, rng):
    psi = np.abs(rng.normal(size=dim)) + 0.05
    return psi / np.linalg.norm(psi)


def _tangent(psi, rng):
    d = rng.normal(size=psi.size)
    d -= (d @ psi) * psi
    return d / np.linalg.norm(d)


# ----------------------------------------------------------------------------------------
# the bound and its gradient operator
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_bound_is_the_toolkits_bound(name):
    """The objective's bound equals v^T F^+ v (or tr(W F^+)) of the toolkit's noisy QFIM."""
    net, noise, objective, task = _objective(name)
    rng = np.random.default_rng(5)
    psi = rng.normal(size=objective.channel.dim)
    psi /= np.linalg.norm(psi)
    ket = qutip.Qobj(psi.astype(complex).reshape(-1, 1),
                     dims=[net.ket_dims, [1] * len(net.ket_dims)])
    F = noisy_qfim(ket if noise is None else apply_noise(ket, net, noise), net)
    expected = (function_bound(F, task["v"]) if "v" in task else
                qcrb(F, weights=task["weights"]))
    ev = objective.evaluate(psi)
    assert ev.bound == pytest.approx(expected, rel=1e-9)
    # any scale of the input is the same probe
    assert objective.evaluate(3.7 * psi).bound == pytest.approx(ev.bound, rel=1e-13)
    np.testing.assert_allclose(ev.psi, psi, rtol=0, atol=1e-15)


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(sorted(CASES)), seed=st.integers(0, 2 ** 32 - 1))
def test_expectation_of_the_gradient_operator_is_the_bound(name, seed):
    r""":math:`\langle\psi|G|\psi\rangle = B` (the see-saw identity), G real symmetric."""
    _, _, objective, _ = _objective(name)
    psi = _random_positive(objective.channel.dim, np.random.default_rng(seed))
    ev = objective.evaluate(psi)
    G = objective.gradient(ev)
    assert np.isrealobj(G)
    np.testing.assert_allclose(G, G.T, rtol=0, atol=1e-12 * np.abs(G).max())
    assert float(psi @ G @ psi) == pytest.approx(ev.bound, rel=1e-10)


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(sorted(CASES)), seed=st.integers(0, 2 ** 32 - 1))
def test_gradient_operator_matches_finite_differences(name, seed):
    r"""Along a unit tangent d, :math:`\frac{d}{d\epsilon}B\big((\psi+\epsilon d)/|\cdot|\big) =
    -2\,d^TG\psi`; central differences with step 1e-5 agree to 1e-6 relative."""
    _, _, objective, _ = _objective(name)
    rng = np.random.default_rng(seed)
    psi = _random_positive(objective.channel.dim, rng)
    ev = objective.evaluate(psi)
    G = objective.gradient(ev)
    h = 1e-5
    for _ in range(3):
        d = _tangent(psi, rng)
        fd = (objective.evaluate(psi + h * d).bound
              - objective.evaluate(psi - h * d).bound) / (2 * h)
        analytic = -2.0 * float(d @ G @ psi)
        assert abs(fd - analytic) <= 1e-6 * max(abs(analytic), ev.bound), (fd, analytic)


# ----------------------------------------------------------------------------------------
# the descent
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_history_is_monotone_and_ends_at_the_best(name):
    _, _, objective, _ = _objective(name)
    psi = _random_positive(objective.channel.dim, np.random.default_rng(2))
    seen = []
    run = descend(objective, psi, callback=lambda i, b: seen.append((i, b)))
    h = np.array(run.history)
    assert h[0] == pytest.approx(objective.evaluate(psi).bound, rel=1e-14)
    assert np.all(h[1:] <= h[:-1] * (1 + 1e-12)), np.diff(h)
    assert run.best.bound <= h[0]
    assert run.best.bound == pytest.approx(h.min(), rel=1e-12)
    assert objective.evaluate(run.best.psi).bound == pytest.approx(run.best.bound, rel=1e-12)
    assert run.iterations == len(h) - 1
    assert [b for _, b in seen] == list(h[1:])
    assert [i for i, _ in seen] == list(range(1, len(h)))
    assert run.converged


@pytest.mark.parametrize("name", ["one-dicke-dephasing", "two-dicke-dephasing-v",
                                  "dicke-and-mode-correlated"])
def test_one_parameter_descent_ends_at_a_seesaw_fixed_point(name):
    r"""One parameter (or one function): the run ends at a see-saw fixed point, the relative gap
    :math:`(\lambda_{\max}(G) - \langle G\rangle)/B \le 10^{-9}` recomputed here with numpy,
    and no tangent direction lowers the bound (finite differences)."""
    _, _, objective, _ = _objective(name)
    rng = np.random.default_rng(4)
    run = descend(objective, _random_positive(objective.channel.dim, rng))
    assert run.status == "fixed point"
    ev = run.best
    G = objective.gradient(ev)
    value = float(ev.psi @ G @ ev.psi)
    gap = (np.linalg.eigvalsh(G)[-1] - value) / abs(value)
    assert gap <= 1e-9
    assert run.gaps[-1] <= SEARCH["gap_tol"]
    h = 1e-4
    for _ in range(4):
        d = _tangent(ev.psi, rng)
        slope = (objective.evaluate(ev.psi + h * d).bound
                 - objective.evaluate(ev.psi - h * d).bound) / (2 * h)
        assert abs(slope) <= 1e-6 * ev.bound


@pytest.mark.parametrize("n", [1, 2, 5])
def test_noiseless_one_ensemble_reaches_heisenberg(n):
    r"""Closed form: without noise the best QFI of n qubits is :math:`n^2` (bound
    :math:`1/n^2`), from a random start."""
    channel = PhaseChannel(Network([QubitEnsemble(n)]), None)
    objective = Objective(channel, Task(1, v=[1.0]))
    run = descend(objective, _random_positive(n + 1, np.random.default_rng(n)))
    assert run.status == "fixed point"
    assert run.best.bound == pytest.approx(1.0 / n ** 2, rel=1e-9)


@pytest.mark.parametrize("gamma_t", [0.1, 0.7])
def test_one_dephased_qubit(gamma_t):
    r"""Closed form: one qubit keeps coherence :math:`e^{-\gamma t}`, best QFI
    :math:`e^{-2\gamma t}` (any equatorial state)."""
    net = Network([QubitEnsemble(1)])
    channel = PhaseChannel(net, NoiseModel(dephasing=gamma_t, time=1.0).sensor_rates(net))
    run = descend(Objective(channel, Task(1, v=[1.0])), np.array([0.3, 0.9]))
    assert run.best.bound == pytest.approx(np.exp(2 * gamma_t), rel=1e-10)
    np.testing.assert_allclose(np.abs(run.best.psi), [2 ** -0.5] * 2, rtol=1e-5)


def test_a_probe_without_information_is_not_estimable():
    """A Dicke basis state carries no information on the phase: infinite bound, no descent."""
    channel = PhaseChannel(Network([QubitEnsemble(4)]), None)
    run = descend(Objective(channel, Task(1, v=[1.0])), np.eye(5)[2])
    assert run.best.bound == np.inf
    assert run.status == "not estimable" and not run.converged and run.iterations == 0


@pytest.mark.parametrize("max_iter", [1, 3])
def test_max_iter_caps_the_iterations(max_iter):
    _, _, objective, _ = _objective("one-dicke-dephasing")
    run = descend(objective, _random_positive(objective.channel.dim,
                                              np.random.default_rng(1)), max_iter=max_iter)
    assert run.iterations <= max_iter
    assert len(run.history) <= max_iter + 1
