r"""Measurements on a sensor network: POVMs, classical Fisher information, simulated experiments.

A measurement is a POVM :math:`\{\hat E_x\}`, :math:`\hat E_x\ge 0`, :math:`\sum_x\hat E_x = 1`,
on the network's space; with the encoded state :math:`\rho_\phi = U_\phi\rho U_\phi^\dagger`,
:math:`U_\phi = e^{-i\sum_j\phi_j\hat H_j}`, outcome x has probability
:math:`p_x(\phi) = \mathrm{Tr}(\hat E_x\rho_\phi)` and the classical Fisher information matrix
(CFIM) of the outcomes is

.. math::
    F^{C}_{kl}(\phi) = \sum_x \frac{\partial_k p_x\,\partial_l p_x}{p_x},\qquad
    \partial_k p_x = \mathrm{Tr}\big(\hat E_x\,(-i)[\hat H'_k, \rho_\phi]\big),

with :math:`\hat H'_k = U_\phi\tilde H_kU_\phi^\dagger` and :math:`\tilde H_k` the exact effective
generators (:func:`~qsn_qutip.operators.effective_generators`; :math:`\tilde H_k=\hat H_k` when
the generators commute).  :math:`F^C \le F^Q` (the QFIM) for every POVM; a POVM *saturates* the
QCRB at :math:`\phi` when equality holds.

The package, by topic:

* :mod:`.povm` — :class:`POVM`, a validated list of effects (a plain list of positive ``Qobj``
  works wherever a POVM is expected), stored densely, as basis vectors or as a product basis;
* :mod:`.readouts` — built-ins on a :class:`~qsn_qutip.Network`: :func:`local_projective`,
  :func:`spin_readout`, :func:`local_readout`, :func:`parity`, :func:`photon_counting` (after
  :func:`beam_splitter`), :func:`sld_readout` (Proposition 2), :func:`joint_sld_readout` (the
  SLD of the whole network along a direction: saturates the bound of a function);
* :mod:`.noisy` — :func:`measured_state`: a noisy probe as it is read out (on the full
  :math:`2^n` space of the ensembles when the noise leaves their symmetric subspace);
* :mod:`.cfim` — :func:`outcome_probabilities` and :func:`cfim`, exact;
* :mod:`.spectrum` — a density matrix's outcome probabilities as a short sum of frequencies
  (commuting generators), what a simulation evaluates at thousands of points;
* :mod:`.estimators` — :func:`simulate`: multinomial outcome counts for :math:`\mu` repeats per
  trial, maximum-likelihood (or Bayesian) estimates, their mean and covariance against the QCRB
  and the CRB of the measurement (:class:`SimulationResult`);
  :func:`~qsn_qutip.experiment.simulate_task` does the same for a probe of a network and a task
  (noisy probes included, with a readout that estimates the task);
* :func:`holevo_bound` — the Holevo Cramér-Rao bound (the attainable bound for non-commuting
  generators, with collective measurements), an SDP that lives in
  :mod:`qsn_qutip.estimation.holevo` (pure mathematics) and is re-exported here.

Proposition 2 of the paper: for commuting generators the separable probe of Theorem 1 has a
block-diagonal QFIM, and a POVM made of *local* measurements, one per sensor, saturates its
QCRB — e.g. :func:`local_readout` for local GHZ probes (at every :math:`\phi` away from the
special points) or :func:`sld_readout` for any product probe (at the :math:`\phi` it is built
for).  All arithmetic here is dense on the network's space (:math:`D\times D` matrices): meant
for networks of dimension up to a few thousand.

``PARITY_PROBES`` and ``default_measurement`` (which readout a built-in probe gets) belong to
the probe registry, :mod:`qsn_qutip.probes`; they stay importable from here as compatibility
aliases, resolved on first use (the registry sits above this package).
"""

from __future__ import annotations

import importlib

from ..estimation.holevo import holevo_bound
from .cfim import cfim, outcome_probabilities
from .estimators import SimulationResult, simulate
from .povm import POVM
from .noisy import MeasuredState, measured_state
from .readouts import (beam_splitter, joint_sld_readout, local_projective, local_readout, parity,
                       photon_counting, sld_readout, spin_readout)

__all__ = [
    "POVM", "local_projective", "spin_readout", "local_readout", "parity", "photon_counting",
    "beam_splitter", "sld_readout", "joint_sld_readout", "default_measurement",
    "MeasuredState", "measured_state",
    "outcome_probabilities", "cfim",
    "SimulationResult", "simulate",
    "holevo_bound",
]

#: names that moved to the probe registry and are still served from here
_FROM_PROBES = ("PARITY_PROBES", "default_measurement")


def __getattr__(name: str):
    """Compatibility aliases: ``PARITY_PROBES`` and ``default_measurement`` are defined in
    :mod:`qsn_qutip.probes` (looked up there on first use, not imported at load time: the
    registry imports this package)."""
    if name in _FROM_PROBES:
        return getattr(importlib.import_module("qsn_qutip.probes"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FROM_PROBES))
