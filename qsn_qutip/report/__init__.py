"""Comparisons of probes on one task under one resource constraint, and their verdicts.

* :mod:`~qsn_qutip.report.comparison` — :func:`compare`, :class:`Comparison`,
  :class:`ProbeResult`, :class:`Verdict` (the table and the JSON);
* :mod:`~qsn_qutip.report.verdict` — which probes are ranked, the limit no probe beats, the
  mean-resource flags and the statement of the paper that explains the result;
* :mod:`~qsn_qutip.report.rows` — :class:`ProbeResult` and how a probe state is evaluated
  (at a fixed time, or at its own best time when the noise has none);
* :mod:`~qsn_qutip.report.optimal` — ``"optimal"`` among the probes: the best probe
  :func:`~qsn_qutip.optimal_probe` finds as a row, and the limit next to the menu.

The built-in probes, the task and the resource constraints live in :mod:`qsn_qutip.probes`;
the names below are re-exported from there.
"""

from .comparison import (BUILTIN_PROBES, DEFAULT_PROBES, REFERENCES, SEPARABLE, Comparison,
                         ProbeResult, Verdict, build_probe, compare)

__all__ = ["compare", "build_probe", "Comparison", "ProbeResult", "Verdict", "BUILTIN_PROBES",
           "DEFAULT_PROBES", "SEPARABLE", "REFERENCES"]
