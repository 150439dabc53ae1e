"""Sensitivities in physical units against closed forms worked out by hand.

N spins in a product state, Ramsey time t, dead time t_d, coherence exp(-t/T2):
Var(B) = exp(2t/T2)/(N gamma^2 t^2) per shot and eta = sqrt(Var (t + t_d)), so

* no dead time, no decoherence: eta = 1/(gamma sqrt(N t));
* with dead time: times sqrt((t + t_d)/t);
* with T2, at the best t (d/dt of exp(2t/T2)/t = 0): t = T2/2, eta = sqrt(2e/(N T2))/gamma;
* two cells at distance L: G = (B_2 - B_1)/L, Var(G) = 2 Var(B)/L^2: eta_G = sqrt2 eta_B / L;
* the GHZ state across the two cells: Var(phi_2 - phi_1) = 1/N^2 against 2/N^2 for a GHZ
  state in each cell, the paper's ||v||_1^2/||v||_(2/3)^2 = 1/2.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qsn_qutip import MultiLevelAtom, Network, NoiseModel, QSNError, QubitEnsemble, states
from qsn_qutip.magnetometry import (FieldTask, GradientField, QuadraticField, Readout,
                                    SensorArray, SitesField, Timing, UniformField, compare_field)
from qsn_qutip.magnetometry.probing import PhaseFisher, readout_fisher
from qsn_qutip.magnetometry.species import SPECIES

RB = SPECIES["87Rb F=2"].gamma


def single_cell(n: int, gamma: float = RB) -> FieldTask:
    array = SensorArray(Network([QubitEnsemble(n)]), [[0, 0, 0]], gamma=gamma)
    return FieldTask(array, UniformField())


def two_cells(n: int, L: float, **kwargs) -> FieldTask:
    array = SensorArray(Network([QubitEnsemble(n, name="A"), QubitEnsemble(n, name="B")]),
                        [[0.0, 0, 0], [L, 0, 0]], species="87Rb F=2")
    return FieldTask(array, GradientField(), **kwargs)


@pytest.mark.parametrize("n, t, gamma", [(1, 1e-3, RB), (50, 2e-4, RB), (7, 0.3, 2.0e8)])
def test_product_state_without_dead_time_or_noise(n, t, gamma):
    result = compare_field(single_cell(n, gamma), Timing(t=t), ["product"])
    eta = result["Bz"]["product"].sensitivity
    assert eta == pytest.approx(1 / (abs(gamma) * math.sqrt(n * t)), rel=1e-12)
    assert result["Bz"].sql == pytest.approx(eta, rel=1e-12)


@pytest.mark.parametrize("dead_time", [1e-3, 2.5e-4, 0.0])
def test_dead_time_multiplies_by_sqrt_of_the_duty_cycle(dead_time):
    n, t = 20, 1e-3
    result = compare_field(single_cell(n), Timing(t=t, dead_time=dead_time), ["product"])
    eta = result["Bz"]["product"].sensitivity
    expected = 1 / (RB * math.sqrt(n * t)) * math.sqrt((t + dead_time) / t)
    assert eta == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n", [5, 10 ** 4])
def test_best_time_with_T2_is_half_T2(n):
    T2 = 5e-3
    result = compare_field(single_cell(n), Timing(), ["product"],
                           noise=NoiseModel(dephasing=1 / T2))
    probe = result["Bz"]["product"]
    assert probe.time == pytest.approx(T2 / 2, rel=1e-6)
    assert probe.sensitivity == pytest.approx(math.sqrt(2 * math.e / (n * T2)) / RB, rel=1e-9)


def test_best_time_with_T2_and_dead_time():
    """(t + t_d) exp(2t/T2)/t^2 is least where 1/(t + t_d) + 2/T2 = 2/t; for T2 = 2 and
    t_d = 1 that is t^2 = 2."""
    result = compare_field(single_cell(3), Timing(dead_time=1.0), ["product"],
                           noise=NoiseModel(dephasing=0.5))
    probe = result["Bz"]["product"]
    assert probe.time == pytest.approx(math.sqrt(2), rel=1e-6)
    t = math.sqrt(2)
    assert probe.sensitivity == pytest.approx(
        math.sqrt((t + 1) * math.exp(t) / (3 * RB ** 2 * t ** 2)), rel=1e-9)


def test_gradiometer_product_is_sqrt2_times_the_field_over_L():
    n, t, L = 30, 1e-3, 0.02
    gradient = compare_field(two_cells(n, L, estimate=["dBz/dx"]), Timing(t=t), ["product"])
    field = compare_field(single_cell(n), Timing(t=t), ["product"])
    eta_B = field["Bz"]["product"].sensitivity
    assert gradient["dBz/dx"]["product"].sensitivity == pytest.approx(
        math.sqrt(2) * eta_B / L, rel=1e-12)
    assert eta_B == pytest.approx(1 / (RB * math.sqrt(n * t)), rel=1e-12)


@pytest.mark.parametrize("n", [1, 4, 9])
def test_ghz_across_cells_gains_the_papers_factor(n):
    L, t = 0.01, 1e-3
    result = compare_field(two_cells(n, L, estimate=["dBz/dx"]), Timing(t=t, dead_time=t),
                           ["ghz", "local-ghz", "product"])
    grad = result["dBz/dx"]
    ratio = (grad["ghz"].sensitivity / grad["local-ghz"].sensitivity) ** 2
    assert ratio == pytest.approx(0.5, rel=1e-12)
    assert grad.best == "ghz" and grad.best_separable == "local-ghz"
    # Var(phi_2 - phi_1) = 1/n^2: Var(G) = 1/(n gamma t L)^2, over the cycle 2t
    assert grad["ghz"].sensitivity == pytest.approx(
        math.sqrt(2 * t) / (n * RB * t * L), rel=1e-12)
    assert grad.heisenberg == pytest.approx(grad["ghz"].sensitivity, rel=1e-12)
    assert grad.comparison.verdict.ratio == pytest.approx(0.5, rel=1e-12)


def test_gradiometer_closing_numbers_at_ten_thousand_atoms():
    """The issue's gradiometer: 10^4 atoms per cell, t = 1 ms, t_d = 1 ms, T2 = 5 ms, L = 1 cm
    (the bundled model): the product probe reaches sqrt(2 (t+t_d) e^(2t/T2)/N)/(gamma t L);
    a GHZ state over 2 10^4 atoms keeps exp(-2 10^4 t/T2) of its coherence: nothing."""
    N, t, td, T2, L = 10 ** 4, 1e-3, 1e-3, 5e-3, 0.01
    task = two_cells(N, L, estimate=["dBz/dx"])
    result = compare_field(task, Timing(t=t, dead_time=td), ["product"],
                           noise=NoiseModel(dephasing=1 / T2))
    expected = math.sqrt(2 * (t + td) * math.exp(2 * t / T2) / N) / (RB * t * L)
    assert result["dBz/dx"]["product"].sensitivity == pytest.approx(expected, rel=1e-10)
    assert expected == pytest.approx(1.757e-9, rel=1e-3)


def test_reparametrising_gives_the_same_bounds():
    """(Bz, dBz/dx) about the centroid and (Bz_1, Bz_2): G = (B_2 - B_1)/L and
    Bz = (B_1 + B_2)/2 have the same bounds for any QFIM of the phases; likewise a quadratic
    field on three sensors against the three site fields (a Vandermonde change of variables)."""
    rng = np.random.default_rng(7)
    L, t = 0.01, 2e-3
    gradient = two_cells(3, L)
    sites = FieldTask(gradient.array, SitesField())
    A = rng.normal(size=(2, 2))
    F = A @ A.T + 0.1 * np.eye(2)
    C = sites.covariance(F, t, ["Bz_1", "Bz_2"])
    for name, c in (("dBz/dx", np.array([-1, 1]) / L), ("Bz", np.array([0.5, 0.5]))):
        assert gradient.variance(F, t, name) == pytest.approx(c @ C @ c, rel=1e-10)
    positions = [[0.0], [1e-5], [3e-5]]
    network = Network([QubitEnsemble(2) for _ in range(3)])
    array = SensorArray(network, positions, species="NV")
    quad = FieldTask(array, QuadraticField())
    sites = FieldTask(array, SitesField())
    A = rng.normal(size=(3, 3))
    F = A @ A.T + 0.1 * np.eye(3)
    x = np.array(positions)[:, 0] - np.mean(positions)
    V = np.stack([np.ones(3), x, x ** 2 / 2], axis=1)         # B_k = V @ (Bz, G, C)
    Vinv = np.linalg.inv(V)
    C = sites.covariance(F, t, ["Bz_1", "Bz_2", "Bz_3"])
    for row, name in enumerate(["Bz", "dBz/dx", "d2Bz/dx2"]):
        c = Vinv[row]
        assert quad.variance(F, t, name) == pytest.approx(c @ C @ c, rel=1e-9)


def test_square_jacobian_matches_the_phase_space_bound():
    """With J square and invertible, [(J^T F J)^+]_ii = w^T F^+ w with w = e_i^T J^-1, the
    task compare() ranks: the SI bound is the phase-space bound times |w|^2 / t^2."""
    result = compare_field(two_cells(4, 0.01), Timing(t=1e-3), ["ghz", "local-ghz"])
    for quantity in result.quantities:
        w = quantity.function / 1e-3
        for probe in quantity.probes:
            phase = quantity.comparison[probe.name].bound
            assert probe.variance == pytest.approx(phase * (w @ w), rel=1e-10)


def test_particle_reduction_is_exact():
    """The product probe of independent spins under local dephasing: n times one spin,
    against the full Dicke-block computation and the closed form n exp(-2 gamma t); with
    decay gamma_1 as well, n exp(-(2 gamma + gamma_1) t) (the transverse Bloch vector squared;
    decay of a Dicke ensemble is integrated by mesolve, to about 1e-9)."""
    network = Network([QubitEnsemble(6), QubitEnsemble(4)])
    v = np.array([-1.0, 1.0]) / math.sqrt(2)
    state = states.product(network)
    for noise, rtol in ((NoiseModel(dephasing=[30.0, 50.0]), 1e-12),
                        (NoiseModel(dephasing=[30.0, 50.0], decay=20.0), 1e-8)):
        reduced = PhaseFisher("product", network, v, None, noise)
        assert reduced.reduction == "particles"
        full = PhaseFisher(("mine", state), network, v, None, noise)
        assert full.reduction == "none"
        for t in (1e-3, 1e-2):
            rates = 2 * np.array([30.0, 50.0]) + noise.decay
            expected = np.diag([6, 4] * np.exp(-rates * t))
            np.testing.assert_allclose(reduced(t), expected, rtol=rtol, atol=1e-13)
            np.testing.assert_allclose(full(t), expected, rtol=rtol, atol=1e-13)
    noise = NoiseModel(dephasing=[30.0, 50.0], decay=20.0)
    separable = PhaseFisher("local-ghz", network, v, None, noise)
    assert separable.reduction == "sensors"
    full = PhaseFisher(("ghz each", states.local_ghz(network)),
                       network, v, None, noise)
    np.testing.assert_allclose(separable(5e-3), full(5e-3), rtol=1e-10, atol=1e-12)
    correlated = PhaseFisher("product", network, v, None, NoiseModel(correlated_dephasing=1.0))
    assert correlated.reduction == "none"


def test_common_mode_noise_spares_the_gradient():
    """Correlated dephasing (one fluctuating field on both cells, a random rotation by the
    total J_z) blurs the common field but leaves the gradient, with the field a nuisance
    parameter, untouched for product states and for GHZ states across or within equal cells
    (the branches that carry phi_2 - phi_1 have the same total J_z); with unequal cells the
    GHZ-type probe's branches differ in total J_z and it degrades."""
    timing = Timing(t=1e-3)
    probes = ["ghz", "local-ghz", "product"]
    task = two_cells(3, 0.01)
    clean = compare_field(task, timing, probes)
    noisy = compare_field(task, timing, probes, noise=NoiseModel(correlated_dephasing=3000.0))
    for probe in probes:
        assert noisy["dBz/dx"][probe].sensitivity == pytest.approx(
            clean["dBz/dx"][probe].sensitivity, rel=1e-9), probe
        assert noisy["Bz"][probe].sensitivity > 2 * clean["Bz"][probe].sensitivity, probe
    array = SensorArray(Network([QubitEnsemble(3), QubitEnsemble(5)]), [[0.0], [0.01]],
                        species="87Rb F=2")
    uneven = FieldTask(array, GradientField())
    clean = compare_field(uneven, timing, ["ghz-type", "product"])
    noisy = compare_field(uneven, timing, ["ghz-type", "product"],
                          noise=NoiseModel(correlated_dephasing=300.0))
    assert noisy["dBz/dx"]["product"].sensitivity == pytest.approx(
        clean["dBz/dx"]["product"].sensitivity, rel=1e-9)
    assert noisy["dBz/dx"]["ghz-type"].sensitivity > 1.5 * clean["dBz/dx"]["ghz-type"].sensitivity


