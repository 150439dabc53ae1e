"""The Schur-multiplier channel of :mod:`qsn_qutip.optimize.channel`, checked against the
toolkit's independently tested noise path (:func:`qsn_qutip.noise.apply_noise` +
:func:`qsn_qutip.noise.noisy_qfim`), closed forms (the Hamming multiplier of local dephasing)
and the conftest's dense all-pairs QFIM; never against numbers of the optimiser itself.

What is checked: the QFIM of the output equals that of the toolkit's noisy state for random
real probes on several networks and channels; the channel preserves the trace and positivity;
its adjoint satisfies :math:`\\mathrm{tr}(\\Lambda(\\rho)M) = \\mathrm{tr}(\\rho\\Lambda^\\dagger(M))`;
a complex ket and its entry-wise modulus have the same noisy QFIM (the reason the optimiser
searches real amplitudes only); what is not covered raises QSNError.
"""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from hypothesis import given, settings
from hypothesis import strategies as st

from qsn_qutip import MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble
from qsn_qutip.noise import NoiseModel, apply_noise, noisy_qfim
from qsn_qutip.optimize import PhaseChannel
from qsn_qutip.optimize.channel import hamming_transfer
from qsn_qutip.optimize.seesaw import Objective
from qsn_qutip.probes import Task

# ----------------------------------------------------------------------------------------
# the cases: (network builder, noise); builders so that every test gets fresh objects
# ----------------------------------------------------------------------------------------
CASES = {
    "dicke-dephasing": (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]),
                        NoiseModel(dephasing=0.3, time=1.0)),
    "dicke-uneven-dephasing": (lambda: Network([QubitEnsemble(4), QubitEnsemble(1)]),
                               NoiseModel(dephasing=[0.05, 0.4], time=0.7)),
    "dicke-collective": (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]),
                         NoiseModel(collective_dephasing=0.2, time=1.0)),
    "dicke-correlated": (lambda: Network([QubitEnsemble(3), QubitEnsemble(2)]),
                         NoiseModel(correlated_dephasing=0.15, time=1.0)),
    "dicke-all-three": (lambda: Network([QubitEnsemble(2), QubitEnsemble(3)]),
                        NoiseModel(dephasing=0.1, collective_dephasing=0.05,
                                   correlated_dephasing=0.08, time=1.3)),
    "full-basis-dephasing": (lambda: Network([QubitEnsemble(3, basis="full")]),
                             NoiseModel(dephasing=0.25, time=1.0)),
    "full-and-dicke-dephasing": (lambda: Network([QubitEnsemble(3, basis="full"),
                                                  QubitEnsemble(2)]),
                                 NoiseModel(dephasing=0.2, time=1.0)),
    "mode-diffusion": (lambda: Network([OpticalMode(3), QubitEnsemble(2)]),
                       NoiseModel(collective_dephasing=0.2, time=1.0)),
    "kerr-mode-diffusion": (lambda: Network([OpticalMode(2, "kerr"), OpticalMode(2)]),
                            NoiseModel(collective_dephasing=0.1, time=1.0)),
    "atom-ladder-correlated": (lambda: Network([MultiLevelAtom(levels=[-1.0, 0.0, 2.0]),
                                                QubitEnsemble(2)]),
                               NoiseModel(correlated_dephasing=0.1, dephasing=0.2, time=1.0)),
}

#: cases with one output block on the whole joint basis (no Dicke ensemble dephases), whose
#: output is the toolkit's dense noisy density matrix itself
DENSE = {
    "dicke-collective": CASES["dicke-collective"],
    "dicke-correlated": CASES["dicke-correlated"],
    "full-basis-dephasing": CASES["full-basis-dephasing"],
    "full-basis-plus-clean-dicke": (lambda: Network([QubitEnsemble(3, basis="full"),
                                                     QubitEnsemble(2)]),
                                    NoiseModel(dephasing=[0.2, 0.0], collective_dephasing=0.1,
                                               time=1.0)),
    "mode-diffusion": CASES["mode-diffusion"],
}


def _channel(name, cases=CASES):
    build, noise = cases[name]
    net = build()
    return net, noise, PhaseChannel(net, noise.sensor_rates(net))


def _random_real(dim: int, seed: int) -> np.ndarray:
    psi = np.random.default_rng(seed).normal(size=dim)
    return psi / np.linalg.norm(psi)


def _toolkit_qfim(psi: np.ndarray, net: Network, noise: NoiseModel) -> np.ndarray:
    ket = qutip.Qobj(np.asarray(psi, dtype=complex).reshape(-1, 1),
                     dims=[net.ket_dims, [1] * len(net.ket_dims)])
    return noisy_qfim(apply_noise(ket, net, noise), net)


