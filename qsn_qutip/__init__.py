"""qsn_qutip: networks of quantum sensors on QuTiP.

Sensors (qubit ensembles, optical modes, multi-level atoms) form a :class:`Network`; probe
states come from :mod:`qsn_qutip.states`; :func:`qfim` and the bounds in
:mod:`qsn_qutip.bounds` say how well the network estimates its parameters, or a linear
function of them, following Proctor, Knott and Dunningham, "Multiparameter estimation in
networked quantum sensors".
"""

from .errors import QSNError
from .estimation.bounds import (best_separable_allocation, function_bound, ghz_bound, qcrb,
                                separable_bound)
from .estimation.qfim import qfim, qfim_from_derivatives
from .network import Network
from .operators import LocalOperator
from .options import tolerances
from .sensors import MultiLevelAtom, OpticalMode, QubitEnsemble, Sensor
from . import states

__version__ = "0.1.0"

__all__ = [
    "QSNError", "tolerances",
    "Sensor", "QubitEnsemble", "OpticalMode", "MultiLevelAtom", "Network", "LocalOperator",
    "qfim", "qfim_from_derivatives",
    "qcrb", "function_bound", "best_separable_allocation", "separable_bound", "ghz_bound",
    "states",
]
