"""The probe registry: every built-in probe builds on a small network of every sensor kind,
the derived name lists keep their values, unknown names come with a difflib suggestion, and
the task is validated in one place.  The GHZ-type probe against its closed-form QFIM and the
hardware limit max_k (v_k/s_k)^2 (spreads written out by hand), its readout against cfim(),
the bottleneck allocation against brute force, and a property test: no probe that keeps n_k
particles on sensor k beats the limit."""

from itertools import product as cartesian

import numpy as np
import pytest
import qutip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble,
                       function_bound, qfim, states)
from qsn_qutip.estimation.bounds import ghz_allocation, hardware_limit
from qsn_qutip.measurement import cfim
from qsn_qutip.probes import ghz_type, ghz_type_allocation, satisfies, support
from qsn_qutip.probes import (BUILTIN_PROBES, DEFAULT_PROBES, PARITY_PROBES, PROBES, REFERENCES,
                              SEPARABLE, STATE_PROBES, Task, build_probe, default_measurement,
                              default_probes, lookup, parse_probe)
from qsn_qutip.report import compare
from qsn_qutip.sensors import KINDS

#: one small sensor of every kind a model file can name
SMALL = {
    "qubits": lambda: QubitEnsemble(2),
    "mode": lambda: OpticalMode(12, photons=1),     # the coherent product probe fits
    "atom": lambda: MultiLevelAtom(levels=[-1, 0, 1]),
}


def test_every_sensor_kind_has_a_small_example():
    """A new sensor kind in sensors.KINDS must join SMALL (and so every probe test below)."""
    assert set(SMALL) == set(KINDS)
    assert all(isinstance(SMALL[kind](), cls) for kind, cls in KINDS.items())


@pytest.mark.parametrize("kind", sorted(SMALL))
@pytest.mark.parametrize("name", STATE_PROBES)
def test_every_probe_state_builds_for_every_sensor_kind(kind, name):
    net = Network([SMALL[kind](), SMALL[kind]()])
    state, on = build_probe(name, net, v=np.array([1.0, -1.0]))
    assert state.isket and on.check(state) is state
    assert abs(state.norm() - 1) < 1e-12
    F = qfim(state, on.local_generators)
    assert F.shape == (2, 2) and np.all(np.isfinite(F)) and np.trace(F) > 0
    povm = default_measurement(on, name)
    assert povm.name == ("parity" if name in PARITY_PROBES else "local readout")
    assert list(povm.dims) == on.ket_dims


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_every_reference_strategy_evaluates_for_every_sensor_kind(kind):
    net = Network([SMALL[kind](), SMALL[kind]()])
    for name in REFERENCES:
        ref = PROBES[name].reference(net, np.array([1.0, 1.0]))
        assert ref.qfim.shape == (2, 2) and np.all(np.diag(ref.qfim) > 0) and ref.note
        with pytest.raises(QSNError, match="reference strategy"):
            default_measurement(net, name)
    result = compare(net, v=[1.0, 1.0], probes=BUILTIN_PROBES)
    assert [p.name for p in result.probes] == list(BUILTIN_PROBES)
    assert all(p.applies for p in result.probes)


def test_the_derived_name_lists_keep_their_values():
    assert BUILTIN_PROBES == ("ghz", "ghz-type", "optimal-ghz", "local-ghz", "product",
                              "optimal-separable", "time-shared")
    # an entangled probe for every N is compared by default (issue 10)
    assert DEFAULT_PROBES == BUILTIN_PROBES
    assert SEPARABLE == {"local-ghz", "product", "optimal-separable", "time-shared"}
    assert REFERENCES == {"time-shared"}
    assert PARITY_PROBES == ("ghz",)          # the GHZ-type probes have more than two branches
    assert STATE_PROBES == BUILTIN_PROBES[:-1]
    assert default_probes(function=False) == ("local-ghz", "product", "optimal-separable",
                                              "time-shared")


def test_names_stay_importable_where_they_were():
    from qsn_qutip import report
    import qsn_qutip.probes as probes
    for name in ("BUILTIN_PROBES", "DEFAULT_PROBES", "SEPARABLE", "REFERENCES", "build_probe"):
        assert getattr(report, name) is getattr(probes, name)


