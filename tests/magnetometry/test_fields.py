"""Species, field models and their Jacobians, sensor arrays, units."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.constants

from qsn_qutip import Ancilla, MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble
from qsn_qutip.magnetometry import (SPECIES, DipoleField, FieldTask, GradientField,
                                    QuadraticField, SensorArray, SitesField, UniformField,
                                    format_quantity, gyromagnetic_ratio, species)
from qsn_qutip.magnetometry.fields import MU0_OVER_4PI


def test_species_values_from_their_sources():
    hbar, mu_b = scipy.constants.hbar, scipy.constants.physical_constants["Bohr magneton"][0]
    # 87Rb (I = 3/2, J = 1/2): g_F = g_J/4 + 3 g_I/4 (F = 2) and -g_J/4 + 5 g_I/4 (F = 1),
    # with Steck's g_J = 2.00233113 and g_I = -0.0009951414
    g_J, g_I = 2.00233113, -0.0009951414
    assert SPECIES["87Rb F=2"].gamma == pytest.approx((g_J / 4 + 3 * g_I / 4) * mu_b / hbar,
                                                      rel=1e-12)
    assert SPECIES["87Rb F=1"].gamma == pytest.approx((-g_J / 4 + 5 * g_I / 4) * mu_b / hbar,
                                                      rel=1e-12)
    assert SPECIES["87Rb F=2"].frequency_per_tesla == pytest.approx(6.9958e9, rel=1e-4)
    assert SPECIES["133Cs F=4"].frequency_per_tesla == pytest.approx(3.4986e9, rel=1e-4)
    assert SPECIES["electron"].frequency_per_tesla == pytest.approx(28.025e9, rel=1e-4)
    assert SPECIES["199Hg"].frequency_per_tesla == pytest.approx(7.5901e6, rel=1e-4)
    assert SPECIES["3He"].frequency_per_tesla == pytest.approx(-32.434e6, rel=1e-4)
    assert SPECIES["129Xe"].frequency_per_tesla == pytest.approx(-11.777e6, rel=1e-4)
    assert SPECIES["NV"].frequency_per_tesla == pytest.approx(28.03e9, rel=1e-3)
    assert all(s.source for s in SPECIES.values())


def test_species_lookup_and_numbers():
    assert species("Rb87 F=2") is SPECIES["87Rb F=2"]
    assert species(" nv ") is SPECIES["NV"]
    with pytest.raises(QSNError, match=r"did you mean '87Rb F=2'"):
        species("Rb87")
    assert gyromagnetic_ratio(2.5e8) == 2.5e8
    for bad in (0, float("nan"), True, [1.0]):
        with pytest.raises(QSNError, match="gamma"):
            gyromagnetic_ratio(bad)


def test_polynomial_jacobians():
    positions = [[0.0, 0, 0], [0.01, 0.02, 0], [0.03, -0.01, 0], [0.02, 0.01, 0]]
    quad = QuadraticField(origin=[0, 0, 0])
    names = [p.name for p in quad.parameters(positions)]
    assert names == ["Bz", "dBz/dx", "dBz/dy", "d2Bz/dx2", "d2Bz/dxdy", "d2Bz/dy2"]
    assert [p.unit for p in quad.parameters(positions)] == ["T", "T/m", "T/m", "T/m^2",
                                                            "T/m^2", "T/m^2"]
    p = np.array([1e-6, 2e-5, -3e-5, 4e-4, 5e-4, -6e-4])
    x, y = np.array(positions)[:, 0], np.array(positions)[:, 1]
    expected = (p[0] + p[1] * x + p[2] * y + p[3] * x ** 2 / 2 + p[4] * x * y
                + p[5] * y ** 2 / 2)
    np.testing.assert_allclose(quad.field(positions, p)[:, 2], expected, rtol=1e-12)
    assert np.all(quad.field(positions, p)[:, :2] == 0)
    assert [p.name for p in GradientField("xz").parameters(positions)] == [
        "Bx", "Bz", "dBx/dx", "dBx/dy", "dBz/dx", "dBz/dy"]
    with pytest.raises(QSNError, match="share one position"):
        GradientField().parameters([[0.0, 0, 0], [0.0, 0, 0]])
    assert [p.name for p in SitesField("xy").parameters([[0.0], [1.0]])] == [
        "Bx_1", "By_1", "Bx_2", "By_2"]


def test_dipole_field_and_jacobian_against_finite_differences():
    rng = np.random.default_rng(3)
    positions = rng.uniform(-0.02, 0.02, size=(7, 3))
    dipole = DipoleField(moment=[2e-7, -1e-7, 3e-7], position=[0.004, -0.002, -0.03])
    m, r0 = dipole.moment, dipole.position
    # the field by hand at one sensor
    rho = positions[0] - r0
    d = np.linalg.norm(rho)
    by_hand = MU0_OVER_4PI * (3 * rho * (m @ rho) / d ** 5 - m / d ** 3)
    np.testing.assert_allclose(dipole.field(positions)[0], by_hand, rtol=1e-13)
    J = dipole.jacobian(positions)
    steps = np.array([1e-10] * 3 + [1e-7] * 3)
    for j, h in enumerate(steps):
        e = np.zeros(6)
        e[j] = h
        fd = (dipole.field(positions, dipole.values + e)
              - dipole.field(positions, dipole.values - e)) / (2 * h)
        np.testing.assert_allclose(J[:, :, j], fd, rtol=0, atol=1e-7 * np.abs(J[:, :, j]).max())
    on_axis = DipoleField(moment=[0, 0, 1e-9], position=[0, 0, -0.01])
    assert on_axis.field([[0, 0, 0]])[0, 2] == pytest.approx(2e-7 * 1e-9 / 1e-6, rel=1e-9)


def test_dipole_needs_a_point_off_the_sensors():
    with pytest.raises(TypeError):
        DipoleField(moment=[0, 0, 1])                     # no silent default position
    dipole = DipoleField(moment=[0, 0, 1e-9], position=[0.01, 0, 0])
    with pytest.raises(QSNError, match="sits on sensor 2"):
        dipole.check([[0, 0, 0], [0.01, 0, 0]])
    with pytest.raises(QSNError, match="moment"):
        DipoleField(moment=[0, 1], position=[0, 0, 0])


def test_sensor_array_checks():
    net = Network([QubitEnsemble(2, name="a"), QubitEnsemble(3)])
    array = SensorArray(net, [[0.01], [0.02, 0.5]], species=["87Rb F=2", None],
                        gamma=[None, 1e9])
    np.testing.assert_allclose(array.positions, [[0.01, 0, 0], [0.02, 0.5, 0]])
    assert array.species == ["87Rb F=2", None] and array.gammas[1] == 1e9
    with pytest.raises(QSNError, match="'a'.*neither"):
        SensorArray(net, [[0.0], [0.1]])
    with pytest.raises(QSNError, match="not both"):
        SensorArray(net, [[0.0], [0.1]], species="NV", gamma=1e9)
    with pytest.raises(QSNError, match="needs a position"):
        SensorArray(net, [None, [0.1]], species="NV")
    with pytest.raises(QSNError, match="does not sense a magnetic field"):
        SensorArray(Network([OpticalMode(2)]), [[0.0]], gamma=1.0)
    with pytest.raises(QSNError, match="one entry per sensor"):
        SensorArray(net, [[0.0]], species="NV")
    with_ancilla = SensorArray(Network([QubitEnsemble(2), Ancilla(QubitEnsemble(2))]),
                               [[0.0], None], species="NV")
    assert with_ancilla.sensing == [0] and with_ancilla.phase_axes == "z"
    atoms = SensorArray(Network([MultiLevelAtom(spin=1, axes="xyz")]), [[0.0]],
                        species="electron")
    assert atoms.phase_axes == "xyz"


def test_estimate_known_and_identifiability():
    net = Network([QubitEnsemble(2) for _ in range(3)])
    array = SensorArray(net, [[0.0], [0.01], [0.02]], species="87Rb F=2")
    task = FieldTask(array, QuadraticField(), estimate=["d2Bz/dx2"], known=["Bz"])
    assert task.nuisance == ["dBz/dx"] and task.known == ["Bz"]
    with pytest.raises(QSNError, match=r"did you mean 'dBz/dx'"):
        FieldTask(array, GradientField(), estimate=["dBz/dX"])
    with pytest.raises(QSNError, match="both name"):
        FieldTask(array, GradientField(), estimate=["Bz"], known=["Bz"])
    with pytest.raises(QSNError, match="every parameter is known"):
        FieldTask(array, UniformField(), known=["Bz"])
    line = FieldTask(array, GradientField(coordinates="xy"), estimate=["dBz/dx"])
    assert line.interest == ["dBz/dx"]             # dBz/dy is a nuisance nobody can see
    with pytest.raises(QSNError, match="'dBz/dy' is not determined"):
        FieldTask(array, GradientField(coordinates="xy"), estimate=["dBz/dy"])
    two = SensorArray(Network([QubitEnsemble(1), QubitEnsemble(1)]), [[0.0], [1.0]], gamma=1.0)
    with pytest.raises(QSNError, match="not determined"):
        FieldTask(two, QuadraticField(), estimate=["d2Bz/dx2"])


def test_units_print_with_prefixes():
    assert format_quantity(1.757e-9, "T/m/sqrt(Hz)") == "1.757 nT/m/sqrt(Hz)"
    assert format_quantity(3.1e-6, "s") == "3.1 us"
    assert format_quantity(2e-3, "T/m^2") == "2 mT/m^2"
    assert format_quantity(2.5e-7, "A m^2") == "2.5e-07 A m^2"
    assert format_quantity(200.0, "s^-1") == "200 s^-1"
    assert format_quantity(None, "T") == "n/a"
    assert format_quantity(math.inf, "T") == "inf T"
