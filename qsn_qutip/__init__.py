"""qsn_qutip: networks of quantum sensors on QuTiP.

Sensors (qubit ensembles, optical modes, multi-level atoms) form a :class:`Network`; probe
states come from :mod:`qsn_qutip.states`; :func:`qfim` and the bounds in
:mod:`qsn_qutip.estimation` say how well the network estimates its parameters, or a linear
function of them, following Proctor, Knott and Dunningham, "Multiparameter estimation in
networked quantum sensors".  :func:`compare` weighs entangled against separable probes;
:class:`NoiseModel` / :func:`apply_noise`, :func:`cfim` / :func:`holevo_bound` and
:func:`simulate_task` add noise, measurements and simulated experiments; ``sweep.sweep`` maps
a function over a grid; :func:`compare_field` states the verdict in SI units.  The result
objects (:class:`Comparison`, :class:`Network`, :class:`TaskSimulation`,
:class:`SimulationResult`, :class:`SweepResult`, the noise states) show a compact table in
Jupyter, and ``Comparison.plot()`` / ``SweepResult.plot()`` return ``(fig, ax)``.

The public names are imported on first use (PEP 562), so ``import qsn_qutip`` (and the
``qsn`` command's ``--help``) does not pay for QuTiP until a name that needs it is touched;
``from qsn_qutip import X``, ``dir(qsn_qutip)`` and ``qsn_qutip.<submodule>`` work as usual.

>>> import qsn_qutip
>>> qsn_qutip.QubitEnsemble(4).dims
[5]
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    # errors and options
    "QSNError", "tolerances", "Tolerances",
    # sensors, networks, generators
    "Sensor", "QubitEnsemble", "OpticalMode", "MultiLevelAtom", "Ancilla", "Network",
    "LocalOperator",
    # the estimation engine
    "qfim", "qfim_from_derivatives", "qcrb", "function_bound", "best_separable_allocation",
    "separable_bound", "ghz_bound", "hardware_limit", "ghz_allocation",
    # the theorems' constructions
    "separable_counterpart", "ancilla_counterpart", "proposition1_gap",
    # noise
    "NoiseModel", "apply_noise", "noisy_qfim", "optimal_interrogation_time",
    "local_dephasing", "collective_dephasing", "local_decay", "photon_loss",
    "dephasing_crossover", "DickeBlockState", "NoisyProduct", "InterrogationResult",
    # measurements
    "POVM", "cfim", "holevo_bound", "local_readout", "parity", "simulate", "SimulationResult",
    "local_projective", "spin_readout", "photon_counting", "beam_splitter", "sld_readout",
    "default_measurement",
    # probes, comparisons, simulated experiments, model files, sweeps
    "Task", "build_probe", "compare", "Comparison", "ProbeResult", "Verdict",
    "optimal_probe", "OptimalProbe", "simulate_task", "TaskSimulation", "Model", "load_model", "SweepResult",
    # magnetometry in SI units
    "SensorArray", "FieldTask", "compare_field", "sensitivity",
    # the probe-state library; sweeps (qsn_qutip.sweep.sweep: the package and its function
    # share the name, so the top-level name is the package, whatever was imported first)
    "states", "sweep",
]

#: the module (relative to this package) that defines each public name; ``states`` is a module
_SOURCES: dict[str, tuple[str, ...]] = {
    ".errors": ("QSNError",),
    ".options": ("tolerances", "Tolerances"),
    ".sensors": ("Sensor", "QubitEnsemble", "OpticalMode", "MultiLevelAtom", "Ancilla"),
    ".network": ("Network",),
    ".operators": ("LocalOperator",),
    ".estimation": ("qfim", "qfim_from_derivatives", "qcrb", "function_bound",
                    "best_separable_allocation", "separable_bound", "ghz_bound",
                    "hardware_limit", "ghz_allocation"),
    ".theorems": ("separable_counterpart", "ancilla_counterpart", "proposition1_gap"),
    ".noise": ("NoiseModel", "apply_noise", "noisy_qfim", "optimal_interrogation_time",
               "local_dephasing", "collective_dephasing", "local_decay", "photon_loss",
               "dephasing_crossover", "DickeBlockState", "NoisyProduct", "InterrogationResult"),
    ".measurement": ("POVM", "cfim", "holevo_bound", "local_readout", "parity", "simulate",
                     "SimulationResult", "local_projective", "spin_readout", "photon_counting",
                     "beam_splitter", "sld_readout", "default_measurement"),
    ".probes": ("Task", "build_probe"),
    ".optimize": ("optimal_probe", "OptimalProbe"),
    ".report": ("compare", "Comparison", "ProbeResult", "Verdict"),
    ".experiment": ("simulate_task", "TaskSimulation"),
    ".modelfile": ("Model", "load_model"),
    ".sweep": ("SweepResult",),
    ".magnetometry": ("SensorArray", "FieldTask", "compare_field", "sensitivity"),
}
_EXPORTS = {name: module for module, names in _SOURCES.items() for name in names}

if TYPE_CHECKING:                  # what static tools and IDEs see; nothing is imported at run time
    from . import states
    from .errors import QSNError
    from .estimation import (best_separable_allocation, function_bound, ghz_allocation,
                             ghz_bound, hardware_limit, qcrb, qfim, qfim_from_derivatives)
    from .experiment import TaskSimulation, simulate_task
    from .magnetometry import FieldTask, SensorArray, compare_field, sensitivity
    from .measurement import (POVM, SimulationResult, beam_splitter, cfim, default_measurement,
                              holevo_bound, local_projective, local_readout, parity,
                              photon_counting, simulate, sld_readout, spin_readout)
    from .modelfile import Model, load_model
    from .network import Network
    from .noise import (DickeBlockState, InterrogationResult, NoiseModel, NoisyProduct,
                        apply_noise, collective_dephasing, dephasing_crossover, local_decay,
                        local_dephasing, noisy_qfim, optimal_interrogation_time, photon_loss)
    from .operators import LocalOperator
    from .options import Tolerances, tolerances
    from .probes import Task, build_probe
    from .report import Comparison, ProbeResult, Verdict, compare
    from .sensors import Ancilla, MultiLevelAtom, OpticalMode, QubitEnsemble, Sensor
    from . import sweep
    from .sweep import SweepResult
    from .theorems import ancilla_counterpart, proposition1_gap, separable_counterpart


def __getattr__(name: str) -> Any:
    """Import a public name (or a submodule) the first time it is asked for (PEP 562)."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value        # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