@pytest.mark.parametrize("call, match", [
    (lambda net: lookup("prodct"), "did you mean 'product'"),
    (lambda net: build_probe("optimal_ghz", net, v=[1, 1]), "did you mean 'optimal-ghz'"),
    (lambda net: build_probe("time-shared", net, v=[1, 1]), "unknown probe state"),
    (lambda net: compare(net, v=[1, 1], probes=["local_ghz"]),
     r"probes\[0\]: unknown probe 'local_ghz' \(did you mean 'local-ghz'\?\)"),
    (lambda net: parse_probe("frobnicate", net), "unknown probe 'frobnicate'; built-in"),
    (lambda net: parse_probe(("mine", qutip.basis(4, 0)), net), r"probe \(mine\) has dims"),
    (lambda net: parse_probe(3, net, argument="probes[2]"), r"probes\[2\] must be a probe name"),
    (lambda net: build_probe("ghz", net), "give v"),
], ids=["lookup", "build", "reference-is-no-state", "compare", "parse-name", "parse-dims",
        "parse-type", "ghz-needs-v"])
def test_bad_probes_are_clear_errors(call, match):
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    with pytest.raises(QSNError, match=match):
        call(net)


def test_no_suggestion_for_a_name_like_no_other():
    with pytest.raises(QSNError) as err:
        lookup("xyzzy")
    assert "did you mean" not in str(err.value)


def test_probes_that_need_one_parameter_per_sensor_say_so():
    net = Network([MultiLevelAtom(spin=1, axes="xyz")])
    for name in STATE_PROBES:
        if PROBES[name].one_parameter_per_sensor:
            with pytest.raises(QSNError, match="one parameter per sensor"):
                build_probe(name, net, v=[1, 1, 1])
    state, _ = build_probe("product", net)
    assert state.dims[0] == [3]


def test_default_measurement_of_user_states_and_unknown_names_is_local():
    net = Network([QubitEnsemble(2), OpticalMode(2)])
    assert default_measurement(net).name == "local readout"
    assert default_measurement(net, "my state").name == "local readout"
    with pytest.raises(QSNError, match="network must be a Network"):
        default_measurement("net", "ghz")


@pytest.mark.parametrize("kwargs, match", [
    (dict(v=[1, 1], weights=[1, 1]), "give either v .* or weights .*, not both"),
    (dict(v=[0, 0]), "v must have a non-zero entry"),
    (dict(v=[1]), "v must have length 2"),
    (dict(weights=[0, 0]), "weights must be non-negative and not all zero"),
    (dict(weights=[-1, 1]), "non-negative"),
    (dict(repeats=0), "repeats"),
    (dict(v=[0, 0], names=("task.function", "task.weights")), "task.function must have"),
])
def test_task_has_one_validator(kwargs, match):
    with pytest.raises(QSNError, match=match):
        Task(2, **kwargs)


def test_task_bounds_and_direction():
    F = np.diag([16.0, 4.0])
    function = Task(2, v=[-1, 1], repeats=2)
    assert function.bound(F) == pytest.approx((1 / 16 + 1 / 4) / 2, rel=1e-12)
    np.testing.assert_array_equal(function.direction, [1, 1])
    weighted = Task(2, weights=[4, 1])
    assert weighted.v is None and weighted.bound(F) == pytest.approx(4 / 16 + 1 / 4, rel=1e-12)
    np.testing.assert_array_equal(weighted.direction, [2, 1])
    np.testing.assert_array_equal(Task(3).weights, [1, 1, 1])


# -- the GHZ-type probe and the hardware limit (issue 10) ---------------------------------------

CURVATURE = np.array([1.0, -2.0, 1.0]) / np.sqrt(6)

#: uneven networks and the spread s_k of every sensor's generator, written out by hand:
#: qubits n, a linear mode its photons, a Kerr mode photons^2, atoms (max - min level) x atoms
UNEVEN = {
    "qubits-4-7-9": (lambda: [QubitEnsemble(4), QubitEnsemble(7), QubitEnsemble(9)],
                     [4, 7, 9], CURVATURE),
    "qubits-3-5": (lambda: [QubitEnsemble(3), QubitEnsemble(5)], [3, 5],
                   np.array([1.0, 1.0]) / np.sqrt(2)),
    "qubits-full-2-3": (lambda: [QubitEnsemble(2, basis="full"), QubitEnsemble(3)], [2, 3],
                        np.array([0.3, -0.5])),
    "modes-3-5-2": (lambda: [OpticalMode(4, photons=3), OpticalMode(5),
                             OpticalMode(3, photons=2)], [3, 5, 2], CURVATURE),
    "kerr-2-3": (lambda: [OpticalMode(2, "kerr"), OpticalMode(3, "kerr")], [4, 9],
                 np.array([1.0, 1.0])),
    "atoms": (lambda: [MultiLevelAtom(levels=[-1, 0, 2], atoms=2),
                       MultiLevelAtom(levels=[0, 1, 3]), QubitEnsemble(3)], [6, 3, 3], CURVATURE),
    "spin-z": (lambda: [MultiLevelAtom(spin=1, axes="z", atoms=2), QubitEnsemble(5)], [4, 5],
               np.array([2.0, -1.0])),
    "with-reference": (lambda: [OpticalMode(2, generator=None), OpticalMode(3), OpticalMode(2)],
                       [3, 2], np.array([1.0, 1.0])),
}


