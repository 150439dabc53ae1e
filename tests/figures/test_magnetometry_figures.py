"""The two magnetometry figures against closed forms worked out by hand.

Gradiometer (two cells at L, n atoms each, Ramsey t, dead time t_d, coherence exp(-t/T2)):
Var(G) = c exp(k t/T2)/(gamma t L)^2 with (c, k) = (2/n, 2) for product states, (2/n^2, 2n)
for a GHZ state in each cell and (1/n^2, 4n) for one GHZ state across both cells, and
eta^2 = (t + t_d) Var(G).  Dipole map: the covariance of the position is [(J^T F J)^-1] with
F = n 1 (product states) and J from the dipole field, here checked by finite differences of
the field on its own.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.constants
import scipy.optimize

from qsn_qutip.figures import dipole_map, gradiometer
from qsn_qutip.magnetometry import SPECIES

RB = SPECIES["87Rb F=2"].gamma


def eta_closed(c: float, k: float, t: float, td: float, T2: float, L: float) -> float:
    return math.sqrt((t + td) * c * math.exp(k * t / T2)) / (RB * t * L)


@pytest.fixture(scope="module")
def grad():
    return gradiometer.compute(n_values=(1, 3, 10))


def test_gradiometer_against_closed_forms(grad):
    t, td, T2, L = grad.t, grad.dead_time, grad.T2, grad.L
    assert (t, td, T2, L) == (1e-3, 1e-3, 5e-3, 0.01)
    for i, n in enumerate(grad.n):
        forms = {"product": (2 / n, 2.0), "local-ghz": (2 / n ** 2, 2.0 * n),
                 "ghz": (1 / n ** 2, 4.0 * n)}
        for key, (c, k) in forms.items():
            assert grad.fixed[key][i] == pytest.approx(eta_closed(c, k, t, td, T2, L),
                                                       rel=1e-10), (key, n)
            best = scipy.optimize.minimize_scalar(
                lambda x: math.log(eta_closed(c, k, math.exp(x), td, T2, L)),
                bounds=(math.log(1e-8), math.log(1.0)), method="bounded",
                options={"xatol": 1e-12})
            assert grad.best[key][i] == pytest.approx(math.exp(best.fun), rel=1e-9), (key, n)
            assert grad.best_time[key][i] == pytest.approx(math.exp(best.x), rel=1e-5)
        assert grad.sql[i] == pytest.approx(math.sqrt(2 * (t + td) / n) / (RB * t * L),
                                            rel=1e-12)
        assert grad.heisenberg[i] == pytest.approx(math.sqrt(t + td) / (n * RB * t * L),
                                                   rel=1e-12)
    # the product state's best t solves 1/(t + t_d) + 2/T2 = 2/t, whatever n
    t_p = grad.best_time["product"][0]
    assert 1 / (t_p + td) + 2 / T2 == pytest.approx(2 / t_p, rel=1e-6)
    assert grad.best_probe[-1] == "product"


def test_gradiometer_closed_form_at_ten_thousand(grad):
    """The closing numbers at 10^4 atoms per cell, from the figure's closed forms."""
    product, _ = gradiometer.closed_form("product", 1e4, 1e-3, grad)
    assert product == pytest.approx(
        math.sqrt(2 * 2e-3 * math.exp(0.4) / 1e4) / (RB * 1e-3 * 0.01), rel=1e-12)
    ghz, t_ghz = gradiometer.closed_form("ghz", 1e4, None, grad)
    assert t_ghz == pytest.approx(2 / (4e4 / 5e-3 + 1 / (1e-3 + t_ghz)), rel=1e-6)
    assert ghz > 40 * product


@pytest.fixture(scope="module")
def dipole():
    return dipole_map.compute(grid=3, depths=(0.01, 0.03))


def _field(positions, p):
    m, r0 = p[:3], p[3:]
    rho = positions - r0
    d = np.linalg.norm(rho, axis=1)[:, None]
    return scipy.constants.mu_0 / (4 * np.pi) * (3 * rho * (rho @ m)[:, None] / d ** 5
                                                 - m / d ** 3)


def test_dipole_map_against_an_independent_jacobian(dipole):
    n, t, cycle = dipole.atoms, dipole.t, dipole.t + dipole.dead_time
    sensors = dipole.sensors
    for i in (0, 4):
        p = np.array([0, 0, dipole.moment, dipole.x[i], dipole.y[i], -dipole.depth])
        J = np.zeros((9, 6))
        for j in range(6):
            h = 1e-6 * max(abs(p[j]), 1e-3) if j >= 3 else 1e-9
            e = np.zeros(6)
            e[j] = h
            J[:, j] = RB * t * (_field(sensors, p + e) - _field(sensors, p - e))[:, 2] / (2 * h)
        covariance = np.linalg.inv(J.T @ (n * np.eye(9)) @ J)[3:, 3:] * cycle
        np.testing.assert_allclose(dipole.covariance[i], covariance, rtol=1e-6,
                                   atol=1e-9 * np.abs(covariance).max())
    deeper = dipole.eta[1] / dipole.eta[0]
    assert np.all(deeper > 3 ** 3)              # three times deeper: much worse
