"""Theorem 1 and 2 constructions and Proposition 1, on random states of random networks."""

import numpy as np
import pytest
import qutip
from hypothesis import given, settings, strategies as st

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, qcrb,
                       qfim, states)
from qsn_qutip.theorems import (ancilla_counterpart, joint_eigenspaces, proposition1_gap,
                                separable_counterpart)

COMMUTING_SENSORS = [
    lambda: QubitEnsemble(2),
    lambda: QubitEnsemble(2, basis="full"),
    lambda: OpticalMode(2),
    lambda: OpticalMode(2, generator="kerr"),
    lambda: MultiLevelAtom(levels=[0.0, 1.0, 1.0, -0.5]),    # a degenerate level
    lambda: MultiLevelAtom(spin=1, axes="z"),
]
NONCOMMUTING_SENSORS = [
    lambda: MultiLevelAtom(spin=0.5, axes="xyz"),
    lambda: MultiLevelAtom(spin=1, axes="xz"),
]

networks = st.lists(st.integers(0, len(COMMUTING_SENSORS) - 1), min_size=2, max_size=3).map(
    lambda picks: Network([COMMUTING_SENSORS[i]() for i in picks]))
any_networks = st.lists(
    st.integers(0, len(COMMUTING_SENSORS) + len(NONCOMMUTING_SENSORS) - 1),
    min_size=2, max_size=3).map(lambda picks: Network(
        [(COMMUTING_SENSORS + NONCOMMUTING_SENSORS)[i]() for i in picks]))
seeds = st.integers(0, 2 ** 31 - 1)


def _probe(network, seed, mixed):
    return (states.random_mixed(network, rank=3, seed=seed) if mixed
            else states.random_pure(network, seed=seed))


def _blocks(F, partition):
    return [F[np.ix_(b, b)] for b in partition if b]


def _is_product(ket, network):
    return all(abs((network.reduced_state(ket, k) ** 2).tr() - 1) < 1e-10
               for k in range(len(network.sensors)))


def _assert_psd(matrix, atol=1e-9):
    assert np.linalg.eigvalsh((matrix + matrix.T) / 2).min() >= -atol


@settings(max_examples=25, deadline=None)
@given(networks, seeds, st.booleans())
def test_theorem1_counterpart_guarantees(network, seed, mixed):
    probe = _probe(network, seed, mixed)
    phi = separable_counterpart(probe, network)
    assert phi.isket and phi.dims[0] == network.ket_dims
    assert abs(phi.norm() - 1) < 1e-12
    assert _is_product(phi, network)
    F_in, F_out = qfim(probe, network.generators), qfim(phi, network.generators)
    for k, j in [(k, j) for k in range(len(network.partition))
                 for j in range(len(network.partition)) if k != j]:
        np.testing.assert_allclose(F_out[np.ix_(network.partition[k], network.partition[j])],
                                   0, atol=1e-10)
    for block_in, block_out in zip(_blocks(F_in, network.partition),
                                   _blocks(F_out, network.partition)):
        if mixed:      # the blocks of the purification, which dominate those of rho
            _assert_psd(block_out - block_in)
        else:
            np.testing.assert_allclose(block_out, block_in, atol=1e-10)
    weights = np.random.default_rng(seed).uniform(0, 1, network.n_params)
    assert qcrb(F_out, weights) <= qcrb(F_in, weights) * (1 + 1e-10)
    assert network.mean_resource(phi) == pytest.approx(network.mean_resource(probe), rel=1e-10)


def test_theorem1_on_the_gradient_ghz_gives_the_local_ghz():
    net = Network([QubitEnsemble(4), QubitEnsemble(4)])
    phi = separable_counterpart(states.ghz_like(net, [-1, 1]), net)
    assert abs(phi.overlap(states.local_ghz(net))) == pytest.approx(1, abs=1e-12)