@pytest.mark.parametrize("case", sorted(UNEVEN))
def test_ghz_type_qfim_is_the_closed_form_and_reaches_the_hardware_limit(case):
    sensors, s, v = UNEVEN[case]
    net = Network(sensors())
    s = np.array(s, dtype=float)
    psi = ghz_type(net, v)
    assert psi.isket and abs(psi.norm() - 1) < 1e-12
    F = qfim(psi, net.generators)
    # F = 4 Cov_p(x): s*^2 r r^T + diag(s_k^2 - s*^2 r_k^2), k* = argmax |v_k|/s_k
    star = int(np.argmax(np.abs(v) / s))
    r = v / v[star]
    expected = s[star] ** 2 * np.outer(r, r) + np.diag(s ** 2 - s[star] ** 2 * r ** 2)
    np.testing.assert_allclose(F, expected, atol=1e-9 * s.max() ** 2)
    limit = np.max((v / s) ** 2)                 # (*): max_k (v_k / s_k)^2
    assert function_bound(F, v) == pytest.approx(limit, rel=1e-9)
    assert hardware_limit(v, s) == pytest.approx(limit, rel=1e-12)
    assert hardware_limit(v, s, repeats=10) == pytest.approx(limit / 10, rel=1e-12)


def test_ghz_type_is_eq1_when_the_allocation_fits():
    net = Network([QubitEnsemble(2), QubitEnsemble(4)])
    v = np.array([1.0, -2.0])
    assert abs(ghz_type(net, v).overlap(states.ghz_like(net, v))) == pytest.approx(1, abs=1e-12)


@pytest.mark.parametrize("case", ["qubits-4-7-9", "modes-3-5-2", "atoms"])
def test_the_local_readout_saturates_the_ghz_type_probe(case):
    sensors, s, v = UNEVEN[case]
    net = Network(sensors())
    psi = ghz_type(net, v)
    povm = default_measurement(net, "ghz-type")
    assert povm.name == "local readout"
    limit = np.max((v / np.array(s, dtype=float)) ** 2)
    rng = np.random.default_rng(7)
    for _ in range(3):
        phi = rng.uniform(-np.pi, np.pi, net.n_params)
        assert function_bound(cfim(psi, net.generators, povm, phi), v) == pytest.approx(
            limit, rel=1e-6)


def _brute_force_bottleneck(v, N):
    """min over integer allocations (n_k >= 1 where v_k != 0, 0 elsewhere) of max |v_k|/n_k."""
    active = [k for k in range(len(v)) if v[k] != 0]
    best = np.inf
    for n in cartesian(range(1, N + 1), repeat=len(active)):
        if sum(n) == N:
            best = min(best, max(abs(v[k]) / m for k, m in zip(active, n)))
    return best


@pytest.mark.parametrize("v", [[1, 2, 3], [1, -2, 1], [0.3, 0.7], [1, 1, 1], [5, 1, 0.2],
                               [0.1, 0, 0.9], [2.5, 1, 1, 0.5]])
def test_ghz_allocation_is_the_exact_bottleneck(v):
    v = np.array(v, dtype=float)
    active = np.count_nonzero(v)
    for N in range(active, 13):
        n = ghz_allocation(v, N)
        assert n.sum() == N and np.all(n[v == 0] == 0) and np.all(n[v != 0] >= 1)
        value = np.max(np.abs(v[v != 0]) / n[v != 0])
        assert value == pytest.approx(_brute_force_bottleneck(v, N), rel=1e-12), N


def test_ghz_allocation_approaches_the_papers_bound():
    v = CURVATURE
    norm1 = np.abs(v).sum()
    previous = np.inf
    for N in (21, 50, 101, 1001, 10 ** 6 + 1):
        n = ghz_allocation(v, N)
        value = hardware_limit(v, n)
        # ||v||_1^2 / N^2 <= value <= ||v||_1^2 / (N - d)^2 (d = 3 sensors)
        assert norm1 ** 2 / N ** 2 * (1 - 1e-12) <= value <= norm1 ** 2 / (N - 3) ** 2
        ratio = value * N ** 2 / norm1 ** 2
        assert ratio <= previous + 1e-12
        previous = ratio
    assert previous == pytest.approx(1, abs=1e-5)


