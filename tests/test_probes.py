"""The probe registry: every built-in probe builds on a small network of every sensor kind,
the derived name lists keep their values, unknown names come with a difflib suggestion, and
the task is validated in one place."""

import numpy as np
import pytest
import qutip

from qsn_qutip import MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, qfim
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
    assert BUILTIN_PROBES == ("ghz", "optimal-ghz", "local-ghz", "product", "optimal-separable",
                              "time-shared")
    assert DEFAULT_PROBES == ("ghz", "local-ghz", "product", "optimal-separable", "time-shared")
    assert SEPARABLE == {"local-ghz", "product", "optimal-separable", "time-shared"}
    assert REFERENCES == {"time-shared"}
    assert PARITY_PROBES == ("ghz", "optimal-ghz")
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