def _blocks_qfim(channel: PhaseChannel, psi: np.ndarray, reference) -> np.ndarray:
    """The QFIM of the channel's output, block by block, by the conftest's dense all-pairs sum
    (the output and the generators are block diagonal, so the QFIM is the sum over blocks)."""
    F = np.zeros((channel.n_params,) * 2)
    for block, sigma in zip(channel.blocks, channel.output(psi)):
        if not np.any(sigma):
            continue
        F += reference.sld_qfim_all_pairs(sigma, [np.diag(h) for h in block.values])
    return F


# ----------------------------------------------------------------------------------------
# the QFIM of the output equals the toolkit's
# ----------------------------------------------------------------------------------------
@settings(max_examples=12, deadline=None)
@given(name=st.sampled_from(sorted(CASES)), seed=st.integers(0, 2 ** 32 - 1))
def test_output_qfim_equals_the_toolkits_noisy_qfim(name, seed, reference):
    net, noise, channel = _channel(name)
    psi = _random_real(channel.dim, seed)
    expected = _toolkit_qfim(psi, net, noise)
    scale = max(1.0, np.abs(expected).max())
    np.testing.assert_allclose(_blocks_qfim(channel, psi, reference), expected, rtol=0,
                               atol=1e-9 * scale)
    # the objective's own QFIM (what the descent uses) is the same number
    found = Objective(channel, Task(net.n_params)).evaluate(psi).qfim
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-10 * scale)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_at_a_fixed_seed(name, reference):
    """The hypothesis test above at one fixed seed per case (every case runs every time)."""
    net, noise, channel = _channel(name)
    psi = _random_real(channel.dim, 7)
    expected = _toolkit_qfim(psi, net, noise)
    found = Objective(channel, Task(net.n_params)).evaluate(psi).qfim
    np.testing.assert_allclose(found, expected, rtol=0,
                               atol=1e-10 * max(1.0, np.abs(expected).max()))
    np.testing.assert_allclose(_blocks_qfim(channel, psi, reference), expected, rtol=0,
                               atol=1e-9 * max(1.0, np.abs(expected).max()))


@pytest.mark.parametrize("name", sorted(DENSE))
def test_single_block_output_is_the_dense_noisy_state(name):
    """Without dephasing Dicke ensembles the output is one block on the whole basis, and it is
    the toolkit's noisy density matrix entry by entry."""
    net, noise, channel = _channel(name, DENSE)
    assert len(channel.blocks) == 1
    np.testing.assert_array_equal(channel.blocks[0].index, np.arange(channel.dim))
    psi = _random_real(channel.dim, 3)
    ket = channel.ket(psi)
    rho = apply_noise(ket, net, noise)
    assert isinstance(rho, qutip.Qobj)
    np.testing.assert_allclose(channel.output(psi)[0], rho.full().real, rtol=0, atol=1e-13)
    assert np.abs(rho.full().imag).max() < 1e-14


def test_hamming_transfer_is_local_dephasing_in_closed_form():
    r""":math:`c^{d(x,y)}`, d the Hamming distance, built here from bit counts."""
    for n, c in [(1, 0.3), (2, 0.7), (3, np.exp(-0.25))]:
        x = np.arange(2 ** n)
        distance = np.array([[bin(a ^ b).count("1") for b in x] for a in x])
        np.testing.assert_allclose(hamming_transfer(n, c), c ** distance, rtol=1e-15, atol=0)


def test_dicke_channel_equals_the_full_basis_channel(reference):
    """Local dephasing of a Dicke ensemble (Schur-Weyl blocks) against the same probe in the full
    2^n basis (one Hamming multiplier): same QFIM, same trace."""
    n, noise = 4, NoiseModel(dephasing=0.35, time=1.0)
    dicke = Network([QubitEnsemble(n)])
    full = Network([QubitEnsemble(n, basis="full")])
    ch_d = PhaseChannel(dicke, noise.sensor_rates(dicke))
    ch_f = PhaseChannel(full, noise.sensor_rates(full))
    iso = reference.dicke_isometry(n)
    for seed in range(3):
        psi = _random_real(n + 1, seed)
        F_d = _blocks_qfim(ch_d, psi, reference)
        F_f = _blocks_qfim(ch_f, iso @ psi, reference)
        np.testing.assert_allclose(F_d, F_f, rtol=1e-10)
        assert sum(np.trace(b) for b in ch_d.output(psi)) == pytest.approx(1.0, abs=1e-13)


# ----------------------------------------------------------------------------------------
# trace, positivity, adjoint
# ----------------------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(sorted(CASES)), seed=st.integers(0, 2 ** 32 - 1))
def test_trace_preserving_and_positive(name, seed):
    _, _, channel = _channel(name)
    psi = _random_real(channel.dim, seed)
    out = channel.output(psi)
    assert sum(float(np.trace(b)) for b in out) == pytest.approx(1.0, abs=1e-12)
    for b in out:
        np.testing.assert_allclose(b, b.T, rtol=0, atol=1e-15)
        assert np.linalg.eigvalsh(b).min() >= -1e-13
    # the dual statement: the adjoint of the identity on every block is the identity
    eye = channel.adjoint([np.eye(b.index.size) for b in channel.blocks])
    np.testing.assert_allclose(eye, np.eye(channel.dim), rtol=0, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(sorted(CASES)), seed=st.integers(0, 2 ** 32 - 1))