def test_ghz_allocation_with_per_sensor_kappa_and_bad_input():
    # kappa = (1, 2): a = |v| / kappa = (1, 1), so 10 particles split 5 + 5
    assert ghz_allocation([1, 2], 10, kappa=[1, 2]).tolist() == [5, 5]
    for kwargs, match in ((dict(v=[0, 0], N=3), "non-zero"), (dict(v=[1, 1], N=1), "cannot"),
                          (dict(v=[1, 1], N=4, kappa=[1, 0]), "kappa")):
        with pytest.raises(QSNError, match=match):
            ghz_allocation(**kwargs)
    assert hardware_limit([1, 1], [0, 3]) == np.inf
    with pytest.raises(QSNError, match="spreads"):
        hardware_limit([1, 1], [-1, 3])


def test_optimal_ghz_uses_every_particle_at_the_bottleneck_allocation():
    net = Network([QubitEnsemble(4), QubitEnsemble(7), QubitEnsemble(9)])
    assert ghz_type_allocation(net, CURVATURE) == [5, 10, 5]
    state, on = build_probe("optimal-ghz", net, v=CURVATURE)
    assert on.particles == [5, 10, 5]
    F = qfim(state, on.generators)
    assert function_bound(F, CURVATURE) == pytest.approx((4 / np.sqrt(6)) ** 2 / 20 ** 2,
                                                         rel=1e-10)
    # 21 particles: 6 + 10 + 5, the left-over one in the state (a tilted sensor), bound of 20
    odd = Network([QubitEnsemble(4), QubitEnsemble(8), QubitEnsemble(9)])
    state, on = build_probe("optimal-ghz", odd, v=CURVATURE)
    assert on.particles == [6, 10, 5]
    assert function_bound(qfim(state, on.generators), CURVATURE) == pytest.approx(
        (2 / np.sqrt(6) / 10) ** 2, rel=1e-10)
    # a sensor with v_k = 0 keeps one particle, the rest go to the others
    zero = Network([QubitEnsemble(3), QubitEnsemble(3), QubitEnsemble(3)])
    assert ghz_type_allocation(zero, [1, 0, 2]) == [3, 1, 5]
    with pytest.raises(QSNError, match="kappa"):
        ghz_type_allocation(Network([OpticalMode(2, "kerr"), OpticalMode(2)]), [1, 1])


def test_support_and_the_constraints_a_probe_satisfies():
    net = Network([QubitEnsemble(4), OpticalMode(12, photons=1)])
    assert support(net, states.local_ghz(net)) == pytest.approx([4, 1])
    assert satisfies(net, net, states.local_ghz(net)) == ("total", "fixed")
    # the coherent product state of the mode reaches far beyond its one photon
    assert satisfies(net, net, states.product(net)) == ()
    moved = net.with_particles([3, 2])
    assert satisfies(net, moved, states.local_ghz(moved)) == ("total",)
    assert satisfies(net, net, None) == ()


def _sensor(draw):
    kind = draw(st.sampled_from(["qubits", "mode", "atom"]))
    if kind == "qubits":
        return QubitEnsemble(draw(st.integers(1, 4)))
    if kind == "mode":
        cutoff = draw(st.integers(1, 4))
        return OpticalMode(cutoff, photons=draw(st.integers(1, cutoff)))
    levels = draw(st.lists(st.integers(-2, 3), min_size=2, max_size=3, unique=True))
    return MultiLevelAtom(levels=levels)


@st.composite
def networks_and_functions(draw):
    sensors = [_sensor(draw) for _ in range(draw(st.integers(2, 3)))]
    v = draw(st.lists(st.integers(-3, 3), min_size=len(sensors), max_size=len(sensors))
             .filter(lambda x: any(x)))
    return Network(sensors), np.array(v, dtype=float), draw(st.integers(0, 10 ** 6))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks_and_functions())
def test_no_probe_on_fixed_hardware_beats_the_limit(case):
    """(*): every built-in probe state, and random pure and mixed states, that keeps at most
    n_k particles on sensor k is at or above max_k (v_k/s_k)^2; ghz-type reaches it."""
    net, v, seed = case
    spread = []
    for sensor in net.sensors:                   # s_k from the generator's own spectrum
        lo, hi = sensor.extremal_states()
        h = sensor.generators[0]
        spread.append(qutip.expect(h, hi) - qutip.expect(h, lo))
    limit = np.max((v / np.array(spread)) ** 2)
    mine = [("pure", states.random_pure(net, seed=seed)),
            ("mixed", states.random_mixed(net, rank=2, seed=seed))]
    result = compare(net, v=v, probes=[*STATE_PROBES, *mine], resources="fixed")
    assert result.limit == pytest.approx(limit, rel=1e-12)
    for probe in result.probes:
        if probe.applies and "fixed" in probe.satisfies:
            assert probe.bound >= limit * (1 - 1e-9), probe.name
    assert result["ghz-type"].bound == pytest.approx(limit, rel=1e-8)
    assert "fixed" in result["ghz-type"].satisfies and result["ghz-type"].ranked
