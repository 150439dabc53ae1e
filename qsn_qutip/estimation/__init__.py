"""The estimation layer: pure mathematics on ``Qobj`` and arrays (the wall of the design).

* :mod:`~qsn_qutip.estimation.qfim` — quantum Fisher information matrices of unitarily
  encoded states (pure, mixed, low rank) and of any differentiable family; its engines
  :mod:`~qsn_qutip.estimation.pure` (kets), :mod:`~qsn_qutip.estimation.mixed` (density
  matrices) and :mod:`~qsn_qutip.estimation.classes` (how generators share products);
* :mod:`~qsn_qutip.estimation.bounds` — quantum Cramér-Rao bounds, the paper's closed forms and
  the hardware limit no probe beats on fixed particle numbers;
* :mod:`~qsn_qutip.estimation.blocks` — the QFIM of block-diagonal states (the noise path's
  Dicke blocks); :mod:`~qsn_qutip.estimation.holevo` — the Holevo bound (SDP, ``sdp`` extra).

Nothing here imports sensors, the network or anything above them: it serves any QuTiP user
and is tested against closed forms alone.
"""

from .bounds import (allocation_variance, best_separable_allocation, function_bound,
                     ghz_allocation, ghz_bound, hardware_limit, qcrb, separable_bound)
from .qfim import qfim, qfim_from_derivatives

__all__ = ["qfim", "qfim_from_derivatives", "qcrb", "function_bound",
           "best_separable_allocation", "separable_bound", "ghz_bound", "allocation_variance",
           "hardware_limit", "ghz_allocation"]
