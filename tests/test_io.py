"""Result files: atomic writes are durable (fsync of the file before the rename, of the
directory after), leftovers of killed writes are cleaned up (only those), a disk-full write
is one clear error that leaves the previous file intact, and output places are checked before
any work."""

import errno
import os
import subprocess
import sys
import time

import pytest

from qsn_qutip import QSNError
from qsn_qutip._io import atomic_path, writable_path
from qsn_qutip.sweep import SweepResult


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name an fd")
def test_atomic_write_syncs_the_file_before_the_rename_and_the_directory_after(
        tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", _fd_path(fd)))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "r.txt"
    with atomic_path(out) as tmp:
        tmp.write_text("new")
    kinds = [kind for kind, _ in events]
    assert kinds == ["fsync", "replace", "fsync"], events
    assert events[0][1].endswith(".tmp") and events[0][1].startswith(str(tmp_path))
    assert events[1][1] == str(out)
    assert events[2][1] == str(tmp_path)                      # the directory entry
    assert out.read_text() == "new"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_next_write_removes_stale_temporaries_of_that_target_only(tmp_path):
    dead, old = _dead_pid(), time.time() - 3600
    stale = tmp_path / f".r.csv.{dead}.0123abcd.tmp"          # a killed write of r.csv
    keep = {
        tmp_path / f".other.csv.{dead}.0123abcd.tmp": old,     # another target
        tmp_path / ".r.csv.tmp": old,                          # not the exact pattern
        tmp_path / f".r.csv.{dead}.0123abcd.tmp.bak": old,
        tmp_path / f".r.csv.{os.getppid()}.0123abcd.tmp": old,  # its writer still runs
        tmp_path / f".r.csv.{dead}.89abcdef.tmp": None,        # newer than this process
        tmp_path / "notes.txt": old,
    }
    for path, mtime in [(stale, old), *keep.items()]:
        path.write_text("x")
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    with atomic_path(tmp_path / "r.csv") as tmp:
        tmp.write_text("a,b\n")
    assert not stale.exists()
    assert all(path.exists() for path in keep)
    assert (tmp_path / "r.csv").read_text() == "a,b\n"


def test_a_block_that_fails_leaves_the_previous_file_and_no_temporary(tmp_path):
    out = tmp_path / "r.txt"
    out.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(out) as tmp:
            tmp.write_text("half")
            raise RuntimeError("stop")
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.txt"]


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_disk_full_is_one_clear_error_and_the_previous_file_stays(tmp_path, monkeypatch,
                                                                  where):
    out = tmp_path / "r.csv"
    out.write_text("old,complete\n")
    full = OSError(errno.ENOSPC, "No space left on device")
    if where == "fsync":
        def fsync(fd):
            raise full
        monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(QSNError, match=r"cannot write .*r\.csv: No space left on device") \
            as info:
        with atomic_path(out) as tmp, open(tmp, "w") as handle:
            handle.write("new,")
            if where == "write":
                raise full
            handle.write("partial\n")
    assert isinstance(info.value.__cause__, OSError)
    assert info.value.__cause__.errno == errno.ENOSPC
    assert out.read_text() == "old,complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_sweep_result_to_csv_on_a_full_disk(tmp_path, monkeypatch):
    out = tmp_path / "r.csv"
    result = SweepResult([{"n": 1, "x": 2.0}, {"n": 2, "x": 3.0}], ["n"])
    result.to_csv(out)
    before = out.read_bytes()

    class FullWriter:
        def __init__(self, handle, **_):
            self.handle = handle

        def writerow(self, row):
            self.handle.write("1,")
            raise OSError(errno.ENOSPC, "No space left on device")

    import csv
    monkeypatch.setattr(csv, "writer", FullWriter)
    bigger = SweepResult([{"n": 1, "x": 5.0}], ["n"])
    with pytest.raises(QSNError, match="No space left on device"):
        bigger.to_csv(out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_writable_path_refuses_what_cannot_be_written(tmp_path):
    assert writable_path(tmp_path / "new.csv", "--out") == tmp_path / "new.csv"
    with pytest.raises(QSNError, match="--out: .* is a directory"):
        writable_path(tmp_path, "--out")
    with pytest.raises(QSNError, match="the directory .*missing does not exist"):
        writable_path(tmp_path / "missing" / "r.csv", "--out")
    (tmp_path / "file").write_text("x")
    with pytest.raises(QSNError, match="is not a directory"):
        writable_path(tmp_path / "file" / "r.csv", "--plot")
    assert list(tmp_path.iterdir()) == [tmp_path / "file"]     # nothing created


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes anywhere; needs POSIX permissions")
def test_writable_path_refuses_an_unwritable_place(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(QSNError, match="no permission to write in"):
            writable_path(locked / "r.csv", "--out")
        readonly = tmp_path / "ro.jsonl"
        readonly.write_text("")
        readonly.chmod(0o400)
        with pytest.raises(QSNError, match="no permission to write this file"):
            writable_path(readonly, "--checkpoint", in_place=True)
    finally:
        locked.chmod(0o700)
