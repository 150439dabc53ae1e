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
  function must be picklable, i.e. defined at module level), ``"threads"``, ``"serial"`` and
  ``"dask"`` (``dask.distributed``: the cluster at ``scheduler="tcp://host:8786"``, or a
  ``LocalCluster`` when no address is given; optional extra ``dask``).  Every backend gives
  the same numbers.
* ``progress_bar``: QuTiP's names — ``"text"`` (lines on stderr), ``"tqdm"`` (optional), or
  ``False`` / ``""``.
* ``checkpoint=PATH``: every finished point is appended to a JSON-lines file and flushed to
  disk (``os.fsync``) before the next one is recorded; a crash can at worst leave one
  incomplete last line, which is dropped on reading.  Running the same sweep again skips the
  finished points and resumes.  The file starts with a fingerprint of the grid and the
  function: another sweep refuses to use it.
* Threads: in the parallel backends every point runs with one BLAS thread
  (:func:`threadpoolctl.threadpool_limits`), so that the workers, not BLAS, share the cores.
* A point that raises is recorded with its error (``row["error"]``) and the sweep goes on;
  :attr:`SweepResult.failed` lists them.
"""

from __future__ import annotations

import concurrent.futures
import copy
import csv
import dataclasses
import hashlib
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import threadpoolctl

from .errors import QSNError
from ._io import atomic_path, json_ready
from .modelfile import model_from_dict
from .options import tolerances

__all__ = ["sweep", "SweepResult", "grid_points", "BACKENDS", "PROGRESS_BARS", "parse_vary",
           "varied", "model_point"]

BACKENDS = ("processes", "threads", "serial", "dask")
PROGRESS_BARS = ("text", "tqdm", "", False, None)
ERROR = "error"


def grid_points(grid: Mapping[str, Sequence] | Sequence[Mapping[str, Any]]) -> list[dict]:
    """The points of ``grid``: the product of named axes, or the given list of dicts."""
    if isinstance(grid, Mapping):
        if not grid:
            raise QSNError("grid must name at least one axis")
        names = list(grid)
        axes = []
        for name in names:
            values = grid[name]
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise QSNError(f"grid[{name!r}] must be a list of values, got {values!r}")
            values = list(values)
            if not values:
                raise QSNError(f"grid[{name!r}] is empty")
            axes.append(values)
        return [dict(zip(names, combo)) for combo in itertools.product(*axes)]
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Sequence) or not grid:
        raise QSNError("grid must be a dict of named axes or a non-empty list of points")
    points = []
    for k, point in enumerate(grid):
        if not isinstance(point, Mapping) or not point:
            raise QSNError(f"grid[{k}] must be a dict of named values, got {point!r}")
        points.append(dict(point))
    return points


def _key(point: Mapping[str, Any]) -> str:
    return json.dumps(json_ready(point, finite=False), sort_keys=True)


def _evaluate(function: Callable, point: dict, blas_threads: int | None = None) -> dict:
    """Run one point; a raised exception becomes ``{"error": "Type: message"}``.

    ``blas_threads`` caps the BLAS threads of this point (parallel workers use 1, so that the
    pool, not BLAS, uses the cores: oversubscribed OpenBLAS threads were measured here to slow
    a 1024 x 1024 eigh about 10x).
    """
    try:
        with threadpoolctl.threadpool_limits(blas_threads):
            out = function(**point)
    except Exception as err:  # a failing point must not kill the sweep
        return {ERROR: f"{type(err).__name__}: {err}"}
    if not isinstance(out, Mapping):
        out = {"value": out}
    return json_ready(dict(out), finite=False)


# ----------------------------------------------------------------------------------------
# checkpoints
# ----------------------------------------------------------------------------------------
def _fingerprint(function: Callable, points: list[dict]) -> str:
    name = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"
    digest = hashlib.sha256(json.dumps([name, [_key(p) for p in points]]).encode())
    return digest.hexdigest()[:16]


class _Checkpoint:
    """An append-only JSON-lines file of finished points (first line: the sweep's fingerprint)."""

    def __init__(self, path: str | os.PathLike, fingerprint: str):
        self.path = Path(path)
        self.done: dict[str, dict] = {}
        if self.path.exists():
            self._load(fingerprint)
        else:
            if not self.path.parent.is_dir():
                raise QSNError(f"checkpoint: the directory {self.path.parent} does not exist")
            self._append({"sweep": fingerprint})

    def _load(self, fingerprint: str) -> None:
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        if tail:  # an interrupted write: drop the incomplete last line
            with open(self.path, "r+b") as handle:
                handle.truncate(len(raw) - len(tail))
        try:
            records = [json.loads(line) for line in complete if line.strip()]
        except json.JSONDecodeError:
            raise QSNError(f"checkpoint {self.path} is not a qsn sweep checkpoint") from None
        if not records or records[0].get("sweep") != fingerprint:
            raise QSNError(f"checkpoint {self.path} belongs to another sweep (different grid "
                           f"or function): remove it or choose another file")
        for record in records[1:]:
            self.done[record["key"]] = record["result"]

    def _append(self, record: dict) -> None:
        line = (json.dumps(record, allow_nan=True) + "\n").encode()
        with open(self.path, "ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def record(self, point: dict, result: dict) -> None:
        key = _key(point)
        self.done[key] = result
        self._append({"key": key, "result": result})


# ----------------------------------------------------------------------------------------
# progress
# ----------------------------------------------------------------------------------------
class _TextBar:
    """QuTiP's text progress bar, on stderr (stdout stays clean for tables and JSON)."""

    def __init__(self, total: int, chunk: int = 10):
        self.total, self.count, self.start = total, 0, time.time()
        self.step = max(1, math.ceil(total * chunk / 100))

    def update(self) -> None:
        self.count += 1
        if self.count % self.step == 0 or self.count == self.total:
            elapsed = time.time() - self.start
            left = elapsed * (self.total - self.count) / self.count
            print(f"{100 * self.count / self.total:5.1f}%. Run time: {elapsed:7.2f}s. "
                  f"Est. time left: {left:7.2f}s", file=sys.stderr, flush=True)

    def finished(self) -> None:
        print(f"Total run time: {time.time() - self.start:7.2f}s", file=sys.stderr, flush=True)


class _TqdmBar:
    def __init__(self, total: int):
        try:
            import tqdm
        except ImportError:
            raise QSNError("progress_bar='tqdm' needs tqdm: pip install 'qsn_qutip[sweep]'") \
                from None
        self.bar = tqdm.tqdm(total=total, file=sys.stderr)

    def update(self) -> None:
        self.bar.update()

    def finished(self) -> None:
        self.bar.close()


class _NoBar:
    def __init__(self, total: int):
        pass

    def update(self) -> None:
        pass

    def finished(self) -> None:
        pass


def _progress(kind, total: int):
    if kind in ("", False, None):
        return _NoBar(total)
    if kind in ("text", True):
        return _TextBar(total)
    if kind == "tqdm":
        return _TqdmBar(total)
    raise QSNError(f"progress_bar must be one of {list(PROGRESS_BARS)}, got {kind!r}")


# ----------------------------------------------------------------------------------------
# backends
# ----------------------------------------------------------------------------------------
def _run_local(function, todo: list[dict], backend: str, workers: int | None):
    """Yield (index, result) as points finish."""
    if backend == "serial":
        for index, point in enumerate(todo):
            yield index, _evaluate(function, point)
        return
    pool_type = (concurrent.futures.ProcessPoolExecutor if backend == "processes"
                 else concurrent.futures.ThreadPoolExecutor)
    workers = workers or os.cpu_count() or 1
    with pool_type(max_workers=min(workers, len(todo))) as pool:
        futures = {pool.submit(_evaluate, function, point, 1): index
                   for index, point in enumerate(todo)}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()


def _run_dask(function, todo: list[dict], scheduler: str | None, workers: int | None,
              connect_timeout: float):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise QSNError("backend='dask' needs dask.distributed: pip install "
                       "'qsn_qutip[dask]'") from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
    try:
        try:
            client = Client(cluster if cluster is not None else scheduler,
                            timeout=f"{connect_timeout}s")
        except (OSError, TimeoutError) as err:
            raise QSNError(f"cannot reach the Dask scheduler {scheduler!r}: {err}") from None
        with client:
            futures = {client.submit(_evaluate, function, point, 1, pure=False): index
                       for index, point in enumerate(todo)}
            for future in as_completed(futures):
                yield futures[future], future.result()
    finally:
        if cluster is not None:
            cluster.close()


# ----------------------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class SweepResult:
    """The rows of a sweep, in grid order: the axes, then the results (or ``error``).

    Attributes
    ----------
    rows : list of dict
    axes : list of str
        The names of the grid's axes (the first columns).
    """

    rows: list[dict]
    axes: list[str]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def columns(self) -> list[str]:
        """Axis names, then every result name in order of appearance."""
        names = list(self.axes)
        for row in self.rows:
            names.extend(k for k in row if k not in names)
        return names

    @property
    def failed(self) -> list[dict]:
        """The rows whose function raised (with the error message in ``row["error"]``)."""
        return [row for row in self.rows if row.get(ERROR)]

    def column(self, name: str) -> list:
        """One column (``None`` where a row lacks it)."""
        return [row.get(name) for row in self.rows]

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the table as CSV, atomically (temporary file + rename)."""
        columns = self.columns
        with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in self.rows:
                writer.writerow(["" if row.get(c) is None else
                                 json.dumps(row[c]) if isinstance(row[c], (list, dict))
                                 else row[c] for c in columns])
        return Path(path)

    def to_pandas(self):
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas
        except ImportError:
            raise QSNError("to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame(self.rows, columns=self.columns)


def sweep(function: Callable[..., Any], grid, *, backend: str = "processes",
          scheduler: str | None = None, progress_bar="text",
          checkpoint: str | os.PathLike | None = None,
          workers: int | None = None, connect_timeout: float = 20.0) -> SweepResult:
    """Map ``function`` over ``grid`` and return one row per point (see the module docstring).

    Parameters
    ----------
    function : callable
        Called as ``function(**point)``; returns a dict of results or one value.
    grid : dict of sequences, or list of dicts
    backend : {"processes", "threads", "serial", "dask"}
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``backend="dask"``).
    progress_bar : {"text", "tqdm", False}
    checkpoint : path, optional
        A JSON-lines file of finished points; rerunning resumes from it.
    workers : int, optional
        Size of the local pool (default: the machine's cores).
    connect_timeout : float
        Seconds to keep trying to reach the Dask scheduler (``backend="dask"``) before
        giving up with a :class:`QSNError`.

    Returns
    -------
    SweepResult
    """
    if backend not in BACKENDS:
        raise QSNError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise QSNError("scheduler goes with backend='dask'")
    if not callable(function):
        raise QSNError(f"function must be callable, got {function!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise QSNError(f"workers must be a positive integer, got {workers!r}")
    if isinstance(connect_timeout, bool) or not isinstance(connect_timeout, (int, float)) \
            or not (math.isfinite(connect_timeout) and connect_timeout > 0):
        raise QSNError(f"connect_timeout must be a positive number of seconds, got "
                       f"{connect_timeout!r}")
    points = grid_points(grid)
    axes = list(points[0]) if isinstance(grid, Mapping) else list(dict.fromkeys(
        k for p in points for k in p))
    bar = _progress(progress_bar, len(points))
    store = _Checkpoint(checkpoint, _fingerprint(function, points)) if checkpoint else None
    results: dict[str, dict] = dict(store.done) if store else {}
    todo = [p for p in points if _key(p) not in results]
    for _ in range(len(points) - len(todo)):
        bar.update()
    if todo:
        runner = (_run_dask(function, todo, scheduler, workers, connect_timeout)
                  if backend == "dask"
                  else _run_local(function, todo, backend, workers))
        for index, result in runner:
            results[_key(todo[index])] = result
            if store:
                store.record(todo[index], result)
            bar.update()
    bar.finished()
    rows = [{**point, **results[_key(point)]} for point in points]
    return SweepResult(rows, axes)


# ----------------------------------------------------------------------------------------
# variations of a model file (``qsn sweep --vary``)
# ----------------------------------------------------------------------------------------
def _value(text: str):
    """A number when ``text`` reads as one (int before float), else the string itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_vary(spec: str) -> tuple[str, list]:
    """``"sensor.left.n=2:40:2"`` -> ``("sensor.left.n", [2, 4, ..., 40])``.

    Values: ``start:stop:step`` (stop included), a comma list ``0,0.01,0.02``, or one value.

    Examples
    --------
    >>> parse_vary("sensor.left.n=2:8:2")
    ('sensor.left.n', [2, 4, 6, 8])
    >>> parse_vary("repeats=1,10")
    ('repeats', [1, 10])
    """
    path, sep, values = spec.partition("=")
    path, values = path.strip(), values.strip()
    if not sep or not path or not values:
        raise QSNError(f"--vary {spec!r}: expected KEY=VALUES, e.g. sensor.left.n=2:40:2 or "
                       f"noise.dephasing=0,0.01")
    if values.count(":") == 2 and "," not in values:
        start, stop, step = (_value(v) for v in values.split(":"))
        if not all(isinstance(v, (int, float)) for v in (start, stop, step)) or step <= 0 \
                or stop < start:
            raise QSNError(f"--vary {spec!r}: start:stop:step needs numbers with step > 0 and "
                           f"stop >= start")
        count = int(math.floor((stop - start) / step + tolerances.ratio_rtol)) + 1
        grid = [start + k * step for k in range(count)]
        if isinstance(start, float) or isinstance(step, float):
            grid = [round(v, 12) for v in grid]
        return path, grid
    return path, [_value(v.strip()) for v in values.split(",")]


def varied(raw: dict, assignments: dict, origin: str = "<string>") -> dict:
    """A copy of the model dict ``raw`` with dotted-path ``assignments`` applied.

    A path is ``key``, ``table.key``, or ``sensor.NAME.key`` where NAME is a sensor's ``name``
    or its 1-based position.

    Examples
    --------
    >>> varied({"sensor": [{"name": "left", "n": 2}]}, {"sensor.left.n": 4, "task.weights": [1]})
    {'sensor': [{'name': 'left', 'n': 4}], 'task': {'weights': [1]}}
    """
    out = copy.deepcopy(raw)
    for path, value in assignments.items():
        parts = path.split(".")
        target = out
        if parts[0] == "sensor":
            if len(parts) != 3:
                raise QSNError(f"{origin}: --vary {path}: expected sensor.NAME.key")
            sensors = out.get("sensor", [])
            named = [s for s in sensors if isinstance(s, dict) and s.get("name") == parts[1]]
            if not named and parts[1].isdigit() and 1 <= int(parts[1]) <= len(sensors):
                named = [sensors[int(parts[1]) - 1]]
            if len(named) != 1:
                names = [s.get("name", str(k + 1)) for k, s in enumerate(sensors)]
                raise QSNError(f"{origin}: --vary {path}: no sensor named {parts[1]!r}; "
                               f"sensors are {names} (or 1..{len(sensors)})")
            target, parts = named[0], parts[2:]
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise QSNError(f"{origin}: --vary {path}: {part} is not a table")
        target[parts[-1]] = value
    return out


def model_point(raw: dict, origin: str, **assignments) -> dict:
    """Bounds of every probe of the model ``raw`` varied by ``assignments`` (a sweep point).

    Returns one column per probe (its bound; ``None`` when it does not apply or cannot
    estimate the task) and the verdict (``best``, ``ratio``).
    """
    result = model_from_dict(varied(raw, assignments, origin), origin).compare()
    summary = result.to_dict()
    row = {p["name"]: p["bound"] for p in summary["probes"]}
    row.update(best=summary["verdict"]["best"], ratio=summary["verdict"]["ratio"])
    return row
