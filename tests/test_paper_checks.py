"""The checks the core issue names, against the paper's closed forms."""

import numpy as np
import pytest
import qutip

from qsn_qutip import (Network, OpticalMode, QubitEnsemble, function_bound, ghz_bound, qcrb,
                       qfim, separable_bound, states)

GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)


@pytest.fixture
def gradient_network():
    return Network([QubitEnsemble(4), QubitEnsemble(4)])


def test_gradient_ghz_like_qfim_and_bound(gradient_network):
    psi = states.ghz_like(gradient_network, GRADIENT)
    F = qfim(psi, gradient_network.generators)
    np.testing.assert_allclose(F, [[16, -16], [-16, 16]], atol=1e-12)
    assert function_bound(F, GRADIENT) == pytest.approx(1 / 32, rel=1e-12)
    assert function_bound(F, GRADIENT) == pytest.approx(ghz_bound(GRADIENT, 8), rel=1e-12)


def test_gradient_local_ghz_is_twice_the_global(gradient_network):
    F_local = qfim(states.local_ghz(gradient_network), gradient_network.generators)
    np.testing.assert_allclose(F_local, np.diag([16, 16]), atol=1e-12)
    local = function_bound(F_local, GRADIENT)
    assert local == pytest.approx(1 / 16, rel=1e-12)
    assert local == pytest.approx(separable_bound(GRADIENT, 8), rel=1e-12)
    glob = function_bound(qfim(states.ghz_like(gradient_network, GRADIENT),
                               gradient_network.generators), GRADIENT)
    assert glob / local == pytest.approx(0.5, rel=1e-12)


def test_gradient_global_ghz_cannot_estimate_both_fields(gradient_network):
    F = qfim(states.ghz_like(gradient_network, GRADIENT), gradient_network.generators)
    assert qcrb(F) == float("inf")
    assert qcrb(qfim(states.local_ghz(gradient_network), gradient_network.generators)) == \
        pytest.approx(2 / 16, rel=1e-12)


def test_average_of_four_parameters_gains_one_over_d():
    net = Network([QubitEnsemble(2) for _ in range(4)])
    v = np.ones(4) / 4
    ghz = function_bound(qfim(states.ghz_like(net, v), net.generators), v)
    local = function_bound(qfim(states.local_ghz(net), net.generators), v)
    assert ghz == pytest.approx(1 / 64, rel=1e-12)
    assert local == pytest.approx(1 / 16, rel=1e-12)
    assert ghz / local == pytest.approx(1 / 4, rel=1e-12)


def test_humphreys_generalized_noon_d3_n6():
    d, N = 3, 6
    net = Network([OpticalMode(N, generator=None)] + [OpticalMode(N) for _ in range(d)])
    F = qfim(states.generalized_noon(net, N), net.generators)
    assert np.trace(np.linalg.inv(F)) == pytest.approx(0.155502, abs=1e-6)
    assert qcrb(F) == pytest.approx(d * (1 + np.sqrt(d)) ** 2 / (4 * N ** 2), rel=1e-12)
    independent = Network([OpticalMode(N, photons=N // d) for _ in range(d)])
    assert qcrb(qfim(states.local_ghz(independent), independent.generators)) == \
        pytest.approx(0.75, rel=1e-12)


def test_ket_and_density_matrix_agree(gradient_network):
    psi = states.random_pure(gradient_network, seed=7)
    np.testing.assert_allclose(qfim(psi, gradient_network.generators),
                               qfim(qutip.ket2dm(psi), gradient_network.generators),
                               atol=1e-10)
