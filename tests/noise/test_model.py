"""The noise model's typed strengths, the sensor hooks that route every channel, and the
tolerances the noise layer reads from ``tolerances``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip

from qsn_qutip import (MultiLevelAtom, Network, OpticalMode, QSNError, QubitEnsemble, Sensor,
                       states, tolerances)
from qsn_qutip.noise import (DickeBlockState, NoiseModel, NoisyProduct, SensorRates, apply_noise,
                             local_decay, local_dephasing, noisy_qfim)


# ----------------------------------------------------------------------------------------
# typed strengths
# ----------------------------------------------------------------------------------------
def test_sensor_rates_are_one_strength_per_channel_and_sensor():
    net = Network([QubitEnsemble(2), OpticalMode(3), MultiLevelAtom(spin=1)])
    noise = NoiseModel(dephasing=0.5, decay=[0.1, 0, 0], collective_dephasing=0.2,
                       correlated_dephasing=0.3, transmission=0.9, time=2.0)
    rates = noise.sensor_rates(net)
    assert isinstance(rates, SensorRates)
    assert rates.dephasing == (1.0, 0.0, 0.0)
    assert rates.decay == (0.2, 0.0, 0.0)
    assert rates.collective == (0.4, 0.4, 0.4)
    assert rates.correlated == (0.6, 0.6, 0.6)
    assert rates.transmission == (1.0, 0.9, 1.0)
    sub = rates.subset([2, 0])
    assert sub.dephasing == (0.0, 1.0) and sub.transmission == (1.0, 1.0)
    assert rates.local(0) and not rates.local(1) and rates.dense(1) and rates.is_correlated
    assert hash(rates.key()) == hash(noise.sensor_rates(net).key())
    # the model keeps its constructor arguments and attributes (modelfile, report, figures)
    assert noise.dephasing == 0.5 and noise.time == 2.0 and noise.dephasing_t == 1.0
    assert sorted(noise.rates) == [0, 0, 0.1, 0.2, 0.3, 0.5] and not noise.is_trivial()


# ----------------------------------------------------------------------------------------
# hooks: the sensors decide which channels act and whether they act on Dicke blocks
# ----------------------------------------------------------------------------------------
class Qubit(Sensor):
    """A single qubit of its own kind (not a QubitEnsemble) that says it dephases."""

    kind = "test-qubit"

    dims = property(lambda self: [2])
    generators = property(lambda self: [qutip.sigmaz() / 2])
    resource_operator = property(lambda self: qutip.qeye(2))
    particles = property(lambda self: 1)
    kappa = property(lambda self: 1.0)

    def with_particles(self, n):
        return Qubit()

    def product_state(self):
        return (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()

    @property
    def noise_channels(self):
        return super().noise_channels | {"dephasing", "decay"}


class Symmetric(Qubit):
    """n qubits in their symmetric subspace, not a QubitEnsemble: local noise on Dicke blocks."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    dims = property(lambda self: [self.n + 1])
    generators = property(lambda self: [qutip.jmat(self.n / 2, "z")])
    particles = property(lambda self: self.n)
    dicke_qubits = property(lambda self: self.n)


def test_hooks_of_the_built_in_sensors():
    assert QubitEnsemble(3).noise_channels == {"dephasing", "decay", "collective_dephasing",
                                               "correlated_dephasing"}
    assert QubitEnsemble(3).dicke_qubits == 3 and QubitEnsemble(3, "full").dicke_qubits is None
    assert OpticalMode(2).noise_channels == {"transmission", "collective_dephasing",
                                             "correlated_dephasing"}
    assert OpticalMode(2, generator=None).noise_channels == {"transmission"}
    assert MultiLevelAtom(spin=1, axes="xyz").noise_channels == frozenset()


def test_a_sensor_of_another_kind_that_dephases_gets_the_exact_channel():
    qubit = Qubit()
    rho = local_dephasing(qubit.product_state(), qubit, 0.3)
    assert isinstance(rho, qutip.Qobj)
    assert noisy_qfim(rho, qubit)[0, 0] == pytest.approx(math.exp(-0.6), rel=1e-12)
    decayed = local_decay(qubit.product_state(), qubit, 0.4)
    assert noisy_qfim(decayed, qubit)[0, 0] == pytest.approx(math.exp(-0.4), rel=1e-12)


