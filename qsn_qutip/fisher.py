"""Former home of the QFIM; kept so ``qsn_qutip.fisher`` imports keep working.

The QFIM lives in :mod:`qsn_qutip.estimation.qfim`, generators in :mod:`qsn_qutip.operators`.
"""

from .estimation.qfim import qfim, qfim_from_derivatives
from .operators import LocalOperator, effective_generators

__all__ = ["LocalOperator", "qfim", "qfim_from_derivatives", "effective_generators"]
