"""Property tests (hypothesis) on random networks of qubit (Dicke and full), optical and
multi-level sensors with random pure and mixed states: the QFIM is real, symmetric and positive
semidefinite, its code paths agree, it is invariant under unitaries that commute with the
encoding and covariant under a change of basis, convex in the state, and its diagonal blocks
relate to the reduced states of the sensors as the theory says."""

from __future__ import annotations

import itertools

import numpy as np
import qutip
from hypothesis import given, settings, strategies as st

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QubitEnsemble,
                       best_separable_allocation, qfim, states)
from qsn_qutip.bounds import allocation_variance

SENSORS = [
    lambda: QubitEnsemble(2),
    lambda: QubitEnsemble(3),
    lambda: QubitEnsemble(1, basis="full"),
    lambda: QubitEnsemble(2, basis="full"),
    lambda: OpticalMode(2),
    lambda: OpticalMode(2, generator="kerr"),
    lambda: MultiLevelAtom(levels=[-1.0, 0.5, 2.0]),
    lambda: MultiLevelAtom(spin=1, axes="x"),          # one non-diagonal generator
    lambda: MultiLevelAtom(spin=0.5, axes="xyz"),      # non-commuting
    lambda: MultiLevelAtom(spin=1, axes="zx"),         # non-commuting
]
MAX_SIZE = 48

networks = st.lists(st.integers(0, len(SENSORS) - 1), min_size=1, max_size=3).map(
    lambda picks: Network([SENSORS[i]() for i in picks])).filter(lambda n: n.size <= MAX_SIZE)
seeds = st.integers(0, 2 ** 32 - 1)
ranks = st.one_of(st.none(), st.integers(1, 3))
properties = settings(max_examples=25, deadline=None)


def _state(net: Network, seed: int, rank):
    """A random ket (rank None) or a random density matrix of the given rank."""
    if rank is None:
        return states.random_pure(net, seed=seed)
    return states.random_mixed(net, rank=min(rank, net.size), seed=seed)


def _phi(net: Network, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, net.n_params)


def _zero(gens_or_net) -> np.ndarray:
    """phi = 0, for the QFIM of generators that may not commute (then phi is required)."""
    return np.zeros(gens_or_net.n_params if isinstance(gens_or_net, Network)
                    else len(gens_or_net))


def _close(a, b, rtol=1e-8):
    scale = max(1.0, np.abs(a).max(), np.abs(b).max())
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


def _sites(net: Network, k: int) -> list[int]:
    start = sum(len(s.dims) for s in net.sensors[:k])
    return list(range(start, start + len(net.sensors[k].dims)))


@properties
@given(net=networks, seed=seeds, rank=ranks, at_phi=st.booleans())
def test_qfim_is_real_symmetric_psd(net, seed, rank, at_phi, reference):
    phi = _phi(net, seed) if at_phi else _zero(net)
    F = qfim(_state(net, seed, rank), net.local_generators, phi)
    assert F.shape == (net.n_params, net.n_params)
    reference.assert_psd(F)


@properties
@given(networks, seeds, st.booleans())
def test_ket_and_density_matrix_agree(net, seed, at_phi):
    psi = states.random_pure(net, seed=seed)
    phi = _phi(net, seed) if at_phi else _zero(net)
    _close(qfim(psi, net.local_generators, phi), qfim(psi.proj(), net.local_generators, phi))


@properties
@given(networks, seeds, ranks, st.booleans())
def test_full_and_local_generators_agree(net, seed, rank, at_phi):
    state = _state(net, seed, rank)
    phi = _phi(net, seed) if at_phi else _zero(net)
    _close(qfim(state, net.generators, phi), qfim(state, net.local_generators, phi))


@properties
@given(networks, seeds, ranks)
def test_invariant_under_unitaries_commuting_with_the_generators(net, seed, rank):
    state = _state(net, seed, rank)
    F = qfim(state, net.local_generators, _zero(net))
    # exp(-i a H) on every sensor whose generators commute: commutes with all generators
    angles = _phi(net, seed + 1)
    for s, part in zip(net.sensors, net.partition):
        if not s.commuting:
            angles[part] = 0.0
    u = net.unitary(angles)
    moved = u * state if state.isket else u * state * u.dag()
    _close(qfim(moved, net.local_generators, _zero(net)), F)
    # a random diagonal unitary commutes with diagonal generators
    if all(np.allclose(g.full(), np.diag(g.diag())) for g in net.generators):
        phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, net.size)
        d = qutip.Qobj(np.diag(np.exp(1j * phases)), dims=net.dims)
        moved = d * state if state.isket else d * state * d.dag()
        _close(qfim(moved, net.local_generators, _zero(net)), F)


@properties
@given(networks, seeds, ranks, st.booleans())
def test_covariant_under_a_change_of_basis(net, seed, rank, at_phi):
    # F(W rho W^dag; W H_k W^dag) = F(rho; H_k), also at phi for non-commuting generators
    state = _state(net, seed, rank)
    phi = _phi(net, seed) if at_phi else _zero(net)
    w = qutip.rand_unitary(net.ket_dims, seed=seed)
    moved = w * state if state.isket else w * state * w.dag()
    gens = [w * g * w.dag() for g in net.generators]
    gens = [(g + g.dag()) / 2 for g in gens]                 # Hermitian to round-off
    _close(qfim(moved, gens, phi), qfim(state, net.generators, phi), rtol=1e-7)