def test_theorem1_dicke_and_full_bases_agree():
    dicke = Network([QubitEnsemble(3), QubitEnsemble(2)])
    full = Network([QubitEnsemble(3, basis="full"), QubitEnsemble(2, basis="full")])
    for net in (dicke, full):
        ghz = states.ghz_like(net, [3, 2])
        F = qfim(separable_counterpart(ghz, net), net.generators)
        np.testing.assert_allclose(F, np.diag([9.0, 4.0]), atol=1e-12)


def test_theorem1_refuses_noncommuting_generators():
    net = Network([MultiLevelAtom(spin=1, axes="xyz"), QubitEnsemble(2)])
    with pytest.raises(QSNError, match="ancilla_counterpart"):
        separable_counterpart(states.random_pure(net, seed=1), net)


def test_joint_eigenspaces_keep_degenerate_levels_whole():
    atom = MultiLevelAtom(levels=[0.0, 1.0, 1.0, -0.5])
    spaces = joint_eigenspaces(atom.generators + [atom.resource_operator])
    assert sorted(s.shape[1] for s in spaces) == [1, 1, 2]
    basis = np.concatenate(spaces, axis=1)
    np.testing.assert_allclose(basis.conj().T @ basis, np.eye(4), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(any_networks, seeds, st.booleans())
def test_theorem2_counterpart_guarantees(network, seed, mixed):
    probe = _probe(network, seed, mixed)
    phi, doubled = ancilla_counterpart(probe, network)
    assert doubled.n_params == network.n_params
    assert [len(b) for b in doubled.partition if b] == [len(b) for b in network.partition]
    assert abs(phi.norm() - 1) < 1e-12
    # separable across sensor+ancilla pairs: each pair's reduced state is pure
    for k in range(len(network.sensors)):
        sel = doubled.sensor_selection(2 * k) + doubled.sensor_selection(2 * k + 1)
        pair_state = phi.ptrace(sel)
        assert abs((pair_state ** 2).tr() - 1) < 1e-10
    zero = np.zeros(network.n_params)
    F_in, F_out = qfim(probe, network.generators, phi=zero), qfim(phi, doubled.generators, phi=zero)
    offdiag = np.ones_like(F_out, dtype=bool)
    for block in network.partition:
        offdiag[np.ix_(block, block)] = False
    np.testing.assert_allclose(F_out[offdiag], 0, atol=1e-10)
    for block_in, block_out in zip(_blocks(F_in, network.partition),
                                   _blocks(F_out, network.partition)):
        if mixed:
            _assert_psd(block_out - block_in)
        else:
            np.testing.assert_allclose(block_out, block_in, atol=1e-10)
    weights = np.random.default_rng(seed).uniform(0, 1, network.n_params)
    assert qcrb(F_out, weights) <= qcrb(F_in, weights) * (1 + 1e-10)
    assert doubled.mean_resource(phi) <= 2 * network.mean_resource(probe) * (1 + 1e-10)


def test_theorem2_ancilla_never_holds_more_resource_than_its_sensor():
    net = Network([OpticalMode(2), MultiLevelAtom(spin=0.5, axes="xyz")])
    probe = states.random_pure(net, seed=3)
    phi, doubled = ancilla_counterpart(probe, net)
    ancilla_photons = qutip.expect(doubled.embed(qutip.num(3), 1).to_qobj(), phi)
    sensor_photons = qutip.expect(net.embed(qutip.num(3), 0).to_qobj(), probe)
    # Ky Fan: sum_i lambda_i (i-th smallest photon number) <= Tr(n rho_mode)
    rho_mode = net.reduced_state(probe, 0).full()
    lam = np.sort(np.linalg.eigvalsh(rho_mode))[::-1]
    assert ancilla_photons == pytest.approx(lam @ np.arange(3), rel=1e-12)
    assert ancilla_photons < sensor_photons
    assert doubled.mean_resource(phi) < 2 * net.mean_resource(probe)


def test_theorem2_on_a_product_of_fock_states_needs_no_ancilla_resource():
    net = Network([OpticalMode(3), OpticalMode(3)])
    probe = qutip.tensor(qutip.basis(4, 2), qutip.basis(4, 3))
    phi, doubled = ancilla_counterpart(probe, net)
    assert doubled.mean_resource(phi) == pytest.approx(net.mean_resource(probe), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(seeds, st.integers(2, 6))
def test_proposition1_gap_is_psd_and_vanishes_only_for_block_diagonal(seed, d):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d))
    F = a @ a.T + 0.1 * np.eye(d)
    cut = int(rng.integers(1, d))
    partition = [list(range(cut)), list(range(cut, d))]
    gaps = proposition1_gap(F, partition)
    for gap in gaps:
        _assert_psd(gap)
    block = F.copy()
    block[:cut, cut:] = block[cut:, :cut] = 0
    for gap in proposition1_gap(block, partition):
        np.testing.assert_allclose(gap, 0, atol=1e-9)
    if np.abs(F[:cut, cut:]).max() > 1e-3:
        assert max(np.abs(g).max() for g in gaps) > 0


