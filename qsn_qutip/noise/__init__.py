r"""Noise on sensor networks: dephasing and decay of qubit ensembles, photon loss of optical modes.

The encoding is a phase :math:`\phi = \omega t` that accumulates while the noise acts.  Every
channel here is *phase covariant* (it commutes with :math:`e^{-i\phi\hat H}` for the sensors'
diagonal generators :math:`\hat J_z` and :math:`\hat n`), so
:math:`\rho(t) = U_\phi\,\Lambda_t(\rho_0)\,U_\phi^\dagger` and the QFIM in :math:`\phi` is the QFIM of
the noisy state :math:`\Lambda_t(\rho_0)` with the *same* generators.  Per unit :math:`\omega` it is
:math:`t^2F_\phi(t)` (:func:`qfim_per_frequency`).

Channels (closed forms, exact to round-off, except decay of Dicke ensembles):

* local dephasing, Lindblad operator :math:`\sqrt{\gamma/2}\,\sigma_z` on every qubit: a qubit's
  coherence decays as :math:`e^{-\gamma t}`; on the computational basis
  :math:`\rho_{xy}\to\rho_{xy}e^{-\gamma t\,d(x,y)}` with d the Hamming distance;
* collective dephasing (phase diffusion), Lindblad operator :math:`\sqrt\Gamma\,\hat H` for a
  sensor's diagonal generator (:math:`\hat J_z` for qubits):
  :math:`\rho_{ab}\to\rho_{ab}\,e^{-\Gamma t(h_a-h_b)^2/2}`; ``correlated`` noise (one field seen by
  every sensor) uses :math:`\sum_s\hat H_s`;
* local decay :math:`\sqrt{\gamma_1}\,\sigma_-` (amplitude damping, Kraus form per qubit in the full
  basis; :func:`qutip.mesolve` on the Dicke-block Liouvillian for Dicke ensembles, the one route
  that is integrator-limited);
* photon loss with transmission :math:`\eta` on every mode (Kraus form, exact in the truncated
  Fock space, which loss never leaves).

Large ensembles: a :class:`~qsn_qutip.QubitEnsemble` in the Dicke basis leaves its symmetric
subspace under local noise but stays permutation invariant, so the noisy state is held as Dicke
blocks (:class:`DickeBlockState`) and its QFIM summed block by block.  Networks:
:func:`apply_noise` applies a :class:`NoiseModel` (the ``[noise]`` section of a model file) to a
probe of any :class:`~qsn_qutip.Network`; :func:`noisy_qfim` takes any of its results.

The package, along physical lines (each module teaches its numerics in its docstring):

* :mod:`~qsn_qutip.noise.model` — :class:`NoiseModel`, its typed per-sensor strengths
  (:class:`~qsn_qutip.noise.model.SensorRates`) and the checks of what the channels are given;
* :mod:`~qsn_qutip.noise.channels` — the exact channels on dense density matrices;
* :mod:`~qsn_qutip.noise.dicke` — :class:`DickeBlockState` (and the qutip #993 trap: no
  degeneracy factor in the QFI, one in the purity);
* :mod:`~qsn_qutip.noise.schur_weyl` — local dephasing of Dicke ensembles in closed form
  (Schur-Weyl duality: the transfer of every block, by recursions that keep relative
  precision);
* :mod:`~qsn_qutip.noise.builder` — the Dicke blocks of a dephased probe: which basis states
  are kept (a rigorous bound on the QFIM lost) and only those built;
* :mod:`~qsn_qutip.noise.lindblad` — the double-precision permutation-invariant Lindbladian
  (:func:`piqs_lindbladian`) and decay by :func:`qutip.mesolve`;
* :mod:`~qsn_qutip.noise.product` — product probes noised factor by factor
  (:class:`NoisyProduct`);
* :mod:`~qsn_qutip.noise.apply` — :func:`apply_noise`, :func:`noisy_qfim` and the one-channel
  functions;
* :mod:`~qsn_qutip.noise.interrogation` — optimal interrogation times and the closed forms of
  GHZ, local GHZ and product probes under local dephasing.

Which channels act on a sensor, and whether local noise acts on Dicke blocks, the sensor says
itself (:attr:`~qsn_qutip.sensors.Sensor.noise_channels`,
:attr:`~qsn_qutip.sensors.Sensor.dicke_qubits`).  To add a channel: a field in
:mod:`~qsn_qutip.noise.model` (:class:`NoiseModel` and :class:`SensorRates`), its kernel in
:mod:`~qsn_qutip.noise.channels`, its name in the ``noise_channels`` of the sensors it acts on
(details in :mod:`~qsn_qutip.noise.model`).
"""

from ..estimation.blocks import WORKERS  # noqa: F401  (a module constant of noise.py before)
from ..options import Tolerances
from .apply import (NoisyState, apply_noise, collective_dephasing, local_decay,  # noqa: F401
                    local_dephasing, noisy_qfim, photon_loss)
from .dicke import DickeBlock, DickeBlockState
from .interrogation import (InterrogationResult, dephasing_crossover, gradient_bound,
                            gradient_crossover, gradient_info, gradient_optimal_time,
                            optimal_interrogation_time, qfim_per_frequency)
from .lindblad import piqs_lindbladian
from .model import NetworkLike, NoiseModel, SensorRates  # noqa: F401
from .product import NoisyProduct
from .builder import MAX_TABLE_ENTRIES  # noqa: F401

__all__ = [
    "NoiseModel", "SensorRates", "DickeBlock", "DickeBlockState", "NoisyProduct",
    "InterrogationResult", "local_dephasing", "collective_dephasing", "local_decay",
    "photon_loss", "apply_noise", "noisy_qfim", "piqs_lindbladian",
    "qfim_per_frequency", "optimal_interrogation_time", "dephasing_crossover",
    "gradient_bound", "gradient_info", "gradient_optimal_time", "gradient_crossover",
]

#: the default truncation of the Dicke-block channels (``tolerances.dicke_truncation``; set
#: that to change it)
TRUNCATION = Tolerances.dicke_truncation
#: the default relative threshold below which a ket counts as a product across a cut
#: (``tolerances.product_rtol``; set that to change it)
PRODUCT_RTOL = Tolerances.product_rtol

