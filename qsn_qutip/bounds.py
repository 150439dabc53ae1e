"""Former home of the bounds; kept so ``qsn_qutip.bounds`` imports keep working.

The bounds live in :mod:`qsn_qutip.estimation.bounds`.
"""

from .estimation.bounds import (allocation_variance, best_separable_allocation, function_bound,
                                ghz_bound, qcrb, separable_bound)

__all__ = ["qcrb", "function_bound", "best_separable_allocation", "separable_bound",
           "ghz_bound", "allocation_variance"]
