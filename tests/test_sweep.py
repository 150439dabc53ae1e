"""Sweeps: the same numbers on every backend, checkpoints that survive a kill, failing points
recorded, progress shown, and `qsn sweep` through the console script."""

import contextlib
import csv
import functools
import io
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from qsn_qutip import QSNError
from qsn_qutip.cli import main
from qsn_qutip.modelfile import read_toml
from qsn_qutip.sweep import SweepResult, grid_points, model_point, parse_vary, sweep, varied

MODELS = Path(__file__).resolve().parent.parent / "models"
GRADIENT = MODELS / "gradient_magnetometer.toml"


def gradient_point():
    raw = read_toml(GRADIENT.read_text(), str(GRADIENT))
    return functools.partial(model_point, raw, str(GRADIENT))


GRID = {"sensor.left.n": [2, 4], "sensor.right.n": [2, 4]}


def test_grid_points_product_and_list():
    assert grid_points({"a": [1, 2], "b": "xy"[:1] and ["x"]}) == [{"a": 1, "b": "x"},
                                                                   {"a": 2, "b": "x"}]
    assert grid_points([{"a": 1}, {"a": 3}]) == [{"a": 1}, {"a": 3}]
    for bad in ({}, {"a": []}, {"a": 3}, [], [{"a": 1}, 5], "abc"):
        with pytest.raises(QSNError):
            grid_points(bad)


@pytest.mark.parametrize("backend", ["serial", "threads", "processes"])
def test_backends_give_identical_numbers(backend):
    reference = sweep(gradient_point(), GRID, backend="serial", progress_bar=False)
    result = sweep(gradient_point(), GRID, backend=backend, progress_bar=False, workers=2)
    assert result.rows == reference.rows
    # closed forms: equal halves -> GHZ-like ||v||_1^2/N^2, local GHZ twice that
    row = result.rows[-1]
    assert row["ghz"] == pytest.approx(2 / 64, rel=1e-12)
    assert row["local-ghz"] == pytest.approx(4 / 64, rel=1e-12)
    assert result.rows[1]["ghz"] is None          # 2 + 4 is not proportional to |v|


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_numbers():
    pytest.importorskip("dask.distributed")
    reference = sweep(gradient_point(), GRID, backend="serial", progress_bar=False)
    result = sweep(gradient_point(), GRID, backend="dask", progress_bar=False, workers=2)
    assert result.rows == reference.rows


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("dask.distributed")
    with pytest.raises(QSNError, match="cannot reach the Dask scheduler"):
        sweep(gradient_point(), GRID, backend="dask", scheduler="tcp://127.0.0.1:9",
              progress_bar=False, connect_timeout=1)


def test_failing_point_is_recorded_and_the_sweep_goes_on():
    result = sweep(gradient_point(), {"sensor.left.n": [0, 4], "sensor.right.n": [4]},
                   backend="serial", progress_bar=False)
    assert len(result) == 2 and len(result.failed) == 1
    assert "sensor.1.n" in result.failed[0]["error"]
    assert result.rows[1]["ghz"] == pytest.approx(2 / 64, rel=1e-12)


def test_text_progress_bar_goes_to_stderr(capsys):
    sweep(gradient_point(), GRID, backend="serial", progress_bar="text")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "100.0%" in captured.err and "Total run time" in captured.err


