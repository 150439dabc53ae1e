r"""The best probe for a network and a task, with and without noise, and the limit no probe beats.

:func:`optimal_probe` searches the probe states of a network for the smallest bound on a task
(:math:`v^TF^{+}v`, or :math:`\mathrm{tr}(WF^{+})`), under the resource constraints of the
comparisons, with the see-saw of :mod:`~qsn_qutip.optimize.seesaw` on the exact noisy channel of
:mod:`~qsn_qutip.optimize.channel`, and reports it next to the limit of
:mod:`~qsn_qutip.optimize.limits`, the best sensor-separable probe and the product state.

* :mod:`~qsn_qutip.optimize.channel` — the encoding and noise as a Schur-multiplier channel;
* :mod:`~qsn_qutip.optimize.seesaw` — the descent (see-saw jumps, then L-BFGS, exact gradient);
* :mod:`~qsn_qutip.optimize.search` — starts, allocations, the separable optimum;
* :mod:`~qsn_qutip.optimize.limits` — the channel-extension bounds;
* :mod:`~qsn_qutip.optimize.timing` — the interrogation time (per unit time);
* :mod:`~qsn_qutip.optimize.result` — :class:`OptimalProbe`;
* :mod:`~qsn_qutip.optimize.readout` (with :mod:`~qsn_qutip.optimize.local_readout`) — the SLD
  readout and the best local readout of the probe found (:meth:`OptimalProbe.readout`);
* :mod:`~qsn_qutip.optimize.checkpoint` — resumable searches.
"""

from __future__ import annotations

from .api import optimal_probe
from .channel import PhaseChannel
from .limits import ce_qfi, task_limit, time_limit, total_limit
from .readout import ReadoutReport, optimal_readout
from .result import STATE_FORMAT, OptimalProbe, load_state

__all__ = ["optimal_probe", "OptimalProbe", "PhaseChannel", "load_state", "STATE_FORMAT",
           "ce_qfi", "task_limit", "time_limit", "total_limit", "optimal_readout",
           "ReadoutReport"]