@properties
@given(networks, seeds, st.floats(0.05, 0.95))
def test_qfim_is_convex(net, seed, p):
    rho1 = states.random_mixed(net, rank=min(2, net.size), seed=seed)
    rho2 = states.random_pure(net, seed=seed + 1).proj()
    mix = qfim(p * rho1 + (1 - p) * rho2, net.local_generators, _zero(net))
    avg = (p * qfim(rho1, net.local_generators, _zero(net))
           + (1 - p) * qfim(rho2, net.local_generators, _zero(net)))
    gap = avg - mix
    assert np.linalg.eigvalsh((gap + gap.T) / 2).min() >= -1e-8 * max(1.0, np.abs(avg).max())


@properties
@given(networks, seeds)
def test_commuting_qfim_does_not_depend_on_phi(net, seed):
    if not net.commuting:
        net = Network([s for s in net.sensors if s.commuting] or [QubitEnsemble(2)])
    state = states.random_mixed(net, rank=min(2, net.size), seed=seed)
    _close(qfim(state, net.local_generators, _phi(net, seed)),
           qfim(state, net.local_generators))


@properties
@given(net=networks.filter(lambda n: len(n.sensors) >= 2), seed=seeds, rank=ranks)
def test_diagonal_blocks_and_reduced_states(net, seed, rank):
    state = _state(net, seed, rank)
    F = qfim(state, net.local_generators, _zero(net))
    for k, (sensor, part) in enumerate(zip(net.sensors, net.partition)):
        reduced = state.ptrace(_sites(net, k))
        block = F[np.ix_(part, part)]
        # monotonicity: tracing out the other sensors cannot add information
        gap = block - qfim(reduced, sensor.generators, _zero(sensor.generators))
        assert np.linalg.eigvalsh((gap + gap.T) / 2).min() >= -1e-8 * max(1.0, np.abs(block).max())
        if state.isket:
            # for a pure global state the block is 4 Cov(H_i, H_j) in the reduced state
            r = reduced.full()
            mats = [g.full() for g in sensor.generators]
            mean = [np.trace(r @ m).real for m in mats]
            cov = np.array([[2 * np.trace(r @ (a @ b + b @ a)).real - 4 * ma * mb
                             for b, mb in zip(mats, mean)] for a, ma in zip(mats, mean)])
            _close(block, cov)


@properties
@given(networks, seeds)
def test_product_of_local_states_has_block_diagonal_qfim(net, seed):
    # rho = rho_1 (x) ... (x) rho_s: F is block diagonal with blocks F(rho_k)
    local = [qutip.rand_dm(s.dims, distribution="ginibre", rank=min(2, s.size), seed=seed + k)
             for k, s in enumerate(net.sensors)]
    F = qfim(qutip.tensor(local), net.local_generators, _zero(net))
    expected = np.zeros_like(F)
    for rho, sensor, part in zip(local, net.sensors, net.partition):
        expected[np.ix_(part, part)] = qfim(rho, sensor.generators, _zero(sensor.generators))
    _close(F, expected)


@properties
@given(st.lists(st.integers(-4, 4), min_size=1, max_size=3).filter(any), st.integers(0, 6))
def test_best_separable_allocation_is_optimal(v, extra):
    v = np.array(v, dtype=float)
    N = np.count_nonzero(v) + extra
    n = best_separable_allocation(v, N)
    active = np.flatnonzero(v)
    best = min(np.sum(v[active] ** 2 / np.square(c))
               for c in itertools.product(range(1, N + 1), repeat=active.size) if sum(c) == N)
    assert n.sum() == N
    assert allocation_variance(v, n) <= best * (1 + 1e-12)


@properties
@given(networks, seeds, ranks, st.booleans())
def test_storage_of_the_generators_does_not_change_the_qfim(net, seed, rank, at_phi):
    # dense Qobj on the whole space (structure found in place) = LocalOperator
    state = _state(net, seed, rank)
    phi = _phi(net, seed) if at_phi else _zero(net)
    _close(qfim(state, [g.to("dense") for g in net.generators], phi),
           qfim(state, net.local_generators, phi))


@settings(max_examples=12, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=4), min_size=5, max_size=9),
       seeds)
def test_many_sensor_ket_moments(levels, seed):
    # diagonal generators on 5-9 sensors (up to 4^9 amplitudes: the one-pass kernel) against
    # the moments of |psi|^2 on the whole space
    net = Network([MultiLevelAtom(levels=[float(x) for x in lv]) for lv in levels])
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=net.size) + 1j * rng.normal(size=net.size)
    psi /= np.linalg.norm(psi)
    ket = qutip.Qobj(psi[:, None], dims=[net.ket_dims, [1] * len(net.ket_dims)])
    p = np.abs(psi) ** 2
    g = np.stack([np.real(gen.diag()) for gen in net.generators])
    first = g @ p
    expected = 4 * ((g * p) @ g.T - np.outer(first, first))
    _close(qfim(ket, net.local_generators, _zero(net)), expected, rtol=1e-10)