def test_adjoint_identity(name, seed):
    r""":math:`\mathrm{tr}(\Lambda(\rho)M) = \mathrm{tr}(\rho\Lambda^\dagger(M))` for a mixed
    :math:`\rho = \sum_ip_i\psi_i\psi_i^T` and random symmetric blocks :math:`M_b`."""
    _, _, channel = _channel(name)
    rng = np.random.default_rng(seed)
    kets = [_random_real(channel.dim, int(s)) for s in rng.integers(0, 2 ** 31, size=3)]
    p = rng.dirichlet(np.ones(3))
    rho = sum(w * np.outer(x, x) for w, x in zip(p, kets))
    outputs = [channel.output(x) for x in kets]
    blocks = [sum(w * out[b] for w, out in zip(p, outputs)) for b in range(len(channel.blocks))]
    parts = []
    for block in channel.blocks:
        a = rng.normal(size=(block.index.size,) * 2)
        parts.append(a + a.T)
    left = sum(float(np.sum(out * m)) for out, m in zip(blocks, parts))
    right = float(np.sum(rho * channel.adjoint(parts)))
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


# ----------------------------------------------------------------------------------------
# the modulus invariance: real non-negative amplitudes lose nothing
# ----------------------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(sorted(CASES)), seed=st.integers(0, 2 ** 32 - 1))
def test_complex_ket_and_its_modulus_have_the_same_noisy_qfim(name, seed):
    """By the toolkit alone (apply_noise + noisy_qfim): a random complex ket and its entry-wise
    modulus give the same QFIM under every covered channel; and the channel's amplitudes of the
    complex ket reproduce it."""
    net, noise, channel = _channel(name)
    rng = np.random.default_rng(seed)
    z = rng.normal(size=channel.dim) + 1j * rng.normal(size=channel.dim)
    z /= np.linalg.norm(z)
    ket = qutip.Qobj(z.reshape(-1, 1), dims=[net.ket_dims, [1] * len(net.ket_dims)])
    F_complex = noisy_qfim(apply_noise(ket, net, noise), net)
    F_modulus = _toolkit_qfim(np.abs(z), net, noise)
    scale = max(1.0, np.abs(F_complex).max())
    np.testing.assert_allclose(F_modulus, F_complex, rtol=0, atol=1e-9 * scale)
    amplitudes = channel.amplitudes(ket)
    np.testing.assert_allclose(amplitudes, np.abs(z), rtol=1e-13, atol=1e-15)
    found = Objective(channel, Task(net.n_params)).evaluate(amplitudes).qfim
    np.testing.assert_allclose(found, F_complex, rtol=0, atol=1e-9 * scale)


def test_amplitudes_refuse_a_density_matrix():
    net = Network([QubitEnsemble(2)])
    channel = PhaseChannel(net, None)
    with pytest.raises(QSNError, match="ket"):
        channel.amplitudes(qutip.ket2dm(qutip.basis(3, 0)))


def test_noiseless_channel_is_the_identity():
    net = Network([QubitEnsemble(2), OpticalMode(2)])
    channel = PhaseChannel(net, None)
    assert len(channel.blocks) == 1
    psi = _random_real(channel.dim, 11)
    np.testing.assert_allclose(channel.output(psi)[0], np.outer(psi, psi), rtol=0, atol=0)


# ----------------------------------------------------------------------------------------
# what is not covered
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("sensor", [MultiLevelAtom(spin=1, axes="xyz"),
                                    MultiLevelAtom(spin=1, axes="x")],
                         ids=["spin-3d-field", "spin-x"])
def test_non_diagonal_generators_are_refused(sensor):
    net = Network([QubitEnsemble(2), sensor])
    with pytest.raises(QSNError, match="diagonal"):
        PhaseChannel(net, None)


@pytest.mark.parametrize("net, noise, word", [
    (Network([QubitEnsemble(3)]), NoiseModel(decay=0.1, time=1.0), "decay"),
    (Network([QubitEnsemble(2, basis="full"), QubitEnsemble(2)]),
     NoiseModel(decay=[0.1, 0.0], dephasing=0.1, time=1.0), "decay"),
    (Network([OpticalMode(3), QubitEnsemble(2)]), NoiseModel(transmission=0.9, time=1.0),
     "loss"),
], ids=["dicke-decay", "full-basis-decay", "photon-loss"])
def test_population_moving_noise_is_refused(net, noise, word):
    with pytest.raises(QSNError, match=word):
        PhaseChannel(net, noise.sensor_rates(net))