def test_proposition1_gap_closed_form():
    # F = [[2, 1], [1, 2]]: [F^-1]_00 = 2/3, [F_00]^-1 = 1/2
    gaps = proposition1_gap([[2.0, 1.0], [1.0, 2.0]], [[0], [1]])
    assert gaps[0][0, 0] == pytest.approx(2 / 3 - 1 / 2, rel=1e-12)


@pytest.mark.parametrize("F, partition, match", [
    ([[1.0, 1.0], [1.0, 1.0]], [[0], [1]], "invertible"),
    ([[1.0, 0.0], [0.0, 1.0]], [[0]], "partition"),
    ([[1.0, 0.0, 0.0]], [[0]], "square"),
], ids=["singular", "incomplete-partition", "not-square"])
def test_proposition1_gap_errors(F, partition, match):
    with pytest.raises(QSNError, match=match):
        proposition1_gap(F, partition)


def test_counterparts_check_the_state_dims():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    with pytest.raises(QSNError, match="dims"):
        separable_counterpart(qutip.rand_ket(5), net)
    with pytest.raises(QSNError, match="dims"):
        ancilla_counterpart(qutip.rand_ket(5), net)


# -- the counterparts validate the state as the QFIM does ------------------------------------------
def _on(net, matrix) -> qutip.Qobj:
    return qutip.Qobj(np.asarray(matrix, dtype=complex), dims=net.dims)


def _bad_states(net):
    d = net.size
    not_psd = np.diag([1.5, -0.5] + [0.0] * (d - 2))
    not_hermitian = np.diag([0.5, 0.5] + [0.0] * (d - 2))
    not_hermitian[0, 1] = 0.3
    with_nan = np.diag([np.nan, 1.0] + [0.0] * (d - 2))
    return {"not-psd": (_on(net, not_psd), "positive semidefinite"),
            "not-hermitian": (_on(net, not_hermitian), "Hermitian"),
            "nan": (_on(net, with_nan), "NaN"),
            "trace-2": (_on(net, np.eye(d) * 2 / d), "normalised"),
            "ket-3x": (3 * qutip.basis(net.ket_dims, [0] * len(net.ket_dims)), "normalised")}


@pytest.mark.parametrize("case", ["not-psd", "not-hermitian", "nan", "trace-2", "ket-3x"])
@pytest.mark.parametrize("construction", ["separable", "ancilla"])
def test_counterparts_refuse_what_is_not_a_state(case, construction):
    """A non-PSD, NaN, non-Hermitian or unnormalised input used to give a 'counterpart'
    (square roots of negative weights clipped to 0, NaN amplitudes): QSNError naming state."""
    net = Network([QubitEnsemble(1), QubitEnsemble(1)])
    state, match = _bad_states(net)[case]
    build = separable_counterpart if construction == "separable" else ancilla_counterpart
    with pytest.raises(QSNError, match=rf"^state.*{match}|^state must be {match}"):
        build(state, net)
