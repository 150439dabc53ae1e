"""The ``[probes]`` table of a model file: the probes to compare, and the states typed in or
saved.

``compare = [...]`` names built-in probes and ``"optimal"`` (the best probe
:func:`~qsn_qutip.optimal_probe` finds, with the limit no probe beats; ``seed = N`` seeds its
search).  A ``[[probes.state]]`` table is a state typed in (``terms``) or one saved by
``qsn optimize --save-state`` / :meth:`~qsn_qutip.optimize.OptimalProbe.save` (``file``, a path
relative to the model file's folder; the array format is
:data:`~qsn_qutip.optimize.STATE_FORMAT`: NumPy ``.npz`` with ``amplitudes`` (complex, the ket
in the network's basis, sensor-major), ``dims`` (the network's ket dims) and ``particles``).
A saved state must live on the model's sensors: one found under ``resources = "total"`` may
have moved particles between them, and then needs the sensors' ``n`` set to its allocation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import qutip

from ..errors import QSNError
from ..network import Network
from ..optimize import load_state
from ..probes import default_probes, did_you_mean, probe_name
from ..report.optimal import OPTIMAL, PROBE_NAMES
from ..sensors import Sensor
from .source import Source, expect, unknown_keys

__all__ = ["probe_table"]


def probe_table(source: Source, raw, network: Network, function: bool, field: bool,
                folder: Path) -> tuple[list, int | None]:
    """(the probes to compare, the seed of ``"optimal"``) from the ``[probes]`` table ``raw``.

    ``function``: the task is a function (the default probes then include the GHZ-like
    ones); ``field``: the model has a ``[field]`` section (``"optimal"`` is refused: it
    searches in phases); ``folder``: where ``file = ...`` paths start.
    """
    raw = expect(source, raw, dict, "probes", "a [probes] table", table="probes")
    unknown_keys(source, raw, {"compare", "state", "seed"}, "probes", table="probes")
    names = expect(source, raw.get("compare", list(default_probes(function))), list,
                   "probes.compare", f"a list of probe names from {list(PROBE_NAMES)}",
                   key="compare", table="probes")
    for probe in names:
        if probe not in PROBE_NAMES:
            raise source.error("probes.compare", f"unknown probe {probe!r}"
                               f"{did_you_mean(str(probe), PROBE_NAMES)}; probes are "
                               f"{list(PROBE_NAMES)}", key="compare", table="probes")
    if field and OPTIMAL in names:
        raise source.error("probes.compare", f"{OPTIMAL!r} searches probe states in phases; "
                           f"with a [field] section (SI units) it is not available yet: run "
                           f"it on the phase-space model (no [field])", key="compare",
                           table="probes")
    seed = raw.get("seed")
    if seed is not None:
        expect(source, seed, int, "probes.seed", "an integer >= 0", key="seed", table="probes")
        if seed < 0:
            raise source.error("probes.seed", f"expected an integer >= 0, got {seed}",
                               key="seed", table="probes")
    explicit = expect(source, raw.get("state", []), list, "probes.state",
                      "[[probes.state]] tables", table="probes")
    probes = list(names) + [_explicit_state(source, s, k, network, folder)
                            for k, s in enumerate(explicit)]
    if not probes:
        raise source.error("probes", "no probe to compare: list some in probes.compare",
                           table="probes")
    labels = [probe_name(p) for p in probes]
    if len(set(labels)) != len(labels):
        raise source.error("probes", f"probe names must be distinct, got {labels}",
                           table="probes")
    return probes, seed


def _state_file(source: Source, value, where: str, network: Network, folder: Path,
                locate: dict) -> qutip.Qobj:
    """The ket saved at ``value`` (relative to ``folder``), on the model's network."""
    expect(source, value, str, f"{where}.file", "a file name (a .npz state file)", key="file",
           **locate)
    path = folder / value
    try:
        return load_state(path, network)
    except QSNError as err:
        hint = ""
        if "dims" in str(err):
            hint = ("; a state found under resources = \"total\" lives on its own allocation "
                    "(qsn optimize prints it): give the sensors those particle numbers")
        raise source.error(f"{where}.file", f"{err}{hint}", key="file", **locate) from None