def test_results_to_csv_is_atomic_and_complete(tmp_path):
    result = sweep(gradient_point(), GRID, backend="serial", progress_bar=False)
    path = result.to_csv(tmp_path / "r.csv")
    rows = list(csv.DictReader(path.open()))
    assert [r["sensor.left.n"] for r in rows] == ["2", "2", "4", "4"]
    assert float(rows[3]["ghz"]) == pytest.approx(2 / 64, rel=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_checkpoint_resumes_and_refuses_another_sweep(tmp_path):
    check = tmp_path / "points.jsonl"
    calls = []

    def f(n):
        calls.append(n)
        return {"square": n * n}

    sweep(f, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=check)
    with check.open("ab") as handle:               # an interrupted write of one more line
        handle.write(b'{"key": "{\\"n\\": 3}", "resu')
    result = sweep(f, {"n": [1, 2, 3]}, backend="serial", progress_bar=False,
                   checkpoint=tmp_path / "other.jsonl")
    assert [r["square"] for r in result] == [1, 4, 9]
    calls.clear()
    with pytest.raises(QSNError, match="another sweep"):
        sweep(f, {"n": [1, 2, 3]}, backend="serial", progress_bar=False, checkpoint=check)
    resumed = sweep(f, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=check)
    assert [r["square"] for r in resumed] == [1, 4] and calls == []   # nothing recomputed
    assert check.read_bytes().endswith(b"\n")                          # the torn line is gone


SLOW_SWEEP = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from qsn_qutip.sweep import sweep

    marks = Path(sys.argv[2])

    def slow(n):
        (marks / f"{n}-{time.time_ns()}").touch()
        time.sleep(0.3)
        return {"square": n * n}

    result = sweep(slow, {"n": list(range(8))}, backend="serial", progress_bar=False,
                   checkpoint=sys.argv[1])
    print(sum(r["square"] for r in result))
""")


@pytest.mark.slow
def test_killed_sweep_resumes_without_losing_finished_points(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW_SWEEP)
    check, marks = tmp_path / "check.jsonl", tmp_path / "marks"
    marks.mkdir()
    proc = subprocess.Popen([sys.executable, str(script), str(check), str(marks)])
    deadline = time.time() + 60
    while time.time() < deadline:
        if check.exists() and check.read_text().count("\n") >= 4:   # header + 3 points
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = check.read_text().count("\n") - 1
    assert 3 <= finished < 8
    done = subprocess.run([sys.executable, str(script), str(check), str(marks)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == str(sum(n * n for n in range(8)))
    runs = [p.name.split("-")[0] for p in marks.iterdir()]
    # every point ran once, except at most the one in flight when the process was killed
    assert sorted(set(runs)) == [str(n) for n in range(8)]
    assert len(runs) <= 8 + 1


def test_sweep_result_columns_and_pandas():
    result = SweepResult([{"a": 1, "x": 2.0}, {"a": 2, "error": "E: no"}], ["a"])
    assert result.columns == ["a", "x", "error"]
    assert result.column("x") == [2.0, None]
    pandas = pytest.importorskip("pandas")
    assert isinstance(result.to_pandas(), pandas.DataFrame)


def test_parse_vary_and_varied():
    assert parse_vary("sensor.left.n=2:40:2")[1] == list(range(2, 41, 2))
    assert parse_vary("noise.dephasing=0,0.01,0.02") == ("noise.dephasing", [0, 0.01, 0.02])
    assert parse_vary("x=0:0.3:0.1")[1] == [0.0, 0.1, 0.2, 0.3]
    raw = read_toml(GRADIENT.read_text())
    changed = varied(raw, {"sensor.2.n": 6, "repeats": 10})
    assert changed["sensor"][1]["n"] == 6 and changed["repeats"] == 10
    assert raw["sensor"][1]["n"] == 4                      # the original is untouched
    for spec in ("n", "=3", "x=1:0:1", "x=a:b:c"):
        with pytest.raises(QSNError, match="--vary"):
            parse_vary(spec)
    with pytest.raises(QSNError, match="no sensor named 'middle'"):
        varied(raw, {"sensor.middle.n": 2})


def qsn(*args, cwd=None):
    """``qsn ARGS`` through the real console script (a Python subprocess)."""
    return subprocess.run([sys.executable, "-m", "qsn_qutip", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=180)


def qsn_in_process(*args, cwd=None):
    """``qsn ARGS`` in-process (``main(argv)``, output captured), as a CompletedProcess."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd or os.getcwd()), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_qsn_sweep_writes_csv_and_plot(tmp_path):
    out, pic = tmp_path / "r.csv", tmp_path / "r.png"
    done = qsn("sweep", GRADIENT, "--vary", "sensor.left.n=2:4:2", "--vary",
               "sensor.right.n=2,4", "--backend", "serial", "--out", out, "--plot", pic)
    assert done.returncode == 0, done.stderr
    assert "100.0%" in done.stderr
    assert len(list(csv.DictReader(out.open()))) == 4 and pic.stat().st_size > 1000


def test_qsn_sweep_exit_codes(tmp_path):
    failed = qsn_in_process("sweep", GRADIENT, "--vary", "sensor.left.n=4,0", "--backend",
                            "serial", "--progress", "")
    assert failed.returncode == 1
    assert "1 of 2 points failed" in failed.stderr and "Traceback" not in failed.stderr
    bad = qsn_in_process("sweep", GRADIENT, "--vary", "sensor.left.nn=2,4", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "nn" in bad.stderr and list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------
# data safety: fingerprints by content, locks, files that are not checkpoints, dead workers
# ----------------------------------------------------------------------------------------
def square(n, offset=0):
    return {"square": n * n + offset}


def test_checkpoint_fingerprints_the_bound_arguments_and_the_callers_fingerprint(tmp_path):
    check = tmp_path / "c.jsonl"
    sweep(functools.partial(square, offset=0), {"n": [1, 2]}, backend="serial",
          progress_bar=False, checkpoint=check)
    before = check.read_bytes()
    # same function name, same grid, other numbers: refused, naming the file and the part
    with pytest.raises(QSNError, match=r"c\.jsonl belongs to another sweep \(the function's "
                                       r"bound arguments differ\)"):
        sweep(functools.partial(square, offset=10), {"n": [1, 2]}, backend="serial",
              progress_bar=False, checkpoint=check)
    assert check.read_bytes() == before
    other = tmp_path / "d.jsonl"
    sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=other,
          fingerprint={"model": "A"})
    with pytest.raises(QSNError, match=r"the fingerprint \(the model or parameters\) differ"):
        sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=other,
              fingerprint={"model": "B"})
    again = sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False,
                  checkpoint=other, fingerprint={"model": "A"})
    assert [r["square"] for r in again] == [1, 4]


