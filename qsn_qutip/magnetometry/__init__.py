r"""Magnetometry in physical units: sensor arrays in space, field models, sensitivities.

Everything else in the toolkit is a phase in radians; this package is where SI units live
(tesla, metres, seconds, rad s^-1 T^-1).  A :class:`SensorArray` gives the sensors of a
:class:`~qsn_qutip.Network` positions and gyromagnetic ratios (:data:`SPECIES`); a field model
(:class:`UniformField`, :class:`GradientField`, :class:`QuadraticField`, :class:`SitesField`,
:class:`DipoleField`) says what is estimated; :class:`FieldTask` maps its parameters to the
phases :math:`\phi = \gamma tB(\mathbf r)` with the Jacobian J and brings the Fisher
information back as :math:`J^TFJ`.

* :mod:`.species` — gyromagnetic ratios with their sources;
* :mod:`.fields` — field models with analytic Jacobians;
* :mod:`.array` — :class:`SensorArray`;
* :mod:`.task` — :class:`FieldTask`: Jacobian, the task in phase space, bounds in SI units;
* :mod:`.sensitivity` — :class:`Timing` (t, dead time, total time or bandwidth),
  :func:`sensitivity`, :func:`best_time`, :class:`Readout` (efficiency, fidelity);
* :mod:`.probing` — every probe's QFIM of the phases under noise at any t;
* :mod:`.comparison` — :func:`compare_field`: the phase-space comparison of
  :func:`~qsn_qutip.report.compare` per quantity, transformed to SI units;
* :mod:`.results` — :class:`FieldComparison` (tables and JSON with units);
* :mod:`.units` — unit strings, printing with SI prefixes.

Examples
--------
>>> from qsn_qutip import Network, QubitEnsemble
>>> array = SensorArray(Network([QubitEnsemble(1000)]), [[0, 0, 0]], species="87Rb F=2")
>>> result = compare_field(FieldTask(array, UniformField()), Timing(t=1e-3), ["product"])
>>> format_quantity(result["Bz"]["product"].sensitivity, "T/sqrt(Hz)")   # 1/(gamma sqrt(N t))
'22.75 pT/sqrt(Hz)'
"""

from .array import SensorArray
from .comparison import compare_field, sql_qfim
from .fields import (FIELD_MODELS, DipoleField, FieldModel, GradientField, Parameter,
                     QuadraticField, SitesField, UniformField)
from .species import GAMMA_UNIT, SPECIES, Species, gyromagnetic_ratio, species
from .results import FieldComparison, ProbeSensitivity, QuantityResult
from .sensitivity import Readout, Timing, best_time, sensitivity
from .task import FieldTask
from .units import format_quantity, per_root_hz

__all__ = ["SensorArray", "FieldModel", "Parameter", "UniformField", "GradientField",
           "QuadraticField", "SitesField", "DipoleField", "FIELD_MODELS", "Species", "SPECIES",
           "species", "gyromagnetic_ratio", "GAMMA_UNIT", "FieldTask", "Timing", "Readout",
           "sensitivity", "best_time", "compare_field", "sql_qfim", "FieldComparison",
           "QuantityResult", "ProbeSensitivity", "format_quantity", "per_root_hz"]