def test_a_sensor_of_another_kind_in_a_symmetric_subspace_gets_dicke_blocks():
    n, gamma_t = 30, 0.05
    own, ensemble = Symmetric(n), QubitEnsemble(n)
    psi = ensemble.spin_coherent(1.1, 0.3)
    blocks = local_dephasing(psi, own, gamma_t)
    assert isinstance(blocks, DickeBlockState)
    assert blocks.qfi() == pytest.approx(local_dephasing(psi, ensemble, gamma_t).qfi(),
                                         rel=1e-14)


def test_a_sensor_without_a_channel_is_refused_it():
    with pytest.raises(QSNError, match="dephasing = 0.1 needs qubit ensembles"):
        local_dephasing(MultiLevelAtom(spin=1).local_ghz(), MultiLevelAtom(spin=1), 0.1)


# ----------------------------------------------------------------------------------------
# tolerances
# ----------------------------------------------------------------------------------------
def test_dicke_truncation_is_the_default_truncation():
    ens = QubitEnsemble(200)
    psi = ens.spin_coherent(1.2, 0.0)
    default = local_dephasing(psi, ens, 0.05)
    with tolerances(dicke_truncation=1e-4):
        loose = local_dephasing(psi, ens, 0.05)
    assert default.truncation_error <= 1e-13 < loose.truncation_error <= 1e-4
    kept = [sum(b.rho.shape[0] for b in s.blocks) for s in (default, loose)]
    assert kept[1] < kept[0]
    assert 0 <= default.qfi() - loose.qfi() <= loose.truncation_error
    assert local_dephasing(psi, ens, 0.05, truncation=1e-4).truncation_error == \
        loose.truncation_error


def test_product_rtol_decides_what_is_a_product():
    net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    psi = (states.product(net) + 1e-9 * states.ghz_like(net, [1, 1])).unit()
    assert isinstance(apply_noise(psi, net, NoiseModel(dephasing=0.1)), DickeBlockState)
    with tolerances(product_rtol=1e-6):
        assert isinstance(apply_noise(psi, net, NoiseModel(dephasing=0.1)), NoisyProduct)


def test_commutator_form_keeps_tiny_qfis_precise():
    ens = QubitEnsemble(400)
    noisy = local_dephasing(ens.local_ghz(), ens, 0.05)
    exact = 400 ** 2 * math.exp(-2 * 400 * 0.05)
    assert noisy.qfi() == pytest.approx(exact, rel=1e-12)
    with tolerances(commutator_form=2.0):                   # every pair in the other form
        assert abs(noisy.qfi() - exact) > 1e-9 * exact


def test_lindblad_tolerances_reach_mesolve():
    ens = QubitEnsemble(3)
    psi = ens.spin_coherent(1.0, 0.2)
    tight = local_decay(psi, ens, 0.3).qfi()
    with tolerances(lindblad_atol=1e-3, lindblad_rtol=1e-3):
        loose = local_decay(psi, ens, 0.3).qfi()
    assert tight != loose and loose == pytest.approx(tight, rel=1e-2)
    full = QubitEnsemble(3, basis="full")
    exact = noisy_qfim(local_decay(QubitEnsemble(3, "full").spin_coherent(1.0, 0.2), full, 0.3),
                       full)[0, 0]
    assert tight == pytest.approx(exact, rel=1e-8)


def test_noise_layer_has_no_isinstance_chain_on_sensor_kinds():
    import inspect

    import qsn_qutip.noise as noise
    for module in (noise.apply, noise.channels, noise.model, noise.builder, noise.dicke):
        source = inspect.getsource(module)
        for kind in ("QubitEnsemble", "OpticalMode", "MultiLevelAtom"):
            assert f"isinstance(s, {kind})" not in source and f", {kind})" not in source
        assert '.basis == "dicke"' not in source
    assert not np.any([name.startswith("_is_dicke") for name in dir(noise.apply)])
