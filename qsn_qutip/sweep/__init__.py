"""Parameter sweeps: a function over a grid, locally in processes or on a Dask cluster.

>>> from qsn_qutip.sweep import sweep
>>> result = sweep(lambda n: {"square": n * n}, {"n": [1, 2, 3]}, backend="serial",
...                progress_bar=False)
>>> [row["square"] for row in result]
[1, 4, 9]

* ``grid`` is a dict of named axes (their Cartesian product, the first axis slowest) or an
  explicit list of points (dicts).  ``function(**point)`` returns a dict of named results (or
  one number, stored as ``value``).
* Backends: ``"processes"`` (default: a process pool sized to the machine, no setup; the
  function must be picklable, i.e. defined at module level — a lambda or a local function is
  refused with a :class:`~qsn_qutip.errors.QSNError` before anything runs), ``"threads"``,
  ``"serial"`` and ``"dask"`` (``dask.distributed``: the cluster at
  ``scheduler="tcp://host:8786"``, or a ``LocalCluster`` when no address is given; optional
  extra ``dask``).  Every backend gives the same numbers.
* ``progress_bar``: QuTiP's names — ``"text"`` (lines on stderr), ``"tqdm"`` (optional), or
  ``False`` / ``""``.
* ``checkpoint=PATH``: every finished point is appended to a JSON-lines file and synced to
  disk (``os.fsync``) before the next one is recorded; a crash can at worst leave one
  incomplete last line, which is dropped on reading.  Running the same sweep again skips the
  finished points and resumes.  The file starts with a fingerprint of what determines the
  numbers (the function and the arguments a ``functools.partial`` binds, or your own
  ``fingerprint=``; the grid; the tolerances; the package version): any other sweep is
  refused, naming what differs.  A file that is not a checkpoint is never modified, and a
  checkpoint is locked while a sweep uses it (:mod:`qsn_qutip.sweep.checkpoint`).
* Threads: in the parallel backends every point runs with one BLAS thread
  (:func:`threadpoolctl.threadpool_limits`), so that the workers, not BLAS, share the cores.
* A point that raises is recorded with its error (``row["error"]``) and the sweep goes on;
  :attr:`SweepResult.failed` lists them.  So is a point whose worker process the OS kills
  (``WorkerDied``): the other points are computed in a fresh pool and no worker outlives the
  sweep (:mod:`qsn_qutip.sweep.core`).
* Results are written atomically (:meth:`SweepResult.to_csv`); a write that fails (disk
  full) raises :class:`~qsn_qutip.errors.QSNError` and leaves the previous file intact.

Modules: :mod:`~qsn_qutip.sweep.core` (grids, backends, :func:`sweep`),
:mod:`~qsn_qutip.sweep.checkpoint`, :mod:`~qsn_qutip.sweep.results` (:class:`SweepResult`),
:mod:`~qsn_qutip.sweep.variations` (``qsn sweep --vary``: :func:`parse_vary`, :func:`varied`,
:func:`model_point`).
"""

from .core import BACKENDS, PROGRESS_BARS, WORKER_DIED, grid_points, sweep
from .results import SweepResult
from .variations import model_point, parse_vary, varied

__all__ = ["sweep", "SweepResult", "grid_points", "BACKENDS", "PROGRESS_BARS", "WORKER_DIED",
           "parse_vary", "varied", "model_point"]
