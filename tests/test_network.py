"""Network: dims, parameter partition, generators embedded by hand with ``qutip.tensor``,
the resource operator, the encoding against ``scipy.linalg.expm``, variants and errors."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
import scipy.linalg

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, states)
from qsn_qutip.fisher import LocalOperator


def mixed_network() -> Network:
    """Every kind of sensor, a multi-parameter one and a reference mode (dimension 144)."""
    return Network([QubitEnsemble(1), OpticalMode(2, photons=1),
                    MultiLevelAtom(spin=1, axes="xyz"), QubitEnsemble(2, basis="full"),
                    OpticalMode(1, generator=None)])


NETWORKS = {
    "two-dicke": lambda: Network([QubitEnsemble(4), QubitEnsemble(4)]),
    "full-and-atoms": lambda: Network([QubitEnsemble(2, basis="full"),
                                       MultiLevelAtom(levels=[-1, 0, 2], atoms=2)]),
    "mixed": mixed_network,
}
networks = pytest.mark.parametrize("make", list(NETWORKS.values()), ids=list(NETWORKS))


def _by_hand(op: qutip.Qobj, site: int, network: Network) -> qutip.Qobj:
    """``op`` on sensor ``site``, identities elsewhere, with qutip.tensor."""
    return qutip.tensor([op if k == site else qutip.qeye(s.dims)
                         for k, s in enumerate(network.sensors)])


def test_dims_partition_and_sizes():
    net = mixed_network()
    assert net.ket_dims == [2, 3, 3, 2, 2, 2]
    assert net.dims == [net.ket_dims, net.ket_dims]
    assert net.factor_dims == ((2,), (3,), (3,), (2, 2), (2,))
    assert net.size == 2 * 3 * 3 * 4 * 2
    assert net.partition == [[0], [1], [2, 3, 4], [5], []]
    assert net.n_params == 6
    assert net.particles == [1, 1, 1, 2, 1]
    assert net.commuting is False
    assert Network([QubitEnsemble(2), MultiLevelAtom(spin=1, axes="z")]).commuting is True


@networks
def test_generators_are_embedded_with_tensor(make):
    net = make()
    expected = [_by_hand(g, k, net) for k, s in enumerate(net.sensors) for g in s.generators]
    assert len(net.generators) == len(expected) == net.n_params
    for gen, hand in zip(net.generators, expected):
        assert gen.dims == net.dims
        assert (gen - hand).norm("max") == 0


@networks
def test_local_generators_match_the_full_ones(make):
    net = make()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(net.size, 2)) + 1j * rng.normal(size=(net.size, 2))
    for k, local in enumerate(net.local_generators):
        assert isinstance(local, LocalOperator)
        assert local.dims == net.ket_dims
        assert (local.to_qobj() - net.generators[k]).norm("max") == 0
        np.testing.assert_allclose(local.apply(x), net.generators[k].full() @ x, atol=1e-12)


@networks
def test_resource_operator_is_the_sum_of_local_resources(make):
    net = make()
    expected = sum(_by_hand(s.resource_operator, k, net) for k, s in enumerate(net.sensors))
    assert (net.resource_operator - expected).norm("max") == 0
    for gen in net.generators:
        assert (net.resource_operator * gen - gen * net.resource_operator).norm("max") < 1e-12


def test_mean_resource_counts_particles_and_photons():
    net = mixed_network()
    # qubits 1 + 2, the atom 1, and the modes' photons: 2 in mode 1, 1 in the reference
    fock = qutip.basis(net.ket_dims, [0, 2, 1, 0, 1, 1])
    assert net.mean_resource(fock) == pytest.approx(1 + 2 + 1 + 2 + 1, abs=1e-12)
    assert net.mean_resource(qutip.ket2dm(fock)) == pytest.approx(7.0, abs=1e-12)
    alpha = 0.5
    mode = qutip.coherent(3, alpha, method="analytic").unit()
    amplitudes = np.exp(-alpha ** 2 / 2) * alpha ** np.arange(3) / np.sqrt([1, 1, 2])
    photons = np.sum(np.arange(3) * amplitudes ** 2) / np.sum(amplitudes ** 2)
    coherent = qutip.tensor(qutip.basis(2, 1), mode, qutip.basis(3, 2),
                            qutip.basis([2, 2], [1, 0]), qutip.basis(2, 0))
    assert net.mean_resource(coherent) == pytest.approx(4 + photons, rel=1e-12)


@networks
@pytest.mark.parametrize("seed", [1, 2], ids=["seed1", "seed2"])
def test_unitary_and_encode_against_expm(make, seed):
    net = make()
    rng = np.random.default_rng(seed)
    phi = rng.uniform(-np.pi, np.pi, net.n_params)
    exponent = -1j * sum(p * g.full() for p, g in zip(phi, net.generators))
    expected = scipy.linalg.expm(exponent)
    u = net.unitary(phi)
    assert u.dims == net.dims
    np.testing.assert_allclose(u.full(), expected, atol=1e-10)
    psi = states.random_pure(net, seed=seed)
    np.testing.assert_allclose(net.encode(psi, phi).full().ravel(),
                               expected @ psi.full().ravel(), atol=1e-10)
    rho = states.random_mixed(net, rank=2, seed=seed)
    np.testing.assert_allclose(net.encode(rho, phi).full(),
                               expected @ rho.full() @ expected.conj().T, atol=1e-10)


def test_unitary_at_zero_is_identity():
    net = mixed_network()
    assert (net.unitary(np.zeros(net.n_params)) - qutip.qeye(net.ket_dims)).norm("max") < 1e-14


def test_unitary_of_one_qubit_by_hand():
    net = Network([QubitEnsemble(1), QubitEnsemble(1)])
    u = net.unitary([0.4, -1.0])
    by_hand = qutip.tensor(qutip.Qobj(np.diag(np.exp(-0.5j * np.array([0.4, -0.4])))),
                           qutip.Qobj(np.diag(np.exp(-0.5j * np.array([-1.0, 1.0])))))
    np.testing.assert_allclose(u.full(), by_hand.full(), atol=1e-15)


def test_with_particles():
    net = Network([QubitEnsemble(2, basis="full"), OpticalMode(3, photons=1),
                   MultiLevelAtom(levels=[0, 1], atoms=1)])
    other = net.with_particles([3, 5, 2])
    assert other.particles == [3, 5, 2]
    assert other.ket_dims == [2, 2, 2, 6, 2, 2]
    assert [type(s) for s in other.sensors] == [type(s) for s in net.sensors]
    assert other.partition == net.partition
    # the optical cutoff never shrinks: it holds the 5 photons of before
    fewer = other.with_particles(np.array([2, 1, 1]))
    assert fewer.particles == [2, 1, 1] and fewer.ket_dims == [2, 2, 6, 2]


def test_sensing_sensors_and_ancillas():
    assert mixed_network().sensing == [0, 1, 2, 3]
    net = Network([QubitEnsemble(1), OpticalMode(2, photons=1, generator=None),
                   MultiLevelAtom(spin=0.5, axes="xyz"), QubitEnsemble(2, basis="full")])
    assert net.sensing == [0, 2, 3]
    doubled = net.with_ancillas()
    assert len(doubled.sensors) == 8
    assert [type(s).__name__ for s in doubled.sensors[1::2]] == ["Ancilla"] * 4
    assert doubled.n_params == net.n_params
    assert doubled.sensing == [0, 4, 6]
    assert doubled.partition[::2] == net.partition and doubled.partition[1::2] == [[]] * 4
    for k, s in enumerate(net.sensors):
        assert doubled.factor_dims[2 * k] == doubled.factor_dims[2 * k + 1] == tuple(s.dims)
    for a, b in zip(doubled.local_generators, net.local_generators):
        assert a.site == 2 * b.site and (a.op - b.op).norm("max") == 0
    # the ancillas count like their sensors (Eq. 25): the same state on sensors and ancillas
    # holds twice the resource
    fock = qutip.basis(net.ket_dims, [1, 2, 0, 1, 0])
    both = qutip.tensor(fock, fock).permute([0, 5, 1, 6, 2, 7, 3, 4, 8, 9])
    assert net.mean_resource(fock) == pytest.approx(1 + 2 + 1 + 2)
    assert doubled.mean_resource(both) == pytest.approx(2 * net.mean_resource(fock))


@pytest.mark.parametrize("kind", ["ket", "dm"])
def test_reduced_state_is_the_partial_trace(kind):
    net = mixed_network()
    state = states.random_pure(net, seed=3)
    state = state if kind == "ket" else states.random_mixed(net, rank=2, seed=3)
    selections = [[0], [1], [2], [3, 4], [5]]
    for k, selection in enumerate(selections):
        assert net.sensor_selection(k) == selection
        reduced = net.reduced_state(state, k)
        assert reduced.dims == [net.sensors[k].dims] * 2
        np.testing.assert_allclose(reduced.full(), state.ptrace(selection).full(), atol=1e-14)
    # one sensor alone: the state itself, as a density matrix
    single = Network([QubitEnsemble(2, basis="full")])
    psi = states.random_pure(single, seed=4)
    np.testing.assert_allclose(single.reduced_state(psi, 0).full(), psi.proj().full(),
                               atol=1e-15)


def test_repr():
    assert repr(Network([QubitEnsemble(2), OpticalMode(3, photons=1)])) == \
        "Network([QubitEnsemble(2), OpticalMode(3, photons=1)])"


@pytest.mark.parametrize("make,match", [
    (lambda: Network([]), "non-empty list"),
    (lambda: Network(QubitEnsemble(2)), "non-empty list"),
    (lambda: Network(s for s in [QubitEnsemble(2)]), "non-empty list"),
    (lambda: Network([QubitEnsemble(2), "qubits"]), r"sensors\[1\] must be a Sensor"),
    (lambda: Network([OpticalMode(2, generator=None)]), "carries no parameter"),
    (lambda: Network([QubitEnsemble(2)]).with_particles([2, 2]), "one entry per sensor"),
    (lambda: Network([QubitEnsemble(2)]).with_particles([0]), "n must be an integer >= 1"),
    (lambda: Network([QubitEnsemble(2)] * 2).unitary([0.1]), "must have length 2"),
    (lambda: Network([QubitEnsemble(2)]).unitary([np.nan]), "NaN or inf"),
    (lambda: Network([QubitEnsemble(2)]).unitary([[0.1]]), "1-D vector"),
    (lambda: Network([QubitEnsemble(2)]).encode(qutip.basis(4, 0), [0.1]),
     r"dims \[4\], the network has \[3\]"),
    (lambda: Network([QubitEnsemble(2)]).encode(qutip.basis(3, 0).dag(), [0.1]),
     "ket or a density matrix"),
    (lambda: Network([QubitEnsemble(2)]).mean_resource(np.ones(3)), "ket or density-matrix"),
    (lambda: Network([QubitEnsemble(1)]).check(qutip.basis([2, 2], [0, 0])),
     "the network has"),
], ids=["empty", "bare-sensor", "generator-expression", "not-a-sensor", "only-reference",
        "with-particles-length", "with-particles-zero", "phi-length", "phi-nan", "phi-2d",
        "state-dims", "bra", "ndarray-state", "check-dims"])
def test_errors(make, match):
    with pytest.raises(QSNError, match=match):
        make()


# -- sizes, naming, resources in one pass ---------------------------------------------------------
def test_size_is_exact_beyond_int64():
    """64 one-qubit sensors: 2^64, not the int64 overflow 0 (which ``qsn check`` printed)."""
    net = Network([QubitEnsemble(1)] * 64)
    assert net.size == 2 ** 64 and type(net.size) is int
    assert Network([QubitEnsemble(1, basis="full")] * 70).size == 2 ** 70


def test_dense_objects_are_refused_with_their_memory():
    big = Network([QubitEnsemble(1)] * 40)                # D = 2^40: a ket needs 16 TiB
    with pytest.raises(QSNError, match=r"the unitary U\(phi\): a dense operator of dimension "
                                       r"D = 1099511627776 would need 16777216\.0 EiB"):
        big.unitary(np.zeros(40))
    with pytest.raises(QSNError, match=r"the resource operator: a ket of dimension "
                                       r"D = 1099511627776 would need 16\.0 TiB"):
        big.resource_operator


def test_which_names_sensors_one_based_or_by_name():
    net = Network([QubitEnsemble(2, name="left"), QubitEnsemble(2), OpticalMode(1)])
    assert [net.which(k) for k in range(3)] == ["sensor 'left'", "sensor 2", "sensor 3"]


@networks
def test_mean_resource_in_one_pass_equals_the_embedded_operator(make):
    net = make()
    for state in (states.random_pure(net, seed=3), states.random_mixed(net, rank=3, seed=2)):
        assert net.mean_resource(state) == pytest.approx(
            float(qutip.expect(net.resource_operator, state)), rel=1e-12)


def test_physical_check_accepts_states_and_names_the_argument():
    net = NETWORKS["two-dicke"]()
    for state in (states.random_pure(net, seed=1), states.random_mixed(net, rank=4, seed=1)):
        assert net.check(state, physical=True) is state
    with pytest.raises(QSNError, match="probe must be normalised"):
        net.check(2 * states.random_pure(net, seed=1), "probe", physical=True)


# -- truncated Fock spaces -----------------------------------------------------------------------
def test_a_coherent_state_at_the_cutoff_is_flagged_and_its_qfi_is_too_low():
    """Mean photon number 6 at cutoff 12 with a Kerr generator: the truncated state's QFI is
    9 % below 4 Var(n^2) of the true coherent state (the issue's case); the network says so."""
    from qsn_qutip import qfim
    from qsn_qutip.network import TruncationWarning
    net = Network([OpticalMode(12, "kerr", name="kerr")])
    psi = qutip.coherent(13, np.sqrt(6))
    lam = 6.0
    exact = 4 * (4 * lam ** 3 + 6 * lam ** 2 + lam)
    assert qfim(psi, net.generators)[0, 0] < 0.92 * exact          # silently low before
    with pytest.raises(QSNError, match=r"state: sensor 'kerr' \(Kerr mode N=12\) holds "
                                       r"probability 0\.0383"):
        net.check_truncation(psi)
    with pytest.warns(TruncationWarning, match="raise the cutoff"):
        assert net.check_truncation(psi, warn=True) is psi
    wide = Network([OpticalMode(40, "kerr")])
    big = qutip.coherent(41, np.sqrt(6))
    assert wide.truncation_note(big) is None
    assert qfim(big, wide.generators)[0, 0] == pytest.approx(exact, rel=1e-9)


def test_truncation_is_checked_on_the_modes_only():
    """A mode among other sensors: its reduced state is checked, the qubits are skipped."""
    net = Network([QubitEnsemble(2), OpticalMode(8, name="m")])
    fine = qutip.tensor(qutip.basis(3, 0), qutip.coherent(9, 0.3))
    cut = qutip.tensor(qutip.basis(3, 0), qutip.coherent(9, 2.0))
    assert net.truncation_weights(fine) == [0.0, 0.0]
    assert net.truncation_weights(cut)[1] > 1e-3
    assert "sensor 'm'" in net.truncation_note(cut)


def test_built_in_probes_on_modes_at_their_cutoff_are_not_flagged():
    """GHZ-like, local GHZ and NOON states put |photons> = |cutoff>: exact, no note."""
    net = Network([OpticalMode(2), OpticalMode(2)])
    for state in (states.ghz_like(net, [1, -1]), states.local_ghz(net), states.noon(net, 2)):
        assert net.truncation_note(state) is None


def test_a_users_probe_cut_by_the_cutoff_warns_through_compare():
    from qsn_qutip import compare
    from qsn_qutip.network import TruncationWarning
    net = Network([OpticalMode(12, "kerr"), OpticalMode(12, "kerr")])
    psi = qutip.tensor(qutip.coherent(13, np.sqrt(6)), qutip.coherent(13, np.sqrt(6)))
    with pytest.warns(TruncationWarning, match=r"probes\[\d+\] \(coherent\): sensor 1"):
        compare(net, weights=[1, 1], probes=[("coherent", psi)])