def _amplitude(source: Source, value, where: str) -> complex:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return complex(value)
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)):
        return complex(value[0], value[1])
    raise source.error(where, f"expected a number or [re, im], got {value!r}",
                       key="terms", table="probes.state")


def _is_index(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _local_index(entry, sensor: Sensor) -> list[int] | None:
    """The per-factor indices of one sensor's basis state (a flat index or a list), or None."""
    if isinstance(entry, list):
        if len(entry) == len(sensor.dims) and all(
                _is_index(i) and 0 <= i < d for i, d in zip(entry, sensor.dims)):
            return list(entry)
        return None
    if _is_index(entry) and 0 <= entry < sensor.size:
        return [int(i) for i in np.unravel_index(entry, sensor.dims)]
    return None


def _explicit_state(source: Source, raw, index: int, network: Network,
                    folder: Path) -> tuple[str, qutip.Qobj]:
    """One [[probes.state]] table: ``terms`` typed in, or a saved ``file``."""
    where = f"probes.state[{index}]"
    locate = dict(table="probes.state", index=index)
    expect(source, raw, dict, where, "a [[probes.state]] table", **locate)
    unknown_keys(source, raw, {"name", "terms", "file"}, where, **locate)
    name = expect(source, raw.get("name", f"state {index + 1}"), str, f"{where}.name",
                  "a string", key="name", **locate)
    if ("terms" in raw) == ("file" in raw):
        raise source.error(where, "give terms = [...] (the state typed in) or file = "
                           "\"state.npz\" (a saved state), one of the two", **locate)
    if "file" in raw:
        return name, _state_file(source, raw["file"], where, network, folder, locate)
    terms = expect(source, raw.get("terms"), list, f"{where}.terms",
                   "a list of {basis = [...], amplitude = ...} tables", key="terms", **locate)
    if not terms:
        raise source.error(f"{where}.terms", "expected at least one term", key="terms", **locate)
    amplitudes = np.zeros(network.size, dtype=complex)
    for t, term in enumerate(terms):
        at = f"{where}.terms[{t}]"
        expect(source, term, dict, at, "a table {basis = [...], amplitude = ...}",
               key="terms", **locate)
        unknown_keys(source, term, {"basis", "amplitude"}, at, key="terms", **locate)
        basis = expect(source, term.get("basis"), list, f"{at}.basis",
                       "one basis index per sensor", key="terms", **locate)
        if len(basis) != len(network.sensors):
            raise source.error(f"{at}.basis", f"expected one index per sensor "
                               f"({len(network.sensors)}), got {len(basis)}", key="terms",
                               **locate)
        digits = []
        for k, (entry, sensor) in enumerate(zip(basis, network.sensors)):
            local = _local_index(entry, sensor)
            if local is None:
                raise source.error(f"{at}.basis[{k}]", f"expected an index below "
                                   f"{sensor.size} (or one per factor of dims {sensor.dims}) "
                                   f"for {sensor!r}; is the cutoff too small for this state? "
                                   f"got {entry!r}", key="terms", **locate)
            digits.extend(local)
        amplitudes[np.ravel_multi_index(digits, network.ket_dims)] += _amplitude(
            source, term.get("amplitude", 1.0), f"{at}.amplitude")
    norm = np.linalg.norm(amplitudes)
    if norm == 0:
        raise source.error(f"{where}.terms", "the amplitudes add up to the zero vector",
                           key="terms", **locate)
    dims = [network.ket_dims, [1] * len(network.ket_dims)]
    return name, qutip.Qobj(amplitudes / norm, dims=dims)
