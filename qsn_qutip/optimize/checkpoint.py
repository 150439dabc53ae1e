r"""A checkpoint of an :func:`~qsn_qutip.optimal_probe` call: every finished search, resumable.

The file is JSON: a fingerprint of the call (network, task, noise, constraint, seed, search
options, package version) and, per finished search (one allocation at one time), the probe's
amplitudes, the runs and the history.  A resumed call re-evaluates the stored probes (cheap) and
searches only what is missing; each search draws its random starts from a generator seeded by
the call's seed and the search's own key, so a resumed call returns what an uninterrupted one
would.  A file that is not a checkpoint of the same call is never modified (QSNError).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .._io import atomic_path, json_ready, writable_path
from ..errors import QSNError

__all__ = ["Checkpoint", "search_rng", "fingerprint"]

KIND = "qsn_qutip optimal_probe checkpoint"


def fingerprint(description: dict) -> str:
    """sha256 of the call's description (JSON with sorted keys)."""
    text = json.dumps(json_ready(description, finite=False), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def search_rng(entropy: int, key: str) -> np.random.Generator:
    """The generator of one search: the call's entropy and a stable hash of the search key."""
    digest = hashlib.sha256(key.encode()).digest()
    spawn = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=spawn))


class Checkpoint:
    """The finished searches of one call, kept in memory and (with a path) on disk."""

    def __init__(self, path: str | os.PathLike | None, description: dict):
        self.path = None if path is None else writable_path(path, "checkpoint", in_place=True)
        self.fingerprint = fingerprint(description)
        self.searches: dict[str, dict] = {}
        if self.path is not None and self.path.exists() and self.path.stat().st_size:
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise QSNError(f"checkpoint {str(self.path)!r} exists and is not a checkpoint; "
                           f"not touching it (choose another path)") from None
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise QSNError(f"checkpoint {str(self.path)!r} exists and is not a checkpoint; "
                           f"not touching it (choose another path)")
        if data.get("fingerprint") != self.fingerprint:
            raise QSNError(f"checkpoint {str(self.path)!r} belongs to another search (other "
                           f"network, task, noise, seed or options); remove it or choose "
                           f"another path")
        self.searches = dict(data.get("searches", {}))

    def get(self, key: str) -> dict | None:
        return self.searches.get(key)

    def put(self, key: str, entry: dict) -> None:
        self.searches[key] = json_ready(entry, finite=False)
        if self.path is None:
            return
        payload = {"kind": KIND, "fingerprint": self.fingerprint, "searches": self.searches}
        with atomic_path(Path(self.path)) as tmp:
            Path(tmp).write_text(json.dumps(payload))