def test_checkpoint_fingerprints_the_tolerances_and_names_the_function(tmp_path):
    from qsn_qutip.options import tolerances
    check = tmp_path / "c.jsonl"
    sweep(square, {"n": [1]}, backend="serial", progress_bar=False, checkpoint=check)
    with tolerances(atol=1e-6), pytest.raises(QSNError, match="the tolerances differ"):
        sweep(square, {"n": [1]}, backend="serial", progress_bar=False, checkpoint=check)
    with pytest.raises(QSNError, match=r"the function \(was .*square, now .*gradient_point"):
        sweep(gradient_point, {"n": [1]}, backend="serial", progress_bar=False,
              checkpoint=check)


def _two_models(tmp_path):
    text = GRADIENT.read_text()
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(text)
    b.write_text(text.replace("[[sensor]]", "repeats = 7\n\n[[sensor]]", 1)
                 if "repeats" not in text else
                 "\n".join("repeats = 7" if line.startswith("repeats") else line
                           for line in text.splitlines()) + "\n")
    assert a.read_text() != b.read_text()
    return a, b


def test_qsn_sweep_never_serves_one_models_checkpoint_to_another(tmp_path, run_qsn):
    a, b = _two_models(tmp_path)
    check = tmp_path / "points.jsonl"
    args = ["--vary", "sensor.left.n=2,4", "--backend", "serial", "--progress", "",
            "--checkpoint", check]
    first = run_qsn("sweep", a, *args)
    assert first.returncode == 0, first.stderr
    before = check.read_bytes()
    other = run_qsn("sweep", b, *args)
    assert other.returncode == 2 and len(other.stderr.strip().splitlines()) == 1
    assert "points.jsonl belongs to another sweep" in other.stderr
    assert "fingerprint" in other.stderr and "Traceback" not in other.stderr
    assert check.read_bytes() == before
    again = run_qsn("sweep", a, *args)                      # the same model resumes
    assert again.returncode == 0 and again.stdout == first.stdout


def test_a_second_sweep_on_a_checkpoint_in_use_is_refused(tmp_path):
    check = tmp_path / "c.jsonl"
    seen = []

    def nested(n):
        if n == 1:          # while the outer sweep holds the checkpoint
            try:
                sweep(nested, {"n": [1, 2]}, backend="serial", progress_bar=False,
                      checkpoint=check)
            except QSNError as err:
                seen.append(str(err))
        return {"square": n * n}

    result = sweep(nested, {"n": [1, 2]}, backend="serial", progress_bar=False,
                   checkpoint=check)
    assert [r["square"] for r in result] == [1, 4]
    assert len(seen) == 1 and "c.jsonl is in use by another sweep" in seen[0]


