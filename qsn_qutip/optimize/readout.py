r"""The measurement to build for a probe found by :func:`~qsn_qutip.optimal_probe`.

A probe reaches its bound :math:`v^TF_Q^{+}v` only with a measurement whose classical Fisher
information matrix (CFIM) C gives the same bound, :math:`v^TC^{+}v = v^TF_Q^{+}v`; every
measurement has :math:`C\le F_Q`, so :math:`v^TC^{+}v \ge v^TF_Q^{+}v`.  :func:`optimal_readout`
builds two, on the state as it is read out (the noisy state after the interrogation, on the full
:math:`2^n` space of the ensembles when the noise leaves their symmetric subspaces:
:func:`~qsn_qutip.measurement.noisy.measured_state`), at a working point :math:`\phi`:

* the **SLD readout** (:func:`~qsn_qutip.measurement.joint_sld_readout`): the eigenbasis of the
  symmetric logarithmic derivative along :math:`u = F_Q^{+}v`.  Its CFIM has :math:`Cu = v`
  and :math:`u^TCu = v^TF_Q^{+}v`, hence :math:`v^TC^{+}v = v^TF_Q^{+}v`: it always saturates
  the bound of the function (for one parameter the QFI), but it is a joint measurement of all
  sensors (entangling across them, and collective inside an ensemble);
* the **best local readout**: one projective measurement per sensor, optimised (several
  seeded starts of L-BFGS, :func:`scipy.optimize.minimize`) to minimise
  :math:`v^TC(\phi)^{+}v` — what can be built with the sensors read out apart.  Per sensor the
  family searched is (``local="spin"``, the default) the **collective spin along an optimised
  axis** :math:`\hat n(\vartheta, \varphi)` for sensors with a spin (qubit ensembles, spin
  atoms): a rotation pulse, then a population readout of :math:`\hat J_{\hat n}` (on the full
  space every qubit is read out along :math:`\hat n`, the same information on the
  permutation-invariant states measured here); for other sensors an **arbitrary basis**
  :math:`e^{-iA}V_0` (A Hermitian, :math:`V_0` the sensor's default readout) up to dimension
  :data:`MAX_UNITARY_DIMENSION`, beyond it the default readout after an optimised phase
  :math:`e^{-i\varphi\hat H}`.  ``local="unitary"`` searches arbitrary bases for every sensor
  (the best local projective measurement, not always easy to build).

The ratio reported is :math:`r = v^TF_Q^{+}v / v^TC^{+}v \le 1` (1: the readout reaches the
probe's bound).  Both readouts are optimal at :math:`\phi` itself (locally); an experiment
works near a known point (a phase offset set before the readout) or adapts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import qutip

from .._checks import as_positive_int, as_real_vector
from .._io import html_table, json_ready, number_text
from ..errors import QSNError
from ..measurement.noisy import MeasuredState, measured_state
from ..measurement.povm import POVM
from ..measurement.readouts import joint_sld_readout, sld_readout
from ..network import Network
from ..noise import NoiseModel
from ..options import tolerances
from ..probes import Task
from .local_readout import (MAX_UNITARY_DIMENSION, CFIMObjective, EncodedState, LocalSearch,
                            families)
from .result import OptimalProbe

__all__ = ["optimal_readout", "ReadoutReport", "Readout", "LOCAL_KINDS",
           "MAX_UNITARY_DIMENSION"]

#: the families of local readouts :func:`optimal_readout` searches (module docstring)
LOCAL_KINDS = ("spin", "unitary")


@dataclasses.dataclass
class Readout:
    r"""One measurement for the probe, its CFIM and bound at the working point.

    Attributes
    ----------
    name : str
    povm : POVM
        On the space the state is read out on (:attr:`ReadoutReport.network`); pass it to
        :func:`~qsn_qutip.simulate_task` (``povm=``) or :func:`~qsn_qutip.measurement.simulate`.
    cfim : numpy.ndarray
        C, per shot, at :attr:`ReadoutReport.phi`.
    bound : float
        :math:`v^TC^{+}v` (or :math:`\mathrm{tr}(WC^{+})`), in the units of
        :attr:`OptimalProbe.bound` (divided by the repeats, and by the time per unit time);
        ``inf`` when the readout cannot estimate the task.
    ratio : float
        :math:`v^TF_Q^{+}v / v^TC^{+}v \le 1` (0 for an infinite bound).
    recipe : list of str
        What to build, one line per sensor (or one for a joint readout).
    settings : list of dict
        Per sensor, the numbers: ``{"family": "axis", "theta": ..., "phi": ..., "axis": [x, y,
        z]}``, ``{"family": "unitary", "unitary": (d, d) array}`` or ``{"family": "phase",
        "phase": ...}``; empty for the SLD readout.
    """

    name: str
    povm: POVM
    cfim: np.ndarray
    bound: float
    ratio: float
    recipe: list[str]
    settings: list[dict]


@dataclasses.dataclass
class ReadoutReport:
    r"""The SLD readout and the best local readout of a probe, against its QFIM bound.

    Attributes
    ----------
    phi : numpy.ndarray
        The working point both readouts are built for.
    network : Network
        The space the state is read out on (the probe's network, or one with full-basis
        ensembles when the noise leaves their symmetric subspaces).
    state : Qobj
        The state read out (before the encoding): the probe, or its noisy density matrix.
    probe_network : Network
        The network of the probe (:attr:`OptimalProbe.network`).
    noise : NoiseModel or None
        The noise at the interrogation time (pass it to :func:`~qsn_qutip.simulate_task`).
    qfim : numpy.ndarray
        :math:`F_Q` of :attr:`state` (per shot).
    qfim_bound : float
        :math:`v^TF_Q^{+}v` in the units of :attr:`OptimalProbe.bound` (it is that bound).
    sld, local : Readout
        The SLD readout and the best local readout found.
    starts : list of float
        The local bound reached from every start (the first: the sensors' default readouts).
    measured_on : str
        ``""`` on the probe's network, else the space the state is read out on.
    task : dict
        ``v``, ``weights``, ``repeats`` of the probe's task.
    per : {"shot", "time"}
    """

    phi: np.ndarray
    network: Network
    state: qutip.Qobj
    probe_network: Network
    noise: NoiseModel | None
    qfim: np.ndarray
    qfim_bound: float
    sld: Readout
    local: Readout
    starts: list[float]
    measured_on: str
    task: dict
    per: str

    def rows(self) -> list[tuple[str, str, str]]:
        """(what, bound, ratio) per line of the table."""
        return [("QFIM bound (the probe's)", number_text(self.qfim_bound, 7), "1"),
                (self.sld.name, number_text(self.sld.bound, 7), f"{self.sld.ratio:.9g}"),
                (self.local.name, number_text(self.local.bound, 7), f"{self.local.ratio:.9g}")]

    def notes(self) -> list[str]:
        unit = "per unit time" if self.per == "time" else "per shot"
        out = [f"bounds {unit}; ratio = QFIM bound / CFIM bound (1: the readout reaches the "
               f"probe's bound); working point phi = {np.round(self.phi, 6).tolist()}"]
        if self.measured_on:
            out.append(f"read out on {self.measured_on}")
        out += [f"SLD readout: {line}" for line in self.sld.recipe]
        out += [f"local readout: {line}" for line in self.local.recipe]
        return out

    def __str__(self) -> str:
        width = max(len(r[0]) for r in self.rows())
        lines = [f"{'readout':<{width}}  {'bound':>12}  ratio"]
        lines += [f"{a:<{width}}  {b:>12}  {c}" for a, b, c in self.rows()]
        return "\n".join(lines + [f"note: {n}" for n in self.notes()])

    def __repr__(self) -> str:
        return (f"ReadoutReport(qfim_bound={self.qfim_bound:.6g}, sld_ratio={self.sld.ratio:.6g}"
                f", local_ratio={self.local.ratio:.6g})")

    def _repr_html_(self) -> str:
        return html_table(["readout", "bound", "QFIM bound / bound"], self.rows(),
                          caption="the measurement for the probe found", notes=self.notes())

    def to_dict(self) -> dict:
        """Every number (JSON-ready; the POVMs as their names)."""
        def one(r: Readout) -> dict:
            return {"name": r.name, "bound": r.bound, "ratio": r.ratio, "cfim": r.cfim,
                    "recipe": r.recipe, "settings": r.settings}
        return json_ready({"phi": self.phi, "qfim": self.qfim, "qfim_bound": self.qfim_bound,
                           "sld": one(self.sld), "local": one(self.local),
                           "starts": self.starts, "measured_on": self.measured_on or None,
                           "task": self.task, "per": self.per, "dims": self.network.ket_dims},
                          finite=False)


# ----------------------------------------------------------------------------------------
# the readouts
# ----------------------------------------------------------------------------------------
def _sld(measured: MeasuredState, encoded: EncodedState, task: Task, phi: np.ndarray,
         fq: np.ndarray) -> tuple[POVM, np.ndarray, str]:
    r"""(POVM, CFIM, what it is) of the SLD readout along :math:`u = F_Q^{+}v`.

    A weighted task of several parameters has no single direction: the better of the joint
    eigenbasis of a generic combination :math:`u = F_Q^{+}(\sqrt{w}\circ c)` and the local SLD
    readout of each sensor (:func:`~qsn_qutip.measurement.sld_readout`, Proposition 2: it
    saturates the QFIM of a product probe)."""
    pinv = np.linalg.pinv(fq, rcond=tolerances.rank_rtol, hermitian=True)
    joint = ("a joint measurement of all sensors" if len(measured.network.sensors) > 1
             else "a collective measurement of the sensor")
    if task.v is not None or fq.shape[0] == 1:
        u = pinv @ (task.v if task.v is not None else np.ones(1))
        povm = joint_sld_readout(measured.network, measured.state, phi, direction=u)
        return povm, encoded.cfim(povm), f"{joint}: the eigenbasis of the SLD along u = F^+ v"
    generic = 1 + np.arange(fq.shape[0]) / (np.pi * fq.shape[0])
    povm = joint_sld_readout(measured.network, measured.state, phi,
                             direction=pinv @ (np.sqrt(task.weights) * generic))
    found = [(povm, encoded.cfim(povm), f"{joint}: the eigenbasis of the SLD along a generic "
                                        f"direction u = F^+ (sqrt(w) c)")]
    try:
        povm = sld_readout(measured.network, measured.state, phi)
        found.append((povm, encoded.cfim(povm), "each sensor in the eigenbasis of its own SLD "
                                                "(Proposition 2)"))
    except QSNError:
        pass                                     # a sensor with several parameters
    return min(found, key=lambda item: task.bound(item[1]))


def _noise_at(result: OptimalProbe, noise) -> NoiseModel | None:
    """The noise of the interrogation the probe was optimised for, at its time."""
    if noise is None:
        noise = getattr(result, "noise", None)
    if noise is not None and not isinstance(noise, NoiseModel):
        raise QSNError(f"noise must be a NoiseModel or None, got {type(noise).__name__}")
    if result.time is None:
        if noise is not None:
            raise QSNError("noise: the probe was optimised without noise (result.time is None); "
                           "give no noise")
        return None
    if noise is None:
        raise QSNError(f"noise: the probe was optimised under noise (time = {result.time:g}); "
                       f"give the NoiseModel optimal_probe was given (noise=...)")
    if noise.time is None:
        return dataclasses.replace(noise, time=result.time)
    if not np.isclose(noise.time, result.time, rtol=tolerances.readout_match_rtol, atol=0.0):
        raise QSNError(f"noise.time = {noise.time:g} differs from the probe's interrogation "
                       f"time {result.time:g}")
    return noise


def _readout(name: str, povm: POVM, fc: np.ndarray, task: Task, scale: float,
             qfim_bound: float, recipe: list[str], settings: list[dict]) -> Readout:
    bound = task.bound(fc) / scale
    ratio = qfim_bound / bound if np.isfinite(bound) and bound > 0 else 0.0
    return Readout(name, povm, fc, bound, ratio, recipe, settings)


def optimal_readout(result: OptimalProbe, *, noise: NoiseModel | None = None,
                    phi: Sequence[float] | None = None, seed: int | None = None,
                    restarts: int = 4, local: str = "spin") -> ReadoutReport:
    r"""The SLD readout and the best local readout of a probe found by :func:`~qsn_qutip.optimal_probe`.

    On the state as it is read out, :math:`\rho` (the probe, or its noisy state after the
    interrogation), encoded at the working point :math:`\phi`, with the task's bound
    :math:`B_Q = v^TF_Q^{+}v` (or :math:`\mathrm{tr}(WF_Q^{+})`):

    * the SLD readout, the eigenbasis of :math:`\hat L_u = \sum_ku_k\hat L_k`,
      :math:`u = F_Q^{+}v`, whose CFIM satisfies :math:`Cu = v`, :math:`u^TCu = B_Q`, so
      :math:`v^TC^{+}v = B_Q` (ratio 1; for one parameter :math:`C = F_Q`);
    * the best local readout, :math:`\hat E_{x} = \bigotimes_k U_k|x_k\rangle\langle x_k|
      U_k^\dagger` with :math:`U_k` in the family of sensor k (module docstring: a spin
      axis, an arbitrary basis, or a phase), minimising :math:`v^TC(\phi)^{+}v` from the
      sensors' default readouts and ``restarts`` seeded random starts;

    each with its CFIM :math:`C_{kl} = \sum_x\partial_kp_x\partial_lp_x/p_x`, its bound
    :math:`v^TC^{+}v` and the ratio :math:`B_Q/v^TC^{+}v \le 1`.  Bounds are in the units of
    :attr:`OptimalProbe.bound` (divided by the repeats :math:`\mu`, and by the time per unit
    time).

    Parameters
    ----------
    result : OptimalProbe
    noise : NoiseModel, optional
        The noise the probe was optimised under (default ``result.noise`` where the result
        carries it; required for a noisy probe otherwise; ``time=None`` takes the probe's
        time).  The QFIM of the noisy state is checked against ``result.qfim``.
    phi : sequence of float, optional
        The working point (default 0, one entry per parameter).
    seed : int, optional
        Seeds the random starts of the local search.
    restarts : int
        Random starts besides the default readouts.
    local : {"spin", "unitary"}
        The family of local readouts (module docstring).

    Returns
    -------
    ReadoutReport

    Raises
    ------
    QSNError
        A ``result`` that is no OptimalProbe, noise missing or not the one of the probe, bad
        ``phi``, ``seed``, ``restarts`` or ``local``; a noisy state too large to read out
        (:func:`~qsn_qutip.measurement.noisy.measured_state`); a weighted task the probe
        cannot estimate.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble, optimal_probe
    >>> from qsn_qutip.noise import NoiseModel
    >>> noise = NoiseModel(dephasing=0.2, time=1.0)
    >>> best = optimal_probe(Network([QubitEnsemble(3)]), noise=noise, seed=1)
    >>> report = optimal_readout(best, noise=noise, seed=1)
    >>> round(report.sld.ratio, 9), report.local.ratio <= 1, report.network.ket_dims
    (1.0, True, [2, 2, 2])

    The readout runs in a simulated experiment (:func:`~qsn_qutip.simulate_task`, at the
    working point)::

        simulate_task(best.network, ("optimal", best.state), povm=report.sld.povm,
                      noise=report.noise, phi=report.phi, repeats=100, trials=400, seed=1)
    """
    if not isinstance(result, OptimalProbe):
        raise QSNError(f"result must be an OptimalProbe (what optimal_probe returns), got "
                       f"{type(result).__name__}")
    noise = _noise_at(result, noise)
    restarts = as_positive_int(restarts, "restarts", minimum=0)
    if seed is not None:
        seed = as_positive_int(seed, "seed", minimum=0)
    if local not in LOCAL_KINDS:
        raise QSNError(f"local must be one of {LOCAL_KINDS}, got {local!r}")
    network = result.network
    point = np.zeros(network.n_params) if phi is None else as_real_vector(
        phi, "phi", length=network.n_params)
    task = Task(network.n_params, v=result.task["v"], weights=result.task["weights"])
    scale = result.task["repeats"] * (result.time if result.per == "time" else 1.0)
    measured = measured_state(result.state, network, noise)
    _check_qfim(measured.qfim, np.asarray(result.qfim))
    fq = measured.qfim
    qfim_bound = task.bound(fq) / scale
    if not np.isfinite(qfim_bound):
        raise QSNError("the probe cannot estimate the task (its QFIM bound is infinite): no "
                       "readout can")
    encoded = EncodedState(measured, point)
    povm, fc, what = _sld(measured, encoded, task, point, fq)
    sld = _readout("SLD readout", povm, fc, task, scale, qfim_bound,
                   [f"{what} (POVM {povm.name!r}, {len(povm)} outcomes)"], [])
    search = LocalSearch(measured.network, encoded, CFIMObjective(task, fq),
                         families(measured.network, local))
    found = search.run(np.random.default_rng(seed), restarts)
    starts = [task.bound(encoded.cfim(search.povm(x))) / scale for _, x in found]
    x = min(found, key=lambda item: item[0])[1]
    povm, parts = search.povm(x), search.split(x)
    recipe = [f"{measured.network.which(k)}: {f.recipe(xk)}"
              for k, (f, xk) in enumerate(zip(search.families, parts))]
    best = _readout("best local readout", povm, encoded.cfim(povm), task, scale, qfim_bound,
                    recipe, [f.setting(xk) for f, xk in zip(search.families, parts)])
    return ReadoutReport(point, measured.network, measured.state, network, noise, fq,
                         qfim_bound, sld, best, starts, measured.note, dict(result.task),
                         result.per)


def _check_qfim(found: np.ndarray, expected: np.ndarray) -> None:
    size = max(np.abs(expected).max(), np.abs(found).max(), 1e-300)
    gap = np.abs(found - expected).max() / size
    if gap > tolerances.readout_match_rtol:
        raise QSNError(f"noise: the QFIM of the state read out differs from the probe's by "
                       f"{gap:.2g} (relative): give the NoiseModel optimal_probe was given")
