"""The sensor contract, written once and run over every sensor model, plus model-specific checks.

Every model must have Hermitian generators on its own dims, a resource operator that commutes
with them, extremal states that are normalised generator eigenvectors with the closed-form
eigenvalues, kappa * n equal to the eigenvalue gap, a working ``with_particles`` and a product
probe whose QFI matches its closed form.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
import qutip

from qsn_qutip import MultiLevelAtom, OpticalMode, QSNError, QubitEnsemble, qfim
from qsn_qutip.sensors import Ancilla, Sensor

LEVELS = [-1.0, 0.5, 2.0]


def _kerr_coherent_qfi(lam: float) -> float:
    r""":math:`4\,\mathrm{Var}(\hat n^2)` for a coherent state with mean photon number lam."""
    return 4 * (4 * lam ** 3 + 6 * lam ** 2 + lam)


@dataclasses.dataclass
class Case:
    """A sensor and what the physics says it must be."""

    make: callable
    spectrum: tuple[float, float] | None   # (lambda_min,n, lambda_max,n) of a 1-parameter sensor
    product_qfi: float | None              # QFI of the product probe for the first parameter
    commuting: bool
    params: dict                            # constructor arguments with_particles must keep


CASES = {
    "qubits-dicke-1": Case(lambda: QubitEnsemble(1), (-0.5, 0.5), 1.0, True, {"basis": "dicke"}),
    "qubits-dicke-4": Case(lambda: QubitEnsemble(4), (-2.0, 2.0), 4.0, True, {"basis": "dicke"}),
    "qubits-full-3": Case(lambda: QubitEnsemble(3, basis="full"), (-1.5, 1.5), 3.0, True,
                          {"basis": "full"}),
    "mode-linear-cutoff": Case(lambda: OpticalMode(4), (0.0, 4.0), None, True,
                               {"generator": "linear"}),
    "mode-linear-photons<cutoff": Case(lambda: OpticalMode(25, photons=3), (0.0, 3.0), 12.0,
                                       True, {"generator": "linear"}),
    "mode-kerr-cutoff": Case(lambda: OpticalMode(3, generator="kerr"), (0.0, 9.0), None, True,
                             {"generator": "kerr"}),
    "mode-kerr-photons<cutoff": Case(lambda: OpticalMode(25, generator="kerr", photons=2),
                                     (0.0, 4.0), _kerr_coherent_qfi(2.0), True,
                                     {"generator": "kerr"}),
    "atom-levels": Case(lambda: MultiLevelAtom(levels=LEVELS), (-1.0, 2.0), 9.0, True,
                        {"axes": "z"}),
    "atom-levels-2atoms": Case(lambda: MultiLevelAtom(levels=LEVELS, atoms=2), (-2.0, 4.0),
                               18.0, True, {"axes": "z"}),
    "atom-spin1-z": Case(lambda: MultiLevelAtom(spin=1, axes="z"), (-1.0, 1.0), 4.0, True,
                         {"spin": 1.0, "axes": "z"}),
    "atom-spin1/2-xyz": Case(lambda: MultiLevelAtom(spin=0.5, axes="xyz"), None, 1.0, False,
                             {"spin": 0.5, "axes": "xyz"}),
    "atom-spin1/2-xyz-2atoms": Case(lambda: MultiLevelAtom(spin=0.5, axes="xyz", atoms=2),
                                    None, 2.0, False, {"spin": 0.5, "axes": "xyz"}),
    "atom-spin3/2-xyz": Case(lambda: MultiLevelAtom(spin=1.5, axes="xyz"), None, 9.0, False,
                             {"spin": 1.5, "axes": "xyz"}),
    "atom-spin3/2-xyz-2atoms": Case(lambda: MultiLevelAtom(spin=1.5, axes="xyz", atoms=2),
                                    None, 18.0, False, {"spin": 1.5, "axes": "xyz"}),
}

sensor_cases = pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))


def _is_ket_on(state: qutip.Qobj, sensor: Sensor) -> bool:
    return state.isket and state.dims[0] == sensor.dims


# ----------------------------------------------------------------------------------------
# the contract
# ----------------------------------------------------------------------------------------
@sensor_cases
def test_generators_are_hermitian_on_the_sensor_dims(case):
    sensor = case.make()
    assert sensor.n_params == len(sensor.generators) >= 1
    assert sensor.size == int(np.prod(sensor.dims))
    for gen in sensor.generators:
        assert gen.dims == [sensor.dims, sensor.dims]
        assert (gen - gen.dag()).norm("max") == 0


@sensor_cases
def test_resource_operator_commutes_with_every_generator(case):
    sensor = case.make()
    res = sensor.resource_operator
    assert res.dims == [sensor.dims, sensor.dims]
    assert (res - res.dag()).norm("max") == 0
    for gen in sensor.generators:
        assert (res * gen - gen * res).norm("max") < 1e-12


@sensor_cases
def test_extremal_states_are_normalised_eigenvectors(case):
    sensor = case.make()
    if case.spectrum is None:
        with pytest.raises(QSNError, match="exactly one parameter"):
            sensor.extremal_states()
        return
    gen = sensor.generators[0]
    lo, hi = sensor.extremal_states()
    for state, value in zip((lo, hi), case.spectrum):
        assert _is_ket_on(state, sensor)
        assert state.norm() == pytest.approx(1.0, abs=1e-12)
        assert (gen * state - value * state).norm() < 1e-12
    assert sensor.eigenvalue_range() == pytest.approx(case.spectrum, abs=1e-12)
    # the extremes of the n-particle sector: for qubits and atoms the whole spectrum
    if not isinstance(sensor, OpticalMode):
        spec = np.linalg.eigvalsh(gen.full())
        assert (spec.min(), spec.max()) == pytest.approx(case.spectrum, abs=1e-12)


@sensor_cases
def test_kappa_times_particles_is_the_eigenvalue_gap(case):
    sensor = case.make()
    if sensor.kappa is None:
        assert isinstance(sensor, OpticalMode) and sensor.generator == "kerr"
        return
    n = sensor.particles
    if case.spectrum is not None:
        lo, hi = case.spectrum
        assert sensor.kappa * n == pytest.approx(hi - lo, rel=1e-12)
    if isinstance(sensor, OpticalMode):   # the truncated spectrum goes beyond n photons
        return
    for gen in sensor.generators:      # every component of a spin field has the same gap
        spec = np.linalg.eigvalsh(gen.full())
        assert sensor.kappa * n == pytest.approx(spec.max() - spec.min(), rel=1e-12)


@sensor_cases
@pytest.mark.parametrize("n", [1, 2, 3], ids=["n1", "n2", "n3"])
def test_with_particles_keeps_the_model(case, n):
    sensor = case.make()
    other = sensor.with_particles(n)
    assert type(other) is type(sensor)
    assert other.kind == sensor.kind
    assert other.particles == n
    assert other.n_params == sensor.n_params
    assert other.commuting == sensor.commuting
    assert other.kappa == sensor.kappa
    for attr, value in case.params.items():
        assert getattr(other, attr) == value
    if isinstance(sensor, MultiLevelAtom) and sensor.levels is not None:
        np.testing.assert_array_equal(other.levels, sensor.levels)
    if case.spectrum is not None:
        lo, hi = other.eigenvalue_range()
        if other.kappa is not None:
            assert hi - lo == pytest.approx(other.kappa * n, rel=1e-12)
        else:                                    # Kerr: lambda_max,n = n^2
            assert (lo, hi) == pytest.approx((0.0, n ** 2), abs=1e-12)


@sensor_cases
@pytest.mark.parametrize("n", [0, -1, 1.5, True], ids=["zero", "negative", "float", "bool"])
def test_with_particles_rejects_bad_numbers(case, n):
    with pytest.raises(QSNError, match="must be an integer >= 1"):
        case.make().with_particles(n)


@sensor_cases
def test_product_state_is_normalised_with_closed_form_qfi(case):
    sensor = case.make()
    if case.product_qfi is None:
        with pytest.raises(QSNError, match="raise the cutoff"):
            sensor.product_state()
        return
    state = sensor.product_state()
    assert _is_ket_on(state, sensor)
    assert state.norm() == pytest.approx(1.0, abs=1e-12)
    F = qfim(state, sensor.generators[:1])
    # the coherent states are truncated: tolerances.truncation = 1e-8 of probability lost
    assert F[0, 0] == pytest.approx(case.product_qfi, rel=1e-8)
    # a product probe holds the sensor's particles on average
    assert qutip.expect(sensor.resource_operator, state) == pytest.approx(sensor.particles,
                                                                         rel=1e-8)


@sensor_cases
def test_commuting_flag(case):
    sensor = case.make()
    assert sensor.commuting is case.commuting
    brute = all((a * b - b * a).norm() < 1e-12
                for a, b in itertools.combinations(sensor.generators, 2))
    assert brute is case.commuting


@sensor_cases
def test_repr_round_trips(case):
    sensor = case.make()
    namespace = {"QubitEnsemble": QubitEnsemble, "OpticalMode": OpticalMode,
                 "MultiLevelAtom": MultiLevelAtom}
    again = eval(repr(sensor), namespace)
    assert repr(again) == repr(sensor)
    assert again.dims == sensor.dims and again.particles == sensor.particles
    for a, b in zip(again.generators, sensor.generators):
        assert (a - b).norm("max") == 0


# ----------------------------------------------------------------------------------------
# model-specific checks against hand-built operators
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 5], ids=["n1", "n2", "n5"])
def test_qubit_generators_by_hand(n, reference):
    dicke = QubitEnsemble(n)
    np.testing.assert_array_equal(dicke.generators[0].diag(), n / 2 - np.arange(n + 1))
    full = QubitEnsemble(n, basis="full")
    by_hand = sum(qutip.tensor([qutip.sigmaz() / 2 if j == k else qutip.qeye(2)
                                for j in range(n)]) for k in range(n))
    assert (full.generators[0] - by_hand).norm("max") == 0
    # J_z restricted to the symmetric subspace is the Dicke generator
    iso = reference.dicke_isometry(n)
    np.testing.assert_allclose(iso.T @ by_hand.full() @ iso, dicke.generators[0].full(),
                               atol=1e-14)
    assert (full.resource_operator - n * qutip.qeye([2] * n)).norm("max") == 0


@pytest.mark.parametrize("n", [1, 3, 4], ids=["n1", "n3", "n4"])
@pytest.mark.parametrize("theta,phi", [(0.0, 0.0), (np.pi / 2, 0.0), (0.7, 1.3), (2.9, -2.2)],
                         ids=["pole", "equator", "generic", "south"])
def test_spin_coherent_dicke_matches_full_basis(n, theta, phi, reference):
    dicke = QubitEnsemble(n).spin_coherent(theta, phi).full().ravel()
    full = QubitEnsemble(n, basis="full").spin_coherent(theta, phi).full().ravel()
    np.testing.assert_allclose(reference.dicke_isometry(n) @ dicke, full, atol=1e-13)


def test_extremal_qubit_states_are_all_down_and_all_up():
    lo, hi = QubitEnsemble(3, basis="full").extremal_states()
    assert (lo - qutip.basis([2, 2, 2], [1, 1, 1])).norm() == 0
    assert (hi - qutip.basis([2, 2, 2], [0, 0, 0])).norm() == 0
    lo, hi = QubitEnsemble(3).extremal_states()
    assert (lo - qutip.basis(4, 3)).norm() == 0 and (hi - qutip.basis(4, 0)).norm() == 0


@pytest.mark.parametrize("generator,power", [("linear", 1), ("kerr", 2)], ids=["linear", "kerr"])
def test_optical_generators_and_resource(generator, power):
    mode = OpticalMode(5, generator=generator, photons=2)
    np.testing.assert_array_equal(mode.generators[0].diag(), np.arange(6) ** power)
    assert (mode.resource_operator - qutip.num(6)).norm("max") == 0
    lo, hi = mode.extremal_states()
    assert (lo - qutip.basis(6, 0)).norm() == 0 and (hi - qutip.basis(6, 2)).norm() == 0


def test_optical_reference_mode_carries_no_parameter():
    mode = OpticalMode(3, generator=None)
    assert mode.generators == [] and mode.n_params == 0 and mode.kappa is None
    with pytest.raises(QSNError, match="exactly one parameter"):
        mode.extremal_states()


def test_optical_with_particles_grows_the_cutoff():
    mode = OpticalMode(3, photons=1).with_particles(7)
    assert (mode.cutoff, mode.photons) == (7, 7)
    mode = OpticalMode(9, photons=1).with_particles(4)
    assert (mode.cutoff, mode.photons) == (9, 4)


@pytest.mark.parametrize("atoms", [1, 2, 3], ids=["1atom", "2atoms", "3atoms"])
@pytest.mark.parametrize("spin,axes", [(0.5, "xyz"), (1.0, "zx"), (1.5, "y")],
                         ids=["half-xyz", "one-zx", "threehalves-y"])
def test_atom_generators_are_collective_spin_components(atoms, spin, axes):
    atom = MultiLevelAtom(spin=spin, axes=axes, atoms=atoms)
    size = int(2 * spin + 1)
    assert atom.dims == [size] * atoms
    for gen, axis in zip(atom.generators, axes):
        by_hand = sum(qutip.tensor([qutip.jmat(spin, axis) if j == k else qutip.qeye(size)
                                    for j in range(atoms)]) for k in range(atoms))
        assert (gen - by_hand).norm("max") < 1e-14
    assert atom.kappa == 2 * spin
    assert (atom.resource_operator - atoms * qutip.qeye([size] * atoms)).norm("max") == 0


def test_atom_levels_generator():
    atom = MultiLevelAtom(levels=[3, -1, 0, 1], atoms=2)
    gen = atom.generators[0]
    single = np.array([3.0, -1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gen.diag(), (single[:, None] + single[None, :]).ravel())
    assert atom.kappa == 4.0
    lo, hi = atom.extremal_states()       # min and max levels on both atoms
    assert (lo - qutip.basis([4, 4], [1, 1])).norm() == 0
    assert (hi - qutip.basis([4, 4], [0, 0])).norm() == 0


def test_atom_product_state_of_a_spin_field_uses_the_first_axis():
    atom = MultiLevelAtom(spin=1, axes="yz")
    F = qfim(atom.product_state(), atom.generators, phi=np.zeros(len(atom.generators)))
    # the product probe of the first generator J_y: (|m_y=-1> + |m_y=+1>)/sqrt2
    assert F[0, 0] == pytest.approx(4.0, rel=1e-12)


@pytest.mark.parametrize("make,match", [
    (lambda: QubitEnsemble(0), "n must be an integer >= 1"),
    (lambda: QubitEnsemble(2.0), "n must be an integer"),
    (lambda: QubitEnsemble(2, basis="symmetric"), "basis must be"),
    (lambda: QubitEnsemble(21, basis="full"), "above the limit"),
    (lambda: OpticalMode(0), "cutoff must be an integer"),
    (lambda: OpticalMode(3, generator="quadratic"), "generator must be one of"),
    (lambda: OpticalMode(3, photons=4), "needs cutoff >= 4"),
    (lambda: OpticalMode(3, photons=0), "photons must be an integer"),
    (lambda: MultiLevelAtom(), "exactly one of"),
    (lambda: MultiLevelAtom([0, 1], spin=1), "exactly one of"),
    (lambda: MultiLevelAtom(levels=[1.0]), "at least 2 entries"),
    (lambda: MultiLevelAtom(levels=[[0, 1]]), "1-D vector"),
    (lambda: MultiLevelAtom(levels=[0, np.nan]), "NaN or inf"),
    (lambda: MultiLevelAtom(spin=0.7), "half-integer"),
    (lambda: MultiLevelAtom(spin=0), "half-integer"),
    (lambda: MultiLevelAtom(spin=np.inf), "half-integer"),
    (lambda: MultiLevelAtom(spin="1"), "half-integer"),
    (lambda: MultiLevelAtom(spin=1, axes="xx"), "distinct letters"),
    (lambda: MultiLevelAtom(spin=1, axes="w"), "distinct letters"),
    (lambda: MultiLevelAtom(spin=1, axes=""), "distinct letters"),
    (lambda: MultiLevelAtom(levels=[0, 1], atoms=0), "atoms must be"),
    (lambda: MultiLevelAtom(levels=[0, 1, 2], atoms=13), "need dimension"),
], ids=["qubits-zero", "qubits-float", "qubits-basis", "qubits-full-too-big", "mode-cutoff",
        "mode-generator", "mode-photons-above-cutoff", "mode-photons-zero", "atom-neither",
        "atom-both", "atom-one-level", "atom-levels-2d", "atom-levels-nan", "atom-spin-0.7",
        "atom-spin-0", "atom-spin-inf", "atom-spin-str", "atom-axes-repeat", "atom-axes-w",
        "atom-axes-empty", "atom-zero-atoms", "atom-too-big"])
def test_constructor_errors(make, match):
    with pytest.raises(QSNError, match=match):
        make()


# ----------------------------------------------------------------------------------------
# sensors without parameters: phase references and ancillas
# ----------------------------------------------------------------------------------------
IDLE = {
    "reference-mode": (lambda: OpticalMode(3, generator=None), qutip.basis(4, 0)),
    "ancilla-qubits-full": (lambda: Ancilla(QubitEnsemble(2, basis="full")),
                            qutip.basis([2, 2], [0, 0])),
    "ancilla-spin-xyz": (lambda: Ancilla(MultiLevelAtom(spin=1, axes="xyz", atoms=2)),
                         qutip.basis([3, 3], [0, 0])),
    "ancilla-mode": (lambda: Ancilla(OpticalMode(2, photons=1)), qutip.basis(3, 0)),
}


@pytest.mark.parametrize("make,idle", list(IDLE.values()), ids=list(IDLE))
def test_parameterless_sensor_contract(make, idle):
    sensor = make()
    assert sensor.generators == [] and sensor.n_params == 0
    assert sensor.kappa is None and sensor.commuting is True
    assert sensor.resource_operator.dims == [sensor.dims, sensor.dims]
    with pytest.raises(QSNError, match="exactly one parameter"):
        sensor.extremal_states()
    state = sensor.idle_state()
    assert _is_ket_on(state, sensor)
    assert (state - idle).norm() == 0
    # the idle state holds the least resource
    res = sensor.resource_operator.full()
    assert qutip.expect(sensor.resource_operator, state) == pytest.approx(
        np.linalg.eigvalsh(res).min(), abs=1e-12)
    other = sensor.with_particles(2)
    assert type(other) is type(sensor) and other.particles == 2 and other.n_params == 0


def test_ancilla_copies_its_sensor():
    sensor = MultiLevelAtom(levels=[0, 1, 3], atoms=2, name="site")
    ancilla = Ancilla(sensor)
    assert ancilla.dims == sensor.dims and ancilla.particles == sensor.particles
    assert (ancilla.resource_operator - sensor.resource_operator).norm("max") == 0
    assert ancilla.name == "site ancilla"
    assert (ancilla.product_state() - sensor.product_state()).norm() == 0
    again = eval(repr(ancilla), {"Ancilla": Ancilla, "MultiLevelAtom": MultiLevelAtom})
    assert repr(again) == repr(ancilla) and again.sensor.name == "site"


# ----------------------------------------------------------------------------------------
# the guard: a new sensor kind must join the contract
# ----------------------------------------------------------------------------------------
def _concrete_subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        if not getattr(sub, "__abstractmethods__", None):
            found.add(sub)
        found |= _concrete_subclasses(sub)
    return found


def test_every_sensor_kind_is_in_the_contract():
    """Adding a Sensor subclass without a contract case above fails here (name it in CASES or IDLE)."""
    import qsn_qutip.sensors  # noqa: F401  (every sensor module registers its class on import)

    covered = {type(case.make()) for case in CASES.values()}
    covered |= {type(make()) for make, _ in IDLE.values()}
    defined = {cls for cls in _concrete_subclasses(Sensor)
               if cls.__module__.startswith("qsn_qutip.")}
    missing = sorted(cls.__qualname__ for cls in defined - covered)
    assert not missing, f"sensor kinds without a contract case: {missing}"


# -- spin-coherent states in closed form ---------------------------------------------------------
ANGLES = [(np.pi / 2, 0.0), (1.1, 0.3), (0.0, 0.0), (np.pi, 0.5), (4.0, -2.0), (2 * np.pi, 1.0)]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 31])
@pytest.mark.parametrize("theta,phi", ANGLES)
def test_spin_coherent_matches_qutip(n, theta, phi):
    """The binomial closed form equals qutip's exponential of J_+/J_- to 1e-12, in both bases
    (including theta > pi, where cos(theta/2) < 0)."""
    dicke = QubitEnsemble(n).spin_coherent(theta, phi).full()
    np.testing.assert_allclose(dicke, qutip.spin_coherent(n / 2, theta, phi).full(), rtol=0,
                               atol=1e-12)
    if n <= 5:
        full = QubitEnsemble(n, basis="full").spin_coherent(theta, phi).full()
        one = qutip.spin_coherent(0.5, theta, phi)
        np.testing.assert_allclose(full, qutip.tensor([one] * n).full(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [10 ** 3, 3000, 10 ** 5])
def test_large_product_probe_in_closed_form(n):
    """The product probe of n qubits has QFI n (the standard quantum limit), normalised, in
    O(n): it took 5 s at n = 1000 and over 2 min at n = 3000 by a dense exponential."""
    import time
    ensemble = QubitEnsemble(n)
    start = time.perf_counter()
    psi = ensemble.product_state()
    assert time.perf_counter() - start < 1.0
    assert abs(psi.norm() - 1) < 1e-12
    assert qfim(psi, ensemble.generators)[0, 0] == pytest.approx(n, rel=1e-10)


def test_spin_coherent_angles_are_checked():
    with pytest.raises(QSNError, match="theta"):
        QubitEnsemble(3).spin_coherent(np.nan, 0.0)


# -- sizes refused before allocation --------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: QubitEnsemble(10 ** 12), r"QubitEnsemble\(n=1000000000000\).*14\.6 TiB"),
    (lambda: OpticalMode(10 ** 12), r"OpticalMode\(cutoff=1000000000000\).*14\.6 TiB"),
    (lambda: MultiLevelAtom(spin=1e9), r"spin=1000000000\.0.*need dimension 2000000001\^1"),
    (lambda: MultiLevelAtom(levels=[0, 1], atoms=10 ** 9), r"need dimension 2\^1000000000"),
], ids=["dicke-10^12", "mode-10^12", "spin-1e9", "atoms-1e9"])
def test_huge_sensors_are_refused_at_once(make, match):
    import time
    start = time.perf_counter()
    with pytest.raises(QSNError, match=match):
        make()
    assert time.perf_counter() - start < 0.5


# -- truncated spaces ------------------------------------------------------------------------------
def _squeezed(cutoff: int, r: float = 1.0) -> qutip.Qobj:
    big = qutip.squeeze(80, r) * qutip.basis(80, 0)
    return qutip.Qobj(big.full()[:cutoff + 1]).unit().proj()


@pytest.mark.parametrize("state,flagged", [
    (qutip.coherent_dm(13, np.sqrt(6)), True),                     # the tail is cut
    (qutip.coherent_dm(13, np.sqrt(6), method="analytic"), True),
    (_squeezed(12), True),                                          # even levels only
    (_squeezed(13), True),                                          # top level empty
    (qutip.coherent_dm(13, 0.5), False),                            # tail below 1e-8
    (qutip.fock_dm(13, 12), False),                                 # |n> at the cutoff
    (qutip.ket2dm((qutip.basis(13, 0) + qutip.basis(13, 12)).unit()), False),   # NOON branch
    (qutip.fock_dm(13, 0), False),
], ids=["coherent", "coherent-analytic", "squeezed-even", "squeezed-odd", "coherent-small",
        "fock-top", "noon-branch", "vacuum"])
def test_mode_truncation_weight(state, flagged):
    weight = OpticalMode(12).truncation_weight(state)
    assert (weight > 1e-8) == flagged, weight
    if not flagged:
        assert weight == 0.0


def test_small_modes_holding_fock_states_are_not_flagged():
    """One and two photons in modes of cutoff 1 and 2 (NOON states): exact, never a tail."""
    for cutoff in (1, 2):
        rho = qutip.ket2dm((qutip.basis(cutoff + 1, 0) + qutip.basis(cutoff + 1, cutoff)).unit())
        assert OpticalMode(cutoff).truncation_weight(rho) == 0.0


@pytest.mark.parametrize("make", [lambda: QubitEnsemble(3), lambda: MultiLevelAtom(spin=1),
                                  lambda: Ancilla(OpticalMode(3))], ids=["qubits", "atom",
                                                                          "ancilla"])
def test_finite_sensors_are_never_truncated(make):
    sensor = make()
    assert not sensor.truncated
    assert sensor.truncation_weight(qutip.maximally_mixed_dm(sensor.size)) == 0.0