def test_a_checkpoint_locked_by_another_process_is_refused(tmp_path):
    pytest.importorskip("fcntl")
    check = tmp_path / "c.jsonl"
    sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=check)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\n"
         "f = open(sys.argv[1], 'a+b'); fcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('locked', flush=True); time.sleep(30)", str(check)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(QSNError, match="in use by another sweep that is still running"):
            sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False,
                  checkpoint=check)
    finally:
        holder.kill()
        holder.wait()
    resumed = sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False,
                    checkpoint=check)
    assert [r["square"] for r in resumed] == [1, 4]


@pytest.mark.parametrize("content", [b"[network]\nname = 'x'\nrepeats = 3",
                                     b"[network]\nname = 'x'\n", b"no newline at all",
                                     b'{"sweep": "0123456789abcdef"}\n{"key": "torn'])
def test_a_file_that_is_not_a_checkpoint_is_never_modified(tmp_path, content):
    path = tmp_path / "model.toml"
    path.write_bytes(content)
    with pytest.raises(QSNError, match="model.toml"):
        sweep(square, {"n": [1]}, backend="serial", progress_bar=False, checkpoint=path)
    assert path.read_bytes() == content


def test_qsn_sweep_with_the_model_file_as_checkpoint_leaves_it_intact(tmp_path, run_qsn):
    model = tmp_path / "m.toml"
    model.write_text(GRADIENT.read_text().rstrip("\n"))      # last line without a newline
    before = model.read_bytes()
    done = run_qsn("sweep", model, "--vary", "sensor.left.n=2,4", "--backend", "serial",
                   "--checkpoint", model)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "not a qsn sweep checkpoint" in done.stderr
    assert model.read_bytes() == before


@pytest.mark.parametrize("line, why", [
    (b"[1, 2]\n", "line 3: not a recorded point"),
    (b'{"key": 5, "result": {}}\n', "line 3: not a recorded point"),
    (b'{"key": "{\\"n\\": 1}", "result": 7}\n', "line 3: not a recorded point"),
    (b"garbage\n", r"line 3: not a recorded point \(not JSON\)"),
    (b'{"key": "{\\"n\\": 99}", "result": {}}\n', "not in this sweep's grid"),
])
def test_wrong_shaped_checkpoint_lines_are_one_clear_error(tmp_path, line, why):
    check = tmp_path / "c.jsonl"
    sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=check)
    lines = check.read_bytes().splitlines(keepends=True)
    damaged = lines[0] + lines[1] + line + b"".join(lines[2:])
    check.write_bytes(damaged)
    with pytest.raises(QSNError, match=why):
        sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False, checkpoint=check)
    assert check.read_bytes() == damaged


def test_a_torn_header_is_restarted(tmp_path):
    check = tmp_path / "c.jsonl"
    check.write_bytes(b'{"qsn_sweep_checkpoint": 2, "finger')      # killed while creating
    result = sweep(square, {"n": [1, 2]}, backend="serial", progress_bar=False,
                   checkpoint=check)
    assert [r["square"] for r in result] == [1, 4]
    assert check.read_text().count("\n") == 3


def test_disk_full_while_recording_a_point_keeps_the_checkpoint_whole(tmp_path, monkeypatch):
    import errno
    check = tmp_path / "c.jsonl"
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        if stat.S_ISREG(os.fstat(fd).st_mode):
            calls.append(fd)
        if len(calls) == 3:            # header, first point, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(QSNError, match=r"c\.jsonl: No space left on device .*the checkpoint "
                                       r"keeps the 1 point recorded before: rerun to resume"):
        sweep(square, {"n": [1, 2, 3]}, backend="serial", progress_bar=False,
              checkpoint=check)
    monkeypatch.undo()
    lines = check.read_text().splitlines()
    assert len(lines) == 2 and check.read_text().endswith("\n")      # header + point 1
    resumed = sweep(square, {"n": [1, 2, 3]}, backend="serial", progress_bar=False,
                    checkpoint=check)
    assert [r["square"] for r in resumed] == [1, 4, 9]


def test_lambda_or_local_function_with_processes_is_a_clear_error():
    def local(n):
        return n

    for function in (lambda n: n, local):
        with pytest.raises(QSNError, match=r"function .* cannot be sent to worker processes.*"
                                           r"module level.*backend='threads'"):
            sweep(function, {"n": [1, 2]}, progress_bar=False, workers=2)


