"""The sweep itself: a function over a grid, on a backend, with progress and a checkpoint.

Process pools
-------------
At most ``workers`` points are in flight at a time, so that the points in flight are known
when a worker process dies (killed by a signal, or by the OS when memory runs out: the pool
breaks, :class:`concurrent.futures.process.BrokenProcessPool`).  Those points are then rerun
one at a time in a fresh one-worker pool: a point that kills its worker even alone is recorded
as failed (``row["error"]`` starts with ``WorkerDied``), the others are computed, and the sweep
goes on with a fresh pool.  Every pool is shut down (its workers joined) before the sweep
returns or raises, and a worker whose sweep process was killed outright (``kill -9``) ends
itself within a second: no worker outlives its sweep.
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import math
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import threadpoolctl

from .._io import json_ready
from ..errors import QSNError
from .checkpoint import Checkpoint, fingerprint_parts, function_name, point_key
from .results import ERROR, SweepResult

__all__ = ["sweep", "grid_points", "BACKENDS", "PROGRESS_BARS", "WORKER_DIED"]

BACKENDS = ("processes", "threads", "serial", "dask")
PROGRESS_BARS = ("text", "tqdm", "", False, None)
#: the error recorded for a point whose worker process died even when run alone
WORKER_DIED = ("WorkerDied: the process computing this point ended abruptly (killed by a "
               "signal, or by the OS, e.g. out of memory); the sweep went on without it")


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
# backends: each yields (index into todo, result) as points finish
# ----------------------------------------------------------------------------------------
def _run_serial(function, todo: list[dict]) -> Iterator[tuple[int, dict]]:
    for index, point in enumerate(todo):
        yield index, _evaluate(function, point)


def _run_threads(function, todo: list[dict], workers: int) -> Iterator[tuple[int, dict]]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(workers, len(todo)))
    try:
        futures = {pool.submit(_evaluate, function, point, 1): index
                   for index, point in enumerate(todo)}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()
    finally:                    # stopped early (an error, Ctrl-C): drop the queued points
        pool.shutdown(wait=True, cancel_futures=True)


def _outcome(future: concurrent.futures.Future) -> dict | None:
    """The result of a finished future; None when its worker process died."""
    try:
        return future.result()
    except BrokenProcessPool:
        return None
    except Exception as err:    # e.g. a result that cannot be sent back
        return {ERROR: f"{type(err).__name__}: {err}"}


def _watch_parent(parent: int, period: float = 0.5) -> None:
    """Pool-worker initializer: end this worker when the sweep's process is gone (killed with
    ``kill -9``, which gives it no chance to stop its pool), instead of waiting forever for
    work as an orphan."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(period)
        os._exit(1)

    threading.Thread(target=watch, name="qsn-sweep-parent-watch", daemon=True).start()


def _pool_round(function, todo: list[dict], queue: collections.deque, size: int,
                suspects: collections.deque | None) -> Iterator[tuple[int, dict]]:
    """One process pool of ``size`` workers running the points of ``queue`` (at most ``size``
    in flight) until the queue is empty or a worker dies.  When one dies, the points then in
    flight go to ``suspects``; a point run alone (``suspects=None``) is recorded as failed."""
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=size, initializer=_watch_parent,
                                                  initargs=(os.getpid(),))
    in_flight: dict[concurrent.futures.Future, int] = {}
    try:
        while queue or in_flight:
            while queue and len(in_flight) < size:
                index = queue.popleft()
                in_flight[pool.submit(_evaluate, function, todo[index], 1)] = index
            done, _ = concurrent.futures.wait(in_flight,
                                              return_when=concurrent.futures.FIRST_COMPLETED)
            broken = False
            if any(isinstance(future.exception(), BrokenProcessPool) for future in done):
                concurrent.futures.wait(in_flight)     # the pool fails every pending future
                done, broken = set(in_flight), True
            for future in done:
                index = in_flight.pop(future)
                result = _outcome(future)
                if result is not None:
                    yield index, result
                elif suspects is None:
                    yield index, {ERROR: WORKER_DIED}
                else:
                    suspects.append(index)
            if broken:
                return
    finally:                    # no worker outlives the round (queued points are dropped)
        pool.shutdown(wait=True, cancel_futures=True)


def _run_processes(function, todo: list[dict], workers: int) -> Iterator[tuple[int, dict]]:
    """Process pools that survive a worker killed by the OS (see the module docstring)."""
    waiting = collections.deque(range(len(todo)))
    suspects: collections.deque = collections.deque()
    while waiting or suspects:
        if suspects:            # rerun each point that was in flight, alone
            yield from _pool_round(function, todo, suspects, 1, None)
        else:
            yield from _pool_round(function, todo, waiting, min(workers, len(waiting)),
                                   suspects)


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
                try:
                    result = future.result()
                except Exception as err:   # e.g. KilledWorker: a worker died on this point
                    result = {ERROR: f"{type(err).__name__}: {err}"}
                yield futures[future], result
    finally:
        if cluster is not None:
            cluster.close()


