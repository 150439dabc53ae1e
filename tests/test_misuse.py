"""Misuse, tried as a new user would: every mistake is a :class:`QSNError` naming what was wrong.

The table calls the public API (everything in ``qsn_qutip.__all__``, the public functions of
``states``, ``theorems``, ``measurement`` and ``noise``, the Network and sensor constructors)
with typical mistakes: a list where a Network or Qobj belongs, negative, float or huge sizes,
NaN, a negative seed, wrong lengths and dims, a lambda where a module-level function is needed.
Each must raise QSNError whose message names the argument; a NumPy, QuTiP, pickle or
``TypeError`` leaking out fails.  Rows still leaking in modules owned by another engineer are
``xfail(strict=True)`` with the owner, so that the fix turns them into failures to un-mark.

The second half runs the ``qsn`` command with bad output places, bad options, oversized or
endless model files and a closed pipe: one line on stderr and exit code 2 (quiet for a closed
pipe), never a traceback, and nothing computed before the output place is checked.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import qutip

import qsn_qutip
from qsn_qutip import (Ancilla, MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble,
                       states, theorems)

NET = Network([QubitEnsemble(2), QubitEnsemble(2)])
MODES = Network([OpticalMode(2), OpticalMode(2)])
MODES3 = Network([OpticalMode(2, generator=None), OpticalMode(2), OpticalMode(2)])
BIG = Network([QubitEnsemble(1)] * 64)                 # dimension 2^64: never allocated
SENSORS = [QubitEnsemble(2), QubitEnsemble(2)]         # a list, not a Network
PSI = states.ghz_like(NET, [1, 1])
RHO = PSI.proj()
GENS = NET.generators
NAN = float("nan")


def _mod(name: str):
    """A subpackage imported when the row runs (a broken import fails that row only)."""
    return importlib.import_module(f"qsn_qutip.{name}")


def _dm(matrix) -> qutip.Qobj:
    """A 9 x 9 'density matrix' on NET from a diagonal or matrix (possibly unphysical)."""
    matrix = np.diag(matrix) if np.ndim(matrix) == 1 else np.asarray(matrix)
    return qutip.Qobj(matrix, dims=NET.dims)


NOT_PSD = _dm([1.5, -0.5] + [0.0] * 7)
def _not_hermitian() -> qutip.Qobj:
    matrix = np.diag([0.5, 0.5] + [0.0] * 7)
    matrix[0, 1] = 0.3                         # no (1, 0) partner: rho != rho^dagger
    return _dm(matrix)


NOT_HERMITIAN = _not_hermitian()
WITH_NAN = _dm([NAN, 1.0] + [0.0] * 7)


def _module_level(x):
    return {"y": x}


# (id, call, what the message must name, owner if the leak is in another engineer's module)
ROWS = [
    # -- sensors and networks (G) -------------------------------------------------------------
    ("qubits-n-str", lambda: QubitEnsemble("4"), r"\bn\b", None),
    ("qubits-n-float", lambda: QubitEnsemble(2.5), r"\bn\b", None),
    ("qubits-n-negative", lambda: QubitEnsemble(-1), r"\bn\b", None),
    ("qubits-basis", lambda: QubitEnsemble(4, basis="spin"), "basis", None),
    ("qubits-10^12", lambda: QubitEnsemble(10 ** 12), "n=1000000000000.*max_bytes", None),
    ("qubits-name-int", lambda: QubitEnsemble(4, name=5), "name", None),
    ("mode-cutoff-negative", lambda: OpticalMode(-2), "cutoff", None),
    ("mode-cutoff-float", lambda: OpticalMode(4.0), "cutoff", None),
    ("mode-cutoff-10^12", lambda: OpticalMode(10 ** 12), "cutoff=1000000000000.*max_bytes",
     None),
    ("mode-generator", lambda: OpticalMode(4, "quadratic"), "generator", None),
    ("mode-photons", lambda: OpticalMode(4, photons=5), "photons", None),
    ("atom-neither", lambda: MultiLevelAtom(), "levels.*spin", None),
    ("atom-levels-nan", lambda: MultiLevelAtom(levels=[0, NAN]), "levels", None),
    ("atom-spin-1e9", lambda: MultiLevelAtom(spin=1e9), "spin=1000000000.0.*dimension", None),
    ("atom-atoms-1e9", lambda: MultiLevelAtom(levels=[0, 1], atoms=10 ** 9), "atoms", None),
    ("atom-axes-list", lambda: MultiLevelAtom(spin=1, axes=["x"]), "axes", None),
    ("atom-atoms-zero", lambda: MultiLevelAtom(levels=[0, 1], atoms=0), "atoms", None),
    ("ancilla-of-str", lambda: Ancilla("qubits"), "sensor", None),
    ("network-empty", lambda: Network([]), "sensors", None),
    ("network-one-sensor", lambda: Network(QubitEnsemble(2)), "sensors", None),
    ("network-str", lambda: Network("qq"), "sensors", None),
    ("network-entry", lambda: Network([QubitEnsemble(2), "x"]), r"sensors\[1\]", None),
    ("network-unitary-2^64", lambda: BIG.unitary([0.0] * 64), "D = 18446744073709551616",
     None),
    ("network-generators-2^64", lambda: BIG.generators, "max_bytes", None),
    ("network-unitary-length", lambda: NET.unitary([0.0]), "phi", None),
    ("network-check-array", lambda: NET.check(np.zeros(9)), "state", None),
    ("network-check-dims", lambda: NET.check(qutip.basis(4, 0)), "state", None),
    ("network-numbers-length", lambda: NET.with_particles([1]), "numbers", None),
    ("network-numbers-float", lambda: NET.with_particles([1, 2.5]), "numbers", None),
    ("network-site", lambda: NET.reduced_state(PSI, 5), "site", None),
    ("network-physical-3x", lambda: NET.check(3 * PSI, physical=True), "state", None),
    # -- states (G) ---------------------------------------------------------------------------
    ("ghz-list", lambda: states.ghz_like(SENSORS, [1, 1]), "network", None),
    ("ghz-v-length", lambda: states.ghz_like(NET, [1]), r"\bv\b", None),
    ("ghz-v-nan", lambda: states.ghz_like(NET, [1, NAN]), r"\bv\b", None),
    ("ghz-v-str", lambda: states.ghz_like(NET, "ab"), r"\bv\b", None),
    ("local-ghz-list", lambda: states.local_ghz(SENSORS), "network", None),
    ("product-list", lambda: states.product(SENSORS), "network", None),
    ("product-2^64", lambda: states.product(BIG), "product.*max_bytes", None),
    ("ghz-2^64", lambda: states.ghz_like(BIG, [1] * 64), "ghz_like.*max_bytes", None),
    ("spin-coherent-theta-str", lambda: states.spin_coherent(NET, "a"), "theta", None),
    ("spin-coherent-theta-nan", lambda: states.spin_coherent(NET, NAN), "theta", None),
    ("noon-photons-negative", lambda: states.noon(MODES, -1), "photons", None),
    ("noon-photons-float", lambda: states.noon(MODES, 2.0), "photons", None),
    ("noon-list", lambda: states.noon([OpticalMode(2)] * 2, 2), "network", None),
    ("gnoon-alpha", lambda: states.generalized_noon(MODES3, 2, alpha=2), "alpha", None),
    ("gnoon-alpha-str", lambda: states.generalized_noon(MODES3, 2, alpha="x"), "alpha", None),
    ("gnoon-reference-float", lambda: states.generalized_noon(MODES3, 2, reference=1.0),
     "reference", None),
    ("random-pure-seed-negative", lambda: states.random_pure(NET, seed=-1), "seed", None),
    ("random-pure-seed-float", lambda: states.random_pure(NET, seed=1.5), "seed", None),
    ("random-pure-2^64", lambda: states.random_pure(BIG), "max_bytes", None),
    ("random-mixed-rank-zero", lambda: states.random_mixed(NET, rank=0), "rank", None),
    ("random-mixed-rank-big", lambda: states.random_mixed(NET, rank=100), "rank", None),
    ("random-mixed-seed-negative", lambda: states.random_mixed(NET, seed=-1), "seed", None),
    ("allocation-total-negative", lambda: states.proportional_allocation([1, 1], -2), "total",
     None),
    ("allocation-total-float", lambda: states.proportional_allocation([1, 1], 2.5), "total",
     None),
    ("allocation-v-str", lambda: states.proportional_allocation("ab", 4), r"\bv\b", None),
    # -- theorems (G) -------------------------------------------------------------------------
    ("separable-list-state", lambda: theorems.separable_counterpart([1, 0], NET), "state",
     None),
    ("separable-list-network", lambda: theorems.separable_counterpart(PSI, SENSORS), "network",
     None),
    ("separable-3x-ket", lambda: theorems.separable_counterpart(3 * PSI, NET),
     "state must be normalised", None),
    ("separable-not-psd", lambda: theorems.separable_counterpart(NOT_PSD, NET),
     "state.*positive semidefinite", None),
    ("separable-nan", lambda: theorems.separable_counterpart(WITH_NAN, NET), "state.*NaN",
     None),
    ("separable-not-hermitian", lambda: theorems.separable_counterpart(NOT_HERMITIAN, NET),
     "state.*Hermitian", None),
    ("ancilla-not-psd", lambda: theorems.ancilla_counterpart(NOT_PSD, NET),
     "state.*positive semidefinite", None),
    ("gap-nan", lambda: theorems.proposition1_gap([[1, NAN], [NAN, 1]], [[0], [1]]), r"\bF\b",
     None),
    ("gap-str", lambda: theorems.proposition1_gap("F", [[0]]), r"\bF\b", None),
    ("gap-partition-float", lambda: theorems.proposition1_gap(np.eye(2), [[0, 1.5]]),
     "partition", None),
    ("gap-partition-int", lambda: theorems.proposition1_gap(np.eye(2), 5), "partition", None),
    ("eigenspaces-array", lambda: theorems.joint_eigenspaces([np.eye(2)]), "ops", None),
    ("eigenspaces-qobj", lambda: theorems.joint_eigenspaces(qutip.sigmaz()), "ops", None),
    # -- estimation (A) -----------------------------------------------------------------------
    ("qfim-list-state", lambda: qsn_qutip.qfim([1, 0], GENS), "state", None),
    ("qfim-array-generators", lambda: qsn_qutip.qfim(PSI, [np.eye(9)]), "generators", None),
    ("qfim-phi-nan", lambda: qsn_qutip.qfim(PSI, GENS, phi=[NAN, 0]), "phi", None),
    ("qfim-phi-length", lambda: qsn_qutip.qfim(PSI, GENS, phi=[0]), "phi", None),
    ("qfim-3x", lambda: qsn_qutip.qfim(3 * PSI, GENS), "state", None),
    ("qfim-derivatives-empty", lambda: qsn_qutip.qfim_from_derivatives(RHO, []), "drhos", None),
    ("qfim-derivatives-list", lambda: qsn_qutip.qfim_from_derivatives([[1]], [RHO]), "rho",
     None),
    ("qcrb-str", lambda: qsn_qutip.qcrb("F"), r"\bF\b", None),
    ("qcrb-weights-length", lambda: qsn_qutip.qcrb(np.eye(2), weights=[1]), "weights", None),
    ("qcrb-repeats-zero", lambda: qsn_qutip.qcrb(np.eye(2), repeats=0), "repeats", None),
    ("qcrb-weights-zero", lambda: qsn_qutip.qcrb(np.eye(2), weights=[0, 0]), "weights",
     None),
    ("function-bound-v-zero", lambda: qsn_qutip.function_bound(np.eye(2), [0, 0]), r"\bv\b",
     None),
    ("function-bound-v-length", lambda: qsn_qutip.function_bound(np.eye(2), [1]), r"\bv\b",
     None),
    ("allocation-N-negative", lambda: qsn_qutip.best_separable_allocation([1, 1], -3), r"\bN\b",
     None),
    ("allocation-N-float", lambda: qsn_qutip.best_separable_allocation([1, 1], 2.5), r"\bN\b",
     None),
    ("separable-bound-kappa-nan", lambda: qsn_qutip.separable_bound([1, 1], 4, kappa=NAN),
     "kappa", None),
    ("ghz-bound-N-zero", lambda: qsn_qutip.ghz_bound([1, 1], 0), r"\bN\b", None),
    ("ghz-bound-v-empty", lambda: qsn_qutip.ghz_bound([], 4), r"\bv\b", None),
    # -- options (lead / A) -------------------------------------------------------------------
    ("tolerances-unknown", lambda: qsn_qutip.tolerances(nope=1).__enter__(), "nope", None),
    ("tolerances-str", lambda: qsn_qutip.tolerances(atol="x").__enter__(), "atol",
     None),
    ("tolerances-nan", lambda: qsn_qutip.tolerances(eig_cutoff=NAN).__enter__(), "eig_cutoff",
     None),
    # -- noise (B) ----------------------------------------------------------------------------
    ("noise-dephasing-negative", lambda: qsn_qutip.NoiseModel(dephasing=-0.1), "dephasing",
     None),
    ("noise-dephasing-nan", lambda: qsn_qutip.NoiseModel(dephasing=NAN), "dephasing", None),
    ("noise-dephasing-str", lambda: qsn_qutip.NoiseModel(dephasing="x"), "dephasing", None),
    ("noise-transmission", lambda: qsn_qutip.NoiseModel(transmission=1.5), "transmission",
     None),
    ("noise-time", lambda: qsn_qutip.NoiseModel(time=-1), "time", None),
    ("apply-noise-list", lambda: qsn_qutip.apply_noise(PSI, SENSORS,
                                                       qsn_qutip.NoiseModel(dephasing=0.1)),
     "network", None),
    ("apply-noise-3x", lambda: qsn_qutip.apply_noise(3 * PSI, NET,
                                                     qsn_qutip.NoiseModel(dephasing=0.1)),
     "state", None),
    ("apply-noise-str", lambda: qsn_qutip.apply_noise(PSI, NET, "dephasing"), "noise", None),
    ("noisy-qfim-str", lambda: qsn_qutip.noisy_qfim("state", NET), "state", None),
    ("interrogation-v-length", lambda: qsn_qutip.optimal_interrogation_time(
        PSI, NET, qsn_qutip.NoiseModel(dephasing=0.1), v=[1]), r"\bv\b", None),
    ("local-dephasing-negative", lambda: _mod("noise").local_dephasing(PSI, NET, -0.1),
     "gamma_t", None),
    ("local-dephasing-length", lambda: _mod("noise").local_dephasing(PSI, NET, [0.1, 0.1, 0.1]),
     "gamma_t", None),
    ("collective-dephasing-nan", lambda: _mod("noise").collective_dephasing(PSI, NET, NAN),
     "gamma_t", None),
    ("local-decay-negative", lambda: _mod("noise").local_decay(PSI, NET, -1.0), "gamma_t",
     None),
    ("photon-loss-eta", lambda: _mod("noise").photon_loss(states.noon(MODES, 2), MODES, 1.5),
     "eta", None),
    ("piqs-n-negative", lambda: _mod("noise").piqs_lindbladian(-1), r"\bn\b", None),
    ("crossover-n-zero", lambda: _mod("noise").dephasing_crossover(0), r"\bn\b", None),
    ("per-frequency-times", lambda: _mod("noise").qfim_per_frequency(
        PSI, NET, qsn_qutip.NoiseModel(dephasing=0.1), times=[-1.0]), "times", None),
    # -- measurement (C) ----------------------------------------------------------------------
    ("povm-arrays", lambda: qsn_qutip.POVM([np.eye(2)]), "effects", None),
    ("povm-incomplete", lambda: qsn_qutip.POVM([qutip.qeye(2) * 0.5]), "effects", None),
    ("projective-bases-str", lambda: _mod("measurement").local_projective(NET, bases="x"),
     "bases", None),
    ("spin-readout-axis", lambda: _mod("measurement").spin_readout(NET, axis="w"), "axis",
     None),
    ("local-readout-list", lambda: qsn_qutip.local_readout(SENSORS), "network", None),
    ("parity-list", lambda: qsn_qutip.parity(SENSORS), "network", None),
    ("beam-splitter-t", lambda: _mod("measurement").beam_splitter(MODES, transmissivity=2),
     "transmissivity", None),
    ("beam-splitter-modes", lambda: _mod("measurement").beam_splitter(MODES, modes=(0, 5)),
     "modes", None),
    ("sld-readout-phi", lambda: _mod("measurement").sld_readout(NET, PSI, phi=[0]), "phi", None),
    ("default-measurement-probe", lambda: _mod("measurement").default_measurement(NET, probe=5),
     "probe", None),
    ("probabilities-povm-str", lambda: _mod("measurement").outcome_probabilities(
        PSI, GENS, "povm"), "povm", None),
    ("cfim-phi-nan", lambda: qsn_qutip.cfim(PSI, GENS, qsn_qutip.parity(NET), phi=[NAN, 0]),
     "phi", None),
    ("simulate-trials-one", lambda: qsn_qutip.simulate(
        PSI, GENS, qsn_qutip.parity(NET), [0.1, 0.2], trials=1), "trials", None),
    ("simulate-seed-negative", lambda: qsn_qutip.simulate(
        states.local_ghz(NET), GENS, qsn_qutip.local_readout(NET), [0.1, 0.2], trials=2,
        seed=-1), "seed", None),
    ("simulate-repeats-zero", lambda: qsn_qutip.simulate(
        PSI, GENS, qsn_qutip.parity(NET), [0.1, 0.2], repeats=0), "repeats", None),
    ("simulate-estimator", lambda: qsn_qutip.simulate(
        PSI, GENS, qsn_qutip.parity(NET), [0.1, 0.2], estimator="ls"), "estimator", None),
    ("holevo-weights-length", lambda: qsn_qutip.holevo_bound(PSI, GENS, weights=[1]),
     "weights", None),
    # -- probes, comparisons, experiments, model files, sweeps (D2, C, F) ---------------------
    ("task-v-length", lambda: qsn_qutip.Task(2, v=[1]), r"\bv\b", None),
    ("task-both", lambda: qsn_qutip.Task(2, v=[1, 1], weights=[1, 1]), "v.*weights", None),
    ("build-probe-unknown", lambda: qsn_qutip.build_probe("nope", NET), "probe", None),
    ("build-probe-list", lambda: qsn_qutip.build_probe("ghz", SENSORS, v=np.ones(2)),
     "network", None),
    ("compare-list", lambda: qsn_qutip.compare(SENSORS, v=[1, 1]), "network", None),
    ("optimal_probe-list", lambda: qsn_qutip.optimal_probe(SENSORS, v=[1, 1]), "network", None),
    ("optimal_probe-v-length", lambda: qsn_qutip.optimal_probe(NET, v=[1]), r"\bv\b", None),
    ("optimal_probe-resources", lambda: qsn_qutip.optimal_probe(NET, v=[1, 1], resources="all"),
     "resources", None),
    ("optimal_probe-seed", lambda: qsn_qutip.optimal_probe(NET, v=[1, 1], seed=-1), "seed",
     None),
    ("optimal_probe-restarts", lambda: qsn_qutip.optimal_probe(NET, v=[1, 1], restarts=-1),
     "restarts", None),
    ("optimal_probe-noise-type", lambda: qsn_qutip.optimal_probe(NET, v=[1, 1], noise=0.1),
     "noise", None),
    ("optimal_probe-decay", lambda: qsn_qutip.optimal_probe(
        NET, v=[1, 1], noise=qsn_qutip.NoiseModel(decay=0.1)), "decay", None),
    ("compare-v-length", lambda: qsn_qutip.compare(NET, v=[1]), r"\bv\b", None),
    ("compare-probe-unknown", lambda: qsn_qutip.compare(NET, v=[1, 1], probes=["nope"]),
     "probe", None),
    ("compare-probe-list-state", lambda: qsn_qutip.compare(NET, v=[1, 1], probes=[("x", [1])]),
     "probe", None),
    ("compare-repeats-zero", lambda: qsn_qutip.compare(NET, v=[1, 1], repeats=0), "repeats",
     None),
    ("compare-noise-str", lambda: qsn_qutip.compare(NET, v=[1, 1], noise="dephasing"), "noise",
     None),
    ("compare-noise-3x", lambda: qsn_qutip.compare(
        NET, v=[1, 1], probes=[("mine", 3 * PSI)], noise=qsn_qutip.NoiseModel(dephasing=0.1)),
     "normalised", None),
    ("compare-seed-negative", lambda: qsn_qutip.compare(NET, v=[1, 1], probes=["optimal"],
                                                        seed=-1), "seed", None),
    ("compare-seed-float", lambda: qsn_qutip.compare(NET, v=[1, 1], probes=["optimal"],
                                                     seed=0.5), "seed", None),
    ("compare-probe-optimum", lambda: qsn_qutip.compare(NET, v=[1, 1], probes=["optimum"]),
     r"probes\[0\].*'optimal'", None),
    ("compare-time-none-no-rate", lambda: qsn_qutip.compare(
        NET, v=[1, 1], noise=qsn_qutip.NoiseModel(transmission=0.9, time=None)), "time", None),
    ("simulate-task-seed", lambda: qsn_qutip.simulate_task(NET, "ghz", v=[1, 1], seed=-1),
     "seed", None),
    ("simulate-task-trials-huge", lambda: qsn_qutip.simulate_task(
        NET, "ghz", v=[1, 1], trials=10 ** 12), "trials", None),
    ("simulate-task-list", lambda: qsn_qutip.simulate_task(SENSORS, "ghz", v=[1, 1]),
     "network", None),
    ("load-model-int", lambda: qsn_qutip.load_model(123), "123|path", None),
    ("load-model-dev-zero", lambda: qsn_qutip.load_model("/dev/zero"), "/dev/zero", None),
    ("sweep-lambda-processes", lambda: _mod("sweep").sweep(
        lambda x: {"y": x}, {"x": [1, 2]}, backend="processes", progress_bar=False),
     "function", None),
    ("hardware-limit-spreads", lambda: qsn_qutip.hardware_limit([1, 1], [1, -1]), "spreads",
     None),
    ("ghz-allocation-too-few", lambda: qsn_qutip.ghz_allocation([1, 1, 1], 2), r"\bN\b", None),
    ("photon-counting-qubits", lambda: qsn_qutip.photon_counting(NET), "optical modes", None),
    # -- magnetometry ------------------------------------------------------------------------
    ("sensor-array-positions", lambda: qsn_qutip.SensorArray(NET, [[0, 0, 0]], species="87Rb F=2"),
     "positions", None),
    ("sensor-array-list", lambda: qsn_qutip.SensorArray(SENSORS, [[0, 0, 0]] * 2), "network",
     None),
    ("field-task-array", lambda: qsn_qutip.FieldTask("array", None), "array", None),
    ("compare-field-task", lambda: qsn_qutip.compare_field("task", None), "task", None),
    ("sensitivity-negative", lambda: qsn_qutip.sensitivity(-1.0, 1e-3), "variance", None),
    ("sensitivity-zero-time", lambda: qsn_qutip.sensitivity(1.0, 0.0), r"\bt\b", None),
    ("sweep-empty-axis", lambda: _mod("sweep").sweep(
        _module_level, {"x": []}, backend="serial", progress_bar=False), r"\bx\b|grid", None),
]


def _params():
    for ident, call, name, owner in ROWS:
        marks = [pytest.mark.xfail(strict=True, reason=f"owner: {owner}")] if owner else []
        yield pytest.param(call, name, id=ident, marks=marks)


@pytest.mark.parametrize("call,name", list(_params()))
def test_misuse_is_a_qsnerror_naming_the_argument(call, name):
    with pytest.raises(QSNError) as info:
        call()
    assert re.search(name, str(info.value)), str(info.value)


def test_the_table_covers_the_public_api():
    """Every callable of ``qsn_qutip.__all__`` and every public function of ``states`` and
    ``theorems`` has a misuse row (by the name the row calls)."""
    source = Path(__file__).read_text()
    wanted = [n for n in qsn_qutip.__all__ if n[0].isupper() or callable(getattr(qsn_qutip, n))]
    wanted += [f"states.{n}" for n in states.__all__] + [f"theorems.{n}" for n in
                                                         theorems.__all__]
    # result objects a user reads but does not build (and the base classes)
    skip = {"QSNError", "Tolerances", "Sensor", "Comparison", "Model", "LocalOperator",
            "states", "DickeBlockState", "NoisyProduct", "InterrogationResult",
            "SimulationResult", "ProbeResult", "Verdict", "TaskSimulation", "SweepResult",
            "OptimalProbe"}
    missing = [n for n in wanted if n not in skip and not re.search(
        rf"\b{re.escape(n.split('.')[-1])}\(", source)]
    assert not missing, f"no misuse row calls {missing}"


# -- sizes in the library ----------------------------------------------------------------------
def test_a_huge_dicke_ensemble_is_refused_before_allocation():
    """10^12 atoms used to grow to 11 GB before a MemoryError: now refused at once."""
    start = time.perf_counter()
    with pytest.raises(QSNError, match=r"n=1000000000000.*14\.6 TiB.*max_bytes"):
        QubitEnsemble(10 ** 12)
    assert time.perf_counter() - start < 0.5


def test_the_memory_limit_can_be_raised():
    with qsn_qutip.tolerances(max_bytes=2 ** 10):
        with pytest.raises(QSNError, match="max_bytes = 1.0 KiB"):
            QubitEnsemble(100)
    assert QubitEnsemble(100).n == 100


def test_a_64_qubit_network_has_its_exact_dimension_and_is_refused_where_dense():
    assert BIG.size == 2 ** 64 and isinstance(BIG.size, int)
    with pytest.raises(QSNError, match=r"product: a ket of dimension D = 18446744073709551616 "
                                       r"would need 256\.0 EiB"):
        states.product(BIG)


# -- the command line ------------------------------------------------------------------------
MODELS = Path(__file__).resolve().parent.parent / "models"
GRADIENT = MODELS / "gradient_magnetometer.toml"


def _one_line(result, match: str) -> None:
    code, out, err = result
    assert code == 2, (code, out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qsn: error:"), err
    assert re.search(match, lines[0]), lines[0]
    assert out == ""


@pytest.fixture
def no_compute(monkeypatch):
    """Fail if the command computes anything (the output place must be checked first)."""
    import qsn_qutip.modelfile as modelfile

    def refuse(*args, **kwargs):
        raise AssertionError("the model was read before the output place was checked")
    monkeypatch.setattr(modelfile, "load_model", refuse)


def _unwritable(tmp_path: Path) -> Path:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.access(locked, os.W_OK):             # root writes anywhere
        pytest.skip("this user can write into a read-only directory")
    return locked


@pytest.mark.parametrize("args,match", [
    (["run", GRADIENT, "--plot", "{tmp}/dir.png"], "--plot: .*dir.png is a directory"),
    (["run", GRADIENT, "--plot", "{tmp}/missing/x.png"], "--plot: .*does not exist"),
    (["run", GRADIENT, "--plot", "{tmp}/locked/x.png"], "--plot: .*no permission"),
    (["draw", GRADIENT, "-o", "{tmp}/dir.png"], "-o: .*dir.png is a directory"),
    (["draw", GRADIENT, "-o", "{tmp}/missing/x.png"], "-o: .*does not exist"),
    (["draw", GRADIENT, "-o", "{tmp}/locked/x.png"], "-o: .*no permission"),
    (["figures", "--only", "gradient", "--out", "{tmp}/file.txt"],
     "--out: .*file.txt exists and is not a directory"),
    (["figures", "--only", "gradient", "--out", "{tmp}/missing/deeper"],
     "--out: .*does not exist"),
    (["figures", "--only", "gradient", "--out", "{tmp}/locked/new"],
     "--out: .*no permission"),
], ids=["run-plot-dir", "run-plot-missing", "run-plot-locked", "draw-dir", "draw-missing",
        "draw-locked", "figures-file", "figures-missing", "figures-locked"])
def test_output_places_are_checked_before_any_work(args, match, tmp_path, run_qsn, no_compute):
    (tmp_path / "dir.png").mkdir()
    (tmp_path / "file.txt").write_text("")
    if any("locked" in str(a) for a in args):
        _unwritable(tmp_path)
    argv = [str(a).format(tmp=tmp_path) for a in args]
    _one_line(run_qsn(argv), match)


def test_draw_checks_its_default_output_place(tmp_path, run_qsn, no_compute):
    locked = _unwritable(tmp_path)
    _one_line(run_qsn(["draw", GRADIENT], cwd=locked), "-o: .*no permission")


def test_a_full_disk_while_writing_a_figure_is_one_line(tmp_path, run_qsn, monkeypatch):
    from matplotlib.figure import Figure

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(Figure, "savefig", full)
    _one_line(run_qsn("run", GRADIENT, "--plot", tmp_path / "x.png"),
              "x.png: No space left on device")
    assert list(tmp_path.iterdir()) == []            # no temporary left behind


@pytest.mark.parametrize("option,value,match", [
    ("--seed", "-1", "--seed must be an integer >= 0, got -1"),
    ("--trials", "1e12", "--trials must be an integer, got '1e12'"),
    ("--trials", "1000000000000", r"--trials must be an integer in \[2, 1000000\]"),
    ("--trials", "1", r"--trials must be an integer in \[2, 1000000\], got 1"),
], ids=["seed-negative", "trials-float", "trials-huge", "trials-one"])
def test_simulate_options_are_checked(option, value, match, run_qsn, no_compute):
    _one_line(run_qsn("simulate", GRADIENT, option, value), match)


def _model_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.toml"
    path.write_text(text)
    return path


QUBITS = '[[sensor]]\nkind = "qubits"\nn = {n}\n'
TASK = '[task]\nweights = [{weights}]\n'


def test_deeply_nested_toml_is_one_line(tmp_path, run_qsn):
    path = _model_file(tmp_path, "x = " + "[" * 1000 + "]" * 1000 + "\n")
    _one_line(run_qsn("check", path), "nested more than 32 levels")
    path = _model_file(tmp_path, "[" + ".".join(["x"] * 5000) + "]\n")
    _one_line(run_qsn("check", path), "nested more than 32 levels")


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_model_file_that_is_not_a_regular_file_is_refused_unread(special, tmp_path, run_qsn):
    if special == "fifo":
        special = tmp_path / "pipe.toml"
        os.mkfifo(special)                     # opening it would wait for a writer forever
    start = time.perf_counter()
    _one_line(run_qsn("check", special), "not a regular file")
    assert time.perf_counter() - start < 2


def test_an_oversized_model_file_is_refused(tmp_path, run_qsn):
    path = _model_file(tmp_path, QUBITS.format(n=2) + "# " + "x" * 2 ** 20 + "\n")
    _one_line(run_qsn("check", path), "larger than 1024 KiB")


def test_qsn_check_prints_the_exact_dimension_and_run_refuses_with_the_memory(tmp_path,
                                                                              run_qsn):
    """64 one-qubit sensors: the dimension is 2^64 (it used to print 0 and OK)."""
    path = _model_file(tmp_path, QUBITS.format(n=1) * 64 + TASK.format(weights=", ".join(
        ["1"] * 64)))
    code, out, err = run_qsn("check", path)
    assert code == 0, err
    assert "18446744073709551616" in out
    code, out, err = run_qsn("run", path)          # every state probe n/a, saying why
    assert (code, err) == (0, "")
    assert out.count("ket of dimension D = 18446744073709551616 would need 256.0 EiB") >= 2


def test_a_10_to_12_atom_ensemble_is_one_line_at_once(tmp_path, run_qsn):
    path = _model_file(tmp_path, QUBITS.format(n=10 ** 12) + TASK.format(weights="1"))
    start = time.perf_counter()
    _one_line(run_qsn("check", path), "14.6 TiB")
    assert time.perf_counter() - start < 2


def test_demo_into_a_closed_pipe_is_quiet():
    """``qsn demo | head -0``: the reader is gone before the table is printed."""
    script = Path(sys.executable).with_name("qsn")
    proc = subprocess.Popen([str(script), "demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()                        # the reader goes away at once
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert err == "", err
    assert proc.returncode == 141


def test_a_users_state_cut_by_the_cutoff_is_one_warning_line(tmp_path, run_qsn):
    """A coherent state (mean photon number 6) typed into a model at cutoff 12 with a Kerr
    generator: its QFI is that of the truncated state; ``qsn run`` says so in one line."""
    amplitudes = qutip.coherent(13, np.sqrt(6)).full().real.ravel()
    terms = ", ".join(f"{{basis = [{k}], amplitude = {float(a)!r}}}"
                      for k, a in enumerate(amplitudes))
    path = _model_file(tmp_path, '[[sensor]]\nname = "k"\nkind = "mode"\ncutoff = 12\n'
                                 'generator = "kerr"\n' + TASK.format(weights="1") +
                       '[probes]\ncompare = ["local-ghz"]\n[[probes.state]]\n'
                       f'name = "coherent"\nterms = [{terms}]\n')
    code, out, err = run_qsn("run", path)
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qsn: warning: "), err
    assert re.search(r"\(coherent\): sensor 'k' \(Kerr mode N=12\) holds probability 0\.0383",
                     lines[0]), lines[0]