def killed_on_two(n):
    """Kill the worker process computing n = 2 (as the OS's out-of-memory killer would)."""
    if n == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"square": n * n}


def _children() -> set[int]:
    """This process's live children (pool workers are multiprocessing children; psutil, when
    installed, also sees any other kind)."""
    import multiprocessing
    pids = {p.pid for p in multiprocessing.active_children()}
    try:
        import psutil
    except ImportError:
        return pids
    return pids | {p.pid for p in psutil.Process().children(recursive=True)
                   if p.is_running() and p.status() != psutil.STATUS_ZOMBIE}


def test_a_worker_killed_by_the_os_fails_its_point_and_the_sweep_goes_on(tmp_path):
    before = _children()
    check = tmp_path / "c.jsonl"
    start = time.perf_counter()
    result = sweep(killed_on_two, {"n": list(range(6))}, backend="processes", workers=2,
                   progress_bar=False, checkpoint=check)
    assert time.perf_counter() - start < 20
    assert [r.get("square") for r in result] == [0, 1, None, 9, 16, 25]
    assert [r["n"] for r in result.failed] == [2]
    assert result.failed[0]["error"].startswith("WorkerDied")
    assert _children() <= before                           # no worker outlives the sweep
    assert check.read_text().count("\n") == 7              # header + every point, once


def test_qsn_sweep_checks_every_output_place_before_computing(tmp_path, run_qsn,
                                                              monkeypatch):
    import qsn_qutip.sweep

    def never(*args, **kwargs):
        raise AssertionError("the sweep ran before its output places were checked")

    monkeypatch.setattr(qsn_qutip.sweep, "sweep", never)
    (tmp_path / "dir.csv").mkdir()
    (tmp_path / "dir.png").mkdir()
    (tmp_path / "dir.jsonl").mkdir()
    cases = [("--out", tmp_path / "dir.csv", "is a directory"),
             ("--plot", tmp_path / "dir.png", "is a directory"),
             ("--checkpoint", tmp_path / "dir.jsonl", "is a directory"),
             ("--checkpoint", tmp_path / "missing" / "c.jsonl", "does not exist"),
             ("--out", tmp_path / "missing" / "r.csv", "does not exist")]
    for option, path, why in cases:
        done = run_qsn("sweep", GRADIENT, "--vary", "sensor.left.n=2,4", option, path)
        assert done.returncode == 2, (option, path, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and why in done.stderr
    assert not (tmp_path / "missing").exists()


POOL_SWEEP = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from qsn_qutip.sweep import sweep

    def slow(n):
        (Path(sys.argv[1]) / str(os.getpid())).touch()
        time.sleep(0.2)
        return {"n": n}

    if __name__ == "__main__":
        sweep(slow, {"n": list(range(100))}, workers=2, progress_bar=False)
""")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_workers_end_when_the_sweep_process_is_killed(tmp_path):
    script, marks = tmp_path / "pool.py", tmp_path / "marks"
    script.write_text(POOL_SWEEP)
    marks.mkdir()
    proc = subprocess.Popen([sys.executable, str(script), str(marks)])
    deadline = time.time() + 30
    while time.time() < deadline and len(list(marks.iterdir())) < 2:
        time.sleep(0.05)
    workers = [int(p.name) for p in marks.iterdir()]
    assert len(workers) == 2 and all(_running(pid) for pid in workers)
    proc.send_signal(signal.SIGKILL)                  # no chance to stop its pool
    proc.wait()
    deadline = time.time() + 5
    while time.time() < deadline and any(_running(pid) for pid in workers):
        time.sleep(0.05)
    left = [pid for pid in workers if _running(pid)]
    for pid in left:                                  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, "pool workers outlived their sweep"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name an fd")
def test_qsn_sweep_on_a_full_disk_is_one_line_and_keeps_the_old_csv(tmp_path, run_qsn,
                                                                     monkeypatch):
    import errno
    out = tmp_path / "r.csv"
    out.write_text("old,complete\n")
    real_fsync = os.fsync

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    done = run_qsn("sweep", GRADIENT, "--vary", "sensor.left.n=2,4", "--backend", "serial",
                   "--progress", "", "--out", out)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "r.csv: No space left on device" in done.stderr
    assert out.read_text() == "old,complete\n" and [p.name for p in tmp_path.iterdir()] == \
        ["r.csv"]
