r"""Where is the dipole? Position error ellipses of a 3 x 3 magnetometer array.

Nine 87Rb cells (F = 2, :math:`10^4` atoms each, product states) on a square grid of pitch
1 cm in the plane z = 0 sense :math:`B_z`; a point dipole of moment
:math:`\mathbf m = (0, 0, 10^{-7})` A m^2 sits a depth d = 2 cm below the plane.  Its
position :math:`(x_0, y_0, z_0)` is estimated with the moment as three nuisance parameters
(:class:`~qsn_qutip.magnetometry.DipoleField`, the Jacobian at the true point): the Fisher
information is :math:`J^TFJ` with :math:`F = \mathrm{diag}(n)` the QFIM of the phases of
product states (:class:`~qsn_qutip.magnetometry.probing.PhaseFisher`, n times one atom), and
the covariance bound of :math:`(x_0, y_0)` after one second of shots of t = 1 ms plus 1 ms
dead time is drawn as an ellipse at every true position (left; colour: the geometric mean of
the two standard deviations).  Right: the three position sensitivities of a dipole below the
array against its depth — they grow as about :math:`d^4` while it is shallow (the field falls
as :math:`d^{-3}`,
its change with position as :math:`d^{-4}`) and steeper once the dipole is deeper than the
array is wide, where a change of the nuisance moment mimics most of a shift.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from .._checks import as_positive_int
from ..magnetometry import DipoleField, FieldTask, SensorArray
from ..magnetometry.probing import PhaseFisher
from ..network import Network
from ..sensors import QubitEnsemble
from .output import write_csv
from .style import COLOURS, new_axes, styled

__all__ = ["DipoleMapData", "compute", "to_csv", "plot"]

NAMES = ["x0", "y0", "z0"]


@dataclasses.dataclass(frozen=True)
class DipoleMapData:
    """Position sensitivities of the dipole over the plane and against depth.

    Attributes
    ----------
    sensors : numpy.ndarray
        (9, 3) sensor positions, m.
    x, y : numpy.ndarray
        The true dipole positions of the map (m), flattened grid.
    covariance : numpy.ndarray
        (len(x), 3, 3) covariance of (x0, y0, z0) after one second, m^2 (= (m/sqrt(Hz))^2).
    depths : numpy.ndarray
        Depths (m) of the right panel, the dipole below the array centre (offset ``offset``).
    eta : numpy.ndarray
        (len(depths), 3) sensitivities to x0, y0, z0 there, m/sqrt(Hz).
    depth, moment, atoms, t, dead_time : float
    offset : (float, float)
    """

    sensors: np.ndarray
    x: np.ndarray
    y: np.ndarray
    covariance: np.ndarray
    depths: np.ndarray
    eta: np.ndarray
    depth: float
    moment: float
    atoms: int
    t: float
    dead_time: float
    offset: tuple[float, float]


def _covariance(array: SensorArray, F: np.ndarray, moment, point, t: float,
                cycle: float) -> np.ndarray:
    task = FieldTask(array, DipoleField(moment, point), estimate=NAMES)
    return task.covariance(F, t, NAMES) * cycle


def compute(grid: int = 9, extent: float = 0.02, depth: float = 0.02, moment: float = 1e-7,
            atoms: int = 10 ** 4, pitch: float = 0.01, t: float = 1e-3,
            dead_time: float = 1e-3, depths: Sequence[float] = tuple(np.geomspace(5e-3, 0.1,
                                                                                  12)),
            offset: tuple[float, float] = (0.002, 0.003)) -> DipoleMapData:
    """The covariance of the dipole's position on a grid of true positions and against depth.

    Examples
    --------
    >>> data = compute(grid=2, depths=(0.02,))
    >>> data.covariance.shape, data.eta.shape
    ((4, 3, 3), (1, 3))
    """
    grid = as_positive_int(grid, "grid")
    atoms = as_positive_int(atoms, "atoms")
    coords = (np.arange(3) - 1) * pitch
    sensors = np.array([[x, y, 0.0] for y in coords for x in coords])
    network = Network([QubitEnsemble(atoms) for _ in sensors])
    array = SensorArray(network, sensors.tolist(), species="87Rb F=2")
    F = PhaseFisher("product", network, np.ones(len(sensors)), None, None)(t)
    m = [0.0, 0.0, moment]
    cycle = t + dead_time
    xs = np.linspace(-extent, extent, grid) if grid > 1 else np.zeros(1)
    x, y = (a.ravel() for a in np.meshgrid(xs, xs))
    covariance = np.array([_covariance(array, F, m, [a, b, -depth], t, cycle)
                           for a, b in zip(x, y)])
    depths = np.asarray(depths, dtype=float)
    eta = np.array([np.sqrt(np.diag(_covariance(array, F, m, [*offset, -d], t, cycle)))
                    for d in depths])
    return DipoleMapData(sensors, x, y, covariance, depths, eta, depth, moment, atoms, t,
                         dead_time, tuple(offset))


def to_csv(data: DipoleMapData, path: str | os.PathLike) -> None:
    """Rows ``map`` (true x0, y0 at the depth; covariance entries) then rows ``depth``."""
    count, deep = len(data.x), len(data.depths)
    cov = data.covariance
    columns = {
        "series": ["map"] * count + ["depth"] * deep,
        "x0_m": [*data.x, *[data.offset[0]] * deep],
        "y0_m": [*data.y, *[data.offset[1]] * deep],
        "depth_m": [data.depth] * count + list(data.depths),
        "eta_x0_m_per_sqrtHz": [*np.sqrt(cov[:, 0, 0]), *data.eta[:, 0]],
        "eta_y0_m_per_sqrtHz": [*np.sqrt(cov[:, 1, 1]), *data.eta[:, 1]],
        "eta_z0_m_per_sqrtHz": [*np.sqrt(cov[:, 2, 2]), *data.eta[:, 2]],
        "cov_x0_y0_m2_per_Hz": [*cov[:, 0, 1], *[math.nan] * deep],
    }
    write_csv(path, columns, comments=[
        f"3 x 3 array of 87Rb F=2 cells, pitch {abs(data.sensors[1, 0] - data.sensors[0, 0]):g}"
        f" m, {data.atoms} atoms each in a product state, sensing B_z; dipole m = (0, 0, "
        f"{data.moment:g}) A m^2, the moment a nuisance",
        f"t = {data.t:g} s, dead time {data.dead_time:g} s: covariance bound [(J^T F J)^+] of "
        f"(x0, y0, z0) times (t + t_d), i.e. after one second (m^2/Hz)",
        "series map: the dipole at (x0, y0, -depth); series depth: below the array at the "
        "offset (x0, y0)"])


def _ellipse(ax, centre, cov2: np.ndarray, scale: float, **style) -> None:
    values, vectors = np.linalg.eigh(cov2)
    angle = math.degrees(math.atan2(vectors[1, 1], vectors[0, 1]))
    ax.add_patch(Ellipse(centre, 2 * scale * math.sqrt(max(values[1], 0)),
                         2 * scale * math.sqrt(max(values[0], 0)), angle=angle, **style))


@styled
def plot(data: DipoleMapData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, np.ndarray]:
    """Left: error ellipses over the plane.  Right: sensitivities against depth.

    Parameters
    ----------
    data : DipoleMapData
    fig_ax : (Figure, two Axes), optional

    Returns
    -------
    (Figure, numpy.ndarray of two Axes)
    """
    fig, axes = new_axes(fig_ax, ncols=2, figsize=(11.0, 5.0))
    left, right = axes
    mm = 1e3
    cov = data.covariance
    spread = np.sqrt(np.sqrt(np.clip(cov[:, 0, 0] * cov[:, 1, 1] - cov[:, 0, 1] ** 2, 0,
                                     None)))
    side = int(round(math.sqrt(len(data.x))))
    step = (data.x.max() - data.x.min()) / max(side - 1, 1) or 0.01
    if side > 1:
        microns = spread * 1e6
        norm = LogNorm(microns.min(), microns.max()) if np.ptp(microns) > 0 else None
        image = left.pcolormesh(data.x.reshape(side, side) * mm, data.y.reshape(side, side) * mm,
                                microns.reshape(side, side), shading="nearest", cmap="Blues",
                                norm=norm, alpha=0.55)
        fig.colorbar(image, ax=left, label=r"$(\sigma_{x}\sigma_{y})^{1/2}$ after 1 s  [µm]")
    for centre, c in zip(zip(data.x * mm, data.y * mm), cov):
        major = math.sqrt(max(np.linalg.eigvalsh(c[:2, :2]).max(), 1e-300))
        _ellipse(left, centre, c[:2, :2], 0.45 * step * mm / major, facecolor="none",
                 edgecolor=COLOURS["entangled"], lw=1.0)
    left.plot(data.sensors[:, 0] * mm, data.sensors[:, 1] * mm, "s", color="0.2", ms=9,
              mfc="gold", ls="none")
    left.set_aspect("equal")
    left.set_xlabel(r"dipole $x_0$  [mm]")
    left.set_ylabel(r"dipole $y_0$  [mm]")
    left.set_title(f"$m_z$ = {data.moment:g} A m$^2$, {data.depth * 100:g} cm below the cells "
                   f"(squares):\n1σ ellipses of $(x_0, y_0)$, shape scaled to fit, size in "
                   f"colour", fontsize=9.5)
    labels = (r"$x_0$", r"$y_0$", r"$z_0$ (depth)")
    for k, (label, marker) in enumerate(zip(labels, "os^")):
        right.plot(data.depths * 100, data.eta[:, k] * 1e6, marker + "-", ms=4, label=label)
    width = np.ptp(data.sensors[:, 0])
    right.axvline(width * 100, color="0.5", ls=":", lw=1, label="array width")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("depth of the dipole below the array  d  [cm]")
    right.set_ylabel(r"position sensitivity  [µm/$\sqrt{\mathrm{Hz}}$]")
    right.set_title(f"below the centre (offset {data.offset[0] * mm:g}, "
                    f"{data.offset[1] * mm:g}) mm")
    right.legend(loc="upper left")
    fig.suptitle(f"Localising a magnetic dipole: 3 x 3 Rb array, {data.atoms:g} atoms per cell, "
                 f"t = {data.t * 1e3:g} ms + {data.dead_time * 1e3:g} ms dead time")
    return fig, axes