# ----------------------------------------------------------------------------------------
# the sweep
# ----------------------------------------------------------------------------------------
def _check_arguments(function, backend, scheduler, workers, connect_timeout,
                     progress_bar) -> None:
    """Refuse bad arguments before anything is opened or run."""
    if progress_bar not in (*PROGRESS_BARS, True) or isinstance(progress_bar, (int, float)) \
            and not isinstance(progress_bar, bool):
        raise QSNError(f"progress_bar must be one of {list(PROGRESS_BARS)}, got "
                       f"{progress_bar!r}")
    if backend not in BACKENDS:
        raise QSNError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise QSNError("scheduler goes with backend='dask'")
    if not callable(function):
        raise QSNError(f"function must be callable, got {function!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise QSNError(f"workers must be a positive integer, got {workers!r}")
    if isinstance(connect_timeout, bool) or not isinstance(connect_timeout, (int, float)) \
            or not (math.isfinite(connect_timeout) and connect_timeout > 0):
        raise QSNError(f"connect_timeout must be a positive number of seconds, got "
                       f"{connect_timeout!r}")
    if backend == "processes":
        try:
            pickle.dumps(function)
        except Exception as err:
            raise QSNError(f"function {function_name(function)} cannot be sent to worker "
                           f"processes ({type(err).__name__}: {err}): define it at module "
                           f"level (not a lambda or a local function), or use "
                           f"backend='threads' or 'serial'") from None


def _runner(function, todo, backend, scheduler, workers, connect_timeout):
    workers = workers or os.cpu_count() or 1
    if backend == "serial":
        return _run_serial(function, todo)
    if backend == "threads":
        return _run_threads(function, todo, workers)
    if backend == "processes":
        return _run_processes(function, todo, workers)
    return _run_dask(function, todo, scheduler, workers, connect_timeout)


def sweep(function: Callable[..., Any], grid, *, backend: str = "processes",
          scheduler: str | None = None, progress_bar="text",
          checkpoint: str | os.PathLike | None = None, fingerprint: Any = None,
          workers: int | None = None, connect_timeout: float = 20.0) -> SweepResult:
    """Map ``function`` over ``grid`` and return one row per point (see the package docstring).

    Parameters
    ----------
    function : callable
        Called as ``function(**point)``; returns a dict of results or one value.  With
        ``backend="processes"`` it must be picklable: defined at module level (a
        :func:`functools.partial` of one is fine), not a lambda or a local function.
    grid : dict of sequences, or list of dicts
    backend : {"processes", "threads", "serial", "dask"}
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``backend="dask"``).
    progress_bar : {"text", "tqdm", False}
    checkpoint : path, optional
        A JSON-lines file of finished points; rerunning the same sweep resumes from it, and
        a sweep whose numbers could differ (another function, bound arguments, fingerprint,
        grid, tolerances or package version) is refused
        (:mod:`qsn_qutip.sweep.checkpoint`).  Locked while the sweep runs.
    fingerprint : JSON-serialisable, optional
        What else determines the numbers and the sweep cannot see inside ``function``: a
        model's content or hash, parameters captured in a closure, the version of your own
        code.  It replaces the automatic digest of the arguments a :func:`functools.partial`
        binds.  Used only with ``checkpoint``.
    workers : int, optional
        Size of the local pool (default: the machine's cores).
    connect_timeout : float
        Seconds to keep trying to reach the Dask scheduler (``backend="dask"``) before
        giving up with a :class:`QSNError`.

    Returns
    -------
    SweepResult

    Raises
    ------
    QSNError
        For bad arguments, an unusable checkpoint (not a checkpoint, another sweep's, in use
        by a running sweep, damaged), or a checkpoint write that fails (disk full: the points
        recorded before are kept).  Nothing is computed before the checkpoint is checked.
    """
    _check_arguments(function, backend, scheduler, workers, connect_timeout, progress_bar)
    points = grid_points(grid)
    axes = list(points[0]) if isinstance(grid, Mapping) else list(dict.fromkeys(
        k for p in points for k in p))
    keys = [point_key(p) for p in points]
    store = None
    if checkpoint is not None:
        store = Checkpoint(checkpoint, fingerprint_parts(function, points, fingerprint),
                           set(keys))
    try:
        results: dict[str, dict] = dict(store.done) if store else {}
        todo = [p for k, p in dict(zip(keys, points)).items() if k not in results]
        bar = _progress(progress_bar, len(points))
        for _ in range(len(points) - len(todo)):
            bar.update()
        if todo:
            for index, result in _runner(function, todo, backend, scheduler, workers,
                                         connect_timeout):
                if store:
                    store.record(todo[index], result)
                results[point_key(todo[index])] = result
                bar.update()
        bar.finished()
    finally:
        if store:
            store.close()
    return SweepResult([{**point, **results[key]} for point, key in zip(points, keys)], axes)
