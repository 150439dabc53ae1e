r"""The answer of :func:`~qsn_qutip.optimal_probe`: the best probe found, its bound, the limit no
probe beats, the separable and product references, and how the search went."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import qutip

from .._io import atomic_path, html_table, json_ready, number_text, writable_path
from ..errors import QSNError
from ..network import Network
from .search import StartRun

__all__ = ["OptimalProbe", "load_state", "STATE_FORMAT"]

#: the array file a found state is saved to (:meth:`OptimalProbe.save`)
STATE_FORMAT = ("NumPy .npz with 'amplitudes' (complex, the ket in the network's basis, "
                "sensor-major), 'dims' (the network's ket dims) and 'particles'")


@dataclasses.dataclass
class OptimalProbe:
    r"""The best probe found for a task on a network, and the limit no probe beats.

    All bounds are on the variance of the estimate (divided by the repeats :math:`\mu`): per
    shot, :math:`v^TF^{+}v/\mu` (or :math:`\mathrm{tr}(WF^{+})/\mu`) at the interrogation time
    ``time``; with ``per == "time"`` per unit total time, :math:`B(t)/(t\mu)` for the phases
    :math:`\phi = \omega t` (the variance of the frequency estimate times the total time).

    Attributes
    ----------
    network : Network
        The network the state lives on (its allocation, for ``resources="total"``).
    state : Qobj
        The probe found (a ket, real non-negative amplitudes in the sensors' bases).
    qfim : numpy.ndarray
        Its QFIM for the phases at ``time`` (after the noise).
    bound : float
        Its bound.
    limit : float
        A bound no probe reaches below under the same noise and constraint
        (:mod:`~qsn_qutip.optimize.limits`); ``limit <= bound``.
    separable_bound : float
        The best sensor-separable probe (each sensor optimised alone; entanglement inside a
        sensor allowed), same constraint.
    product_bound : float
        The product state (every particle on its own).
    gain : float
        ``separable_bound / bound``: what entanglement between the sensors gains here.
    max_gain : float
        ``separable_bound / limit``: the most any probe could gain.
    time : float or None
        The interrogation time (chosen, for ``per == "time"``; None without noise).
    per : {"shot", "time"}
    resources : {"total", "fixed"}
    allocation : list of int
        Particles per sensor of :attr:`network`.
    runs : list of StartRun
        Every start of the search that produced :attr:`state` (name, bound, iterations, status,
        gap).
    history : list of float
        The bound along the best run.
    converged : bool
        True when the best run ended at a see-saw fixed point or a stationary point.
    notes : list of str
        What the numbers rest on (e.g. the channels the limit leaves out).
    searched : dict
        How many allocations and times were searched.
    task : dict
        ``v``, ``weights`` and ``repeats`` of the task.
    noise : NoiseModel or None
        The noise of the search (``time`` None when the time was optimised).
    """

    network: Network
    state: qutip.Qobj
    qfim: np.ndarray
    bound: float
    limit: float
    separable_bound: float
    product_bound: float
    time: float | None
    per: str
    resources: str
    allocation: list[int]
    runs: list[StartRun]
    history: list[float]
    converged: bool
    notes: list[str]
    searched: dict
    task: dict
    noise: object = None

    @property
    def gain(self) -> float:
        return self.separable_bound / self.bound if self.bound > 0 else float("nan")

    @property
    def max_gain(self) -> float:
        return self.separable_bound / self.limit if self.limit > 0 else float("inf")

    @property
    def dicke_amplitudes(self) -> np.ndarray:
        """The amplitudes as an array of shape ``network.ket_dims`` (index k = n/2 - m on a
        Dicke ensemble)."""
        return np.real(self.state.full().ravel()).reshape(self.network.ket_dims)

    def readout(self, **options):
        """What to build in the lab: the SLD readout and the best local readout of this probe,
        with their CFIM bounds and ratios (:func:`~qsn_qutip.optimize.readout.optimal_readout`;
        ``options``: ``phi``, ``seed``, ``restarts``, ``local``)."""
        from .readout import optimal_readout        # readout builds on this module
        return optimal_readout(self, **options)

    def rows(self) -> list[tuple[str, str]]:
        unit = "per unit time" if self.per == "time" else "per shot"
        out = [("optimised probe", number_text(self.bound, 7)),
               ("limit (no probe below)", number_text(self.limit, 7)),
               ("best sensor-separable", number_text(self.separable_bound, 7)),
               ("product state", number_text(self.product_bound, 7)),
               ("gain of the optimum", f"{self.gain:.4g}"),
               ("largest possible gain", f"{self.max_gain:.4g}"),
               ("allocation", "+".join(map(str, self.allocation))),
               ("bounds", unit + ("" if self.time is None else f", t = {self.time:.6g}")),
               ("converged", "yes" if self.converged else "NO (see runs)")]
        return out

    def __str__(self) -> str:
        width = max(len(k) for k, _ in self.rows())
        lines = [f"{k:<{width}}  {v}" for k, v in self.rows()]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])

    def __repr__(self) -> str:
        return (f"OptimalProbe(bound={self.bound:.6g}, limit={self.limit:.6g}, "
                f"separable_bound={self.separable_bound:.6g}, gain={self.gain:.4g}, "
                f"allocation={self.allocation}, per={self.per!r})")

    def _repr_html_(self) -> str:
        return html_table(["", "value"], self.rows())

    def to_dict(self) -> dict:
        """Every number (JSON-ready), with the state's amplitudes."""
        return json_ready({
            "task": self.task, "resources": self.resources, "per": self.per,
            "time": self.time, "bound": self.bound, "limit": self.limit,
            "separable_bound": self.separable_bound, "product_bound": self.product_bound,
            "gain": self.gain, "max_gain": self.max_gain, "allocation": self.allocation,
            "qfim": self.qfim, "converged": self.converged, "notes": self.notes,
            "searched": self.searched,
            "runs": [dataclasses.asdict(r) for r in self.runs],
            "history": self.history,
            "dims": self.network.ket_dims,
            "amplitudes": np.real(self.state.full().ravel()),
        }, finite=False)

    def save(self, path: str | os.PathLike) -> None:
        """Write the state to ``path`` (:data:`STATE_FORMAT`, atomically); a model file reads
        it back as ``[[probes.state]]`` with ``file = "..."`` (:func:`load_state`)."""
        target = writable_path(path, "state file")
        if target.suffix != ".npz":
            raise QSNError(f"state file must end in .npz, got {str(path)!r}")
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, amplitudes=self.state.full().ravel(),
                         dims=np.array(self.network.ket_dims),
                         particles=np.array(self.network.particles))

    def json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def load_state(path: str | os.PathLike, network: Network) -> qutip.Qobj:
    """The ket saved by :meth:`OptimalProbe.save`, checked against ``network``'s dims."""
    try:
        with np.load(path) as data:
            amplitudes = np.asarray(data["amplitudes"], dtype=complex)
            dims = [int(d) for d in data["dims"]]
    except (OSError, KeyError, ValueError) as err:
        raise QSNError(f"cannot read a state file at {str(path)!r}: {err}") from None
    if dims != network.ket_dims:
        raise QSNError(f"the state in {str(path)!r} has dims {dims}, the network "
                       f"{network.ket_dims}")
    return qutip.Qobj(amplitudes.reshape(-1, 1), dims=[dims, [1] * len(dims)])