@pytest.mark.parametrize("efficiency, fidelity", [(1.0, 0.9), (0.5, 1.0), (0.8, 0.95)])
def test_readout_limited_sensitivity(efficiency, fidelity):
    """Each spin read at mid-fringe with flips 1 - f and detection efficiency e: the CFIM is
    e (2f - 1)^2 times the QFI, so eta grows by 1/(|2f - 1| sqrt(e))."""
    result = compare_field(single_cell(40), Timing(t=1e-3, dead_time=1e-3), ["product"],
                           noise=NoiseModel(dephasing=100.0),
                           readout=Readout(efficiency=efficiency, fidelity=fidelity))
    probe = result["Bz"]["product"]
    assert probe.readout_sensitivity == pytest.approx(
        probe.sensitivity / (abs(2 * fidelity - 1) * math.sqrt(efficiency)), rel=1e-9)


def test_readout_needs_independent_particles_and_one_parameter():
    net = Network([MultiLevelAtom(spin=1, axes="xz")])
    assert readout_fisher(net, Readout(fidelity=0.9), None, 1e-3) is None
    assert readout_fisher(Network([QubitEnsemble(3)]), Readout(),
                          NoiseModel(collective_dephasing=1.0), 1e-3) is None


def test_vector_sensors_see_their_axes():
    """A spin-1 atom with axes "xz" carries B_x and B_z: a uniform field in x and z is
    estimable from one atom, one in y is not."""
    net = Network([MultiLevelAtom(spin=1, axes="xz")])
    array = SensorArray(net, [[0, 0, 0]], species="electron")
    assert array.phase_axes == "xz"
    FieldTask(array, UniformField("xz"))
    with pytest.raises(QSNError, match="not determined"):
        FieldTask(array, UniformField("y"))


def test_no_time_and_no_noise_is_refused():
    with pytest.raises(QSNError, match="grows without bound"):
        compare_field(single_cell(3), Timing(), ["product"])
