"""Model files: a sensor network, a task and the probes to compare, in TOML.

A model file describes what a lab would write on a whiteboard::

    name = "Two-site magnetic gradient"
    description = "theta = (phi_2 - phi_1)/sqrt2 with 8 qubits"
    repeats = 1000                      # mu, optional (default 1)

    [[sensor]]
    name = "left"
    kind = "qubits"                     # qubits | mode | atom
    n = 4                               # qubits: n, basis = "dicke" | "full"
                                        # mode: cutoff, generator = "linear" | "kerr" | "none",
                                        #       photons
                                        # atom: spin = 1, axes = "xyz"  or  levels = [...];
                                        #       atoms = 1
    [[sensor]]
    name = "right"
    kind = "qubits"
    n = 4

    [task]
    function = [-1, 1]                  # theta = v . phi (v used as given); or weights = [...]

    [probes]
    compare = ["ghz", "local-ghz", "product", "optimal-separable"]

    [[probes.state]]                    # optional: a probe typed in by hand
    name = "my GHZ"
    terms = [{basis = [4, 0], amplitude = 1}, {basis = [0, 4], amplitude = [0, 1]}]

    [noise]                             # optional: decoherence during the interrogation
    dephasing = 0.1                     # gamma per qubit: coherence decays as exp(-gamma t)
    time = 0.5                          # t; phases phi = omega t; also collective_dephasing,
                                        # correlated_dephasing, decay, loss = eta (modes)

``basis`` gives one local basis index per sensor (a list for a sensor of several atoms or
qubits in the full basis): for qubits in the Dicke basis index k is the state with k spins
down (:math:`m = n/2 - k`), for a mode the photon number, for an atom the level.  An amplitude
is a real number or ``[re, im]``; the state is normalised.  ``[noise]`` maps to a
:class:`~qsn_qutip.noise.NoiseModel` (``loss`` to its ``transmission``; a rate is one number or
one per sensor): the bounds are then those of the noisy probes at ``time``, and each probe also
gets its optimal interrogation time for the frequencies.

:func:`load_model` reads and validates a file and returns a :class:`Model`; every problem is a
:class:`~qsn_qutip.QSNError` whose message names the file, the key, its TOML line where it
can, and what was expected.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import qutip

from .errors import QSNError
from .network import Network
from .noise import NoiseModel
from .report import BUILTIN_PROBES, DEFAULT_PROBES, Comparison, compare
from .sensors import MultiLevelAtom, OpticalMode, QubitEnsemble, Sensor

__all__ = ["Model", "load_model", "parse_model", "model_from_dict", "read_toml", "parse_vary",
           "varied", "model_point"]

TOP_KEYS = {"name", "description", "repeats", "sensor", "task", "probes", "noise"}
#: the [noise] keys and the NoiseModel fields they set
NOISE_KEYS = {"dephasing": "dephasing", "collective_dephasing": "collective_dephasing",
              "correlated_dephasing": "correlated_dephasing", "decay": "decay",
              "loss": "transmission", "time": "time"}
SENSOR_KEYS = {
    "qubits": {"name", "kind", "n", "basis"},
    "mode": {"name", "kind", "cutoff", "generator", "photons"},
    "atom": {"name", "kind", "spin", "axes", "levels", "atoms"},
}


@dataclasses.dataclass
class Model:
    """A validated model file.

    Attributes
    ----------
    name, description : str
    network : Network
    v : numpy.ndarray or None
        The function theta = v . phi (None when all parameters are estimated).
    weights : numpy.ndarray or None
    repeats : int
    probes : list
        Built-in probe names and ``(name, Qobj)`` pairs, in the order to compare.
    source : str
        Where the model came from (the file path).
    noise : NoiseModel or None
        The ``[noise]`` section (None: noiseless).
    """

    name: str
    description: str
    network: Network
    v: np.ndarray | None
    weights: np.ndarray | None
    repeats: int
    probes: list
    source: str = "<string>"
    noise: NoiseModel | None = None

    def compare(self) -> Comparison:
        """Run :func:`~qsn_qutip.report.compare` on this model."""
        return compare(self.network, v=self.v, weights=self.weights, probes=self.probes,
                       repeats=self.repeats, noise=self.noise)

    def describe(self) -> str:
        """A few lines explaining the model without computing anything."""
        lines = [f"{self.name}: {self.description}".rstrip(": "),
                 f"{len(self.network.sensors)} sensors, {self.network.n_params} parameters, "
                 f"Hilbert-space dimension {self.network.size}, repeats mu = {self.repeats}"]
        for k, (sensor, part) in enumerate(zip(self.network.sensors, self.network.partition)):
            label = sensor.name or f"sensor {k + 1}"
            params = ", ".join(f"phi_{j + 1}" for j in part) or "no parameter"
            lines.append(f"  {label}: {sensor!r} carries {params}")
        if self.v is not None:
            lines.append(f"task: theta = v . phi with v = {self.v.tolist()}")
        else:
            lines.append(f"task: all parameters with weights {self.weights.tolist()}")
        names = [p if isinstance(p, str) else p[0] for p in self.probes]
        lines.append(f"probes: {', '.join(names)}")
        if self.noise is not None:
            lines.append(f"noise for an interrogation time t = {self.noise.time:g}: "
                         + ", ".join(f"{f.name} = {getattr(self.noise, f.name)}"
                                     for f in dataclasses.fields(self.noise)
                                     if f.name != "time"))
        lines.append("generators commute: Theorem 1 applies" if self.network.commuting else
                     "generators do not commute: Theorem 2 applies")
        return "\n".join(lines)


class _Source:
    """The text of a model file, for error messages that point at a TOML line."""

    def __init__(self, text: str, origin: str):
        self.lines = text.splitlines()
        self.origin = origin

    def _line_of(self, key: str, table: str | None = None, index: int = 0) -> int | None:
        """1-based line of ``key`` (inside the index-th ``[[table]]`` / ``[table]`` if given)."""
        start, stop = 0, len(self.lines)
        if table is not None:
            headers = [i for i, line in enumerate(self.lines)
                       if re.match(rf"\s*\[\[?\s*{re.escape(table)}\s*\]?\]", line)]
            if index >= len(headers):
                return None
            start = headers[index]
            later = [i for i, line in enumerate(self.lines)
                     if i > start and re.match(r"\s*\[", line)]
            stop = later[0] if later else len(self.lines)
            if key is None:
                return start + 1
        for i in range(start, stop):
            if re.match(rf"\s*{re.escape(key)}\s*=", self.lines[i]):
                return i + 1
        return start + 1 if table is not None else None

    def error(self, where: str, message: str, *, key: str | None = None,
              table: str | None = None, index: int = 0) -> QSNError:
        line = self._line_of(key, table, index) if (key or table) else None
        at = f" (line {line})" if line else ""
        return QSNError(f"{self.origin}: {where}{at}: {message}")


def _expect(source: _Source, value, types, where: str, what: str, **locate):
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise source.error(where, f"expected {what}, got {value!r}", **locate)
    if not isinstance(value, types):
        raise source.error(where, f"expected {what}, got {value!r}", **locate)
    return value


def _suggest(key: str, known) -> str:
    close = [k for k in known if _distance(k, key) <= 2]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, for 'did you mean' hints."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _unknown_keys(source: _Source, mapping: dict, known: set, where: str, **locate) -> None:
    for key in mapping:
        if key not in known:
            raise source.error(f"{where}.{key}" if where else key,
                               f"unknown key{_suggest(key, known)}; expected one of "
                               f"{sorted(known)}", key=key, **locate)


def _sensor(source: _Source, raw, index: int) -> Sensor:
    where = f"sensor[{index}]"
    locate = dict(table="sensor", index=index)
    _expect(source, raw, dict, where, "a [[sensor]] table", **locate)
    kind = raw.get("kind")
    if kind not in SENSOR_KEYS:
        raise source.error(f"{where}.kind", f"expected one of {sorted(SENSOR_KEYS)}, got "
                           f"{kind!r}{_suggest(str(kind), SENSOR_KEYS)}", key="kind", **locate)
    _unknown_keys(source, raw, SENSOR_KEYS[kind], where, **locate)
    name = _expect(source, raw.get("name", f"sensor {index + 1}"), str, f"{where}.name",
                   "a string", key="name", **locate)

    def integer(key, default=None, minimum=1):
        if key not in raw:
            if default is not None:
                return default
            raise source.error(f"{where}.{key}", f"missing; a {kind} sensor needs {key} = "
                               f"<integer >= {minimum}>", **locate)
        value = _expect(source, raw[key], int, f"{where}.{key}", f"an integer >= {minimum}",
                        key=key, **locate)
        if value < minimum:
            raise source.error(f"{where}.{key}", f"expected an integer >= {minimum}, got "
                               f"{value}", key=key, **locate)
        return value

    try:
        if kind == "qubits":
            basis = _expect(source, raw.get("basis", "dicke"), str, f"{where}.basis",
                            '"dicke" or "full"', key="basis", **locate)
            return QubitEnsemble(integer("n"), basis, name=name)
        if kind == "mode":
            generator = raw.get("generator", "linear")
            if generator not in ("linear", "kerr", "none"):
                raise source.error(f"{where}.generator", f'expected "linear", "kerr" or '
                                   f'"none", got {generator!r}', key="generator", **locate)
            cutoff = integer("cutoff")
            return OpticalMode(cutoff, None if generator == "none" else generator,
                               photons=integer("photons", cutoff), name=name)
        atoms = integer("atoms", 1)
        if ("spin" in raw) == ("levels" in raw):
            raise source.error(where, "an atom needs exactly one of spin = j or levels = [...]",
                               **locate)
        if "levels" in raw:
            levels = _expect(source, raw["levels"], list, f"{where}.levels",
                             "a list of numbers", key="levels", **locate)
            for level in levels:
                _expect(source, level, (int, float), f"{where}.levels", "a list of numbers",
                        key="levels", **locate)
            if "axes" in raw:
                raise source.error(f"{where}.axes", "axes goes with spin, not with levels",
                                   key="axes", **locate)
            return MultiLevelAtom(levels, atoms=atoms, name=name)
        spin = _expect(source, raw["spin"], (int, float), f"{where}.spin",
                       "a positive integer or half-integer", key="spin", **locate)
        axes = _expect(source, raw.get("axes", "z"), str, f"{where}.axes",
                       'a string such as "z" or "xyz"', key="axes", **locate)
        return MultiLevelAtom(spin=spin, axes=axes, atoms=atoms, name=name)
    except QSNError as err:
        if str(err).startswith(source.origin):
            raise
        raise source.error(where, str(err), **locate) from None


def _noise(source: _Source, raw, network: Network) -> NoiseModel | None:
    """The [noise] table as a NoiseModel (rates per unit time; one number or one per sensor)."""
    if raw is None:
        return None
    _expect(source, raw, dict, "noise", "a [noise] table", table="noise")
    _unknown_keys(source, raw, set(NOISE_KEYS), "noise", table="noise")
    fields = {}
    for key, value in raw.items():
        numbers = value if isinstance(value, list) else [value]
        for x in numbers:
            _expect(source, x, (int, float), f"noise.{key}",
                    "a number, or a list with one number per sensor", key=key, table="noise")
        if isinstance(value, list):
            if key in ("time", "correlated_dephasing"):
                raise source.error(f"noise.{key}", "expected one number", key=key,
                                   table="noise")
            if len(value) != len(network.sensors):
                raise source.error(f"noise.{key}", f"expected one number per sensor "
                                   f"({len(network.sensors)}), got {len(value)}", key=key,
                                   table="noise")
        fields[NOISE_KEYS[key]] = [float(x) for x in value] if isinstance(value, list) \
            else float(value)
    if "time" not in fields and any(k not in ("transmission",) for k in fields):
        raise source.error("noise.time", "missing: rates need the interrogation time "
                           "time = t (phases phi = omega t)", table="noise")
    try:
        return NoiseModel(**fields)
    except QSNError as err:
        raise source.error("noise", str(err), table="noise") from None


def _vector(source: _Source, raw, key: str, length: int) -> np.ndarray:
    where = f"task.{key}"
    _expect(source, raw, list, where, f"a list of {length} numbers (one per parameter)",
            key=key, table="task")
    for value in raw:
        _expect(source, value, (int, float), where, "a list of numbers", key=key, table="task")
    if len(raw) != length:
        raise source.error(where, f"expected {length} numbers (one per parameter), got "
                           f"{len(raw)}", key=key, table="task")
    return np.array(raw, dtype=float)


def _amplitude(source: _Source, value, where: str) -> complex:
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


def _explicit_state(source: _Source, raw, index: int, network: Network) -> tuple[str, qutip.Qobj]:
    where = f"probes.state[{index}]"
    locate = dict(table="probes.state", index=index)
    _expect(source, raw, dict, where, "a [[probes.state]] table", **locate)
    _unknown_keys(source, raw, {"name", "terms"}, where, **locate)
    name = _expect(source, raw.get("name", f"state {index + 1}"), str, f"{where}.name",
                   "a string", key="name", **locate)
    terms = _expect(source, raw.get("terms"), list, f"{where}.terms",
                    "a list of {basis = [...], amplitude = ...} tables", key="terms", **locate)
    if not terms:
        raise source.error(f"{where}.terms", "expected at least one term", key="terms", **locate)
    amplitudes = np.zeros(network.size, dtype=complex)
    for t, term in enumerate(terms):
        at = f"{where}.terms[{t}]"
        _expect(source, term, dict, at, "a table {basis = [...], amplitude = ...}",
                key="terms", **locate)
        _unknown_keys(source, term, {"basis", "amplitude"}, at, key="terms", **locate)
        basis = _expect(source, term.get("basis"), list, f"{at}.basis",
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


def read_toml(text: str, origin: str = "<string>") -> dict:
    """The TOML ``text`` as a dict, or a :class:`QSNError` naming ``origin``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise QSNError(f"{origin}: not valid TOML: {err}") from None


def parse_model(text: str, origin: str = "<string>") -> Model:
    """Validate the TOML ``text`` of a model file and build the :class:`Model`."""
    return model_from_dict(read_toml(text, origin), origin, text)


def model_from_dict(raw: dict, origin: str = "<string>", text: str = "") -> Model:
    """Validate a model already read from TOML (``text``, when given, locates errors by line)."""
    source = _Source(text, origin)
    for key in raw:
        if key not in TOP_KEYS:
            raise source.error(key, f"unknown key{_suggest(key, TOP_KEYS)}; expected one of "
                               f"{sorted(TOP_KEYS)}", key=key)
    name = _expect(source, raw.get("name", Path(origin).stem), str, "name", "a string",
                   key="name")
    description = _expect(source, raw.get("description", ""), str, "description", "a string",
                          key="description")
    repeats = _expect(source, raw.get("repeats", 1), int, "repeats", "an integer >= 1",
                      key="repeats")
    if repeats < 1:
        raise source.error("repeats", f"expected an integer >= 1, got {repeats}", key="repeats")
    sensors = raw.get("sensor")
    if sensors is None:
        raise source.error("sensor", "missing: describe each sensor in a [[sensor]] table")
    _expect(source, sensors, list, "sensor", "[[sensor]] tables (double brackets)",
            key="sensor")
    network = Network([_sensor(source, s, k) for k, s in enumerate(sensors)])

    task = _expect(source, raw.get("task", {}), dict, "task", "a [task] table", table="task")
    _unknown_keys(source, task, {"function", "weights"}, "task", table="task")
    if "function" in task and "weights" in task:
        raise source.error("task", "give either function = [...] or weights = [...], not both",
                           table="task")
    v = _vector(source, task["function"], "function", network.n_params) \
        if "function" in task else None
    if v is not None and not np.any(v):
        raise source.error("task.function", "expected a non-zero vector", key="function",
                           table="task")
    weights = _vector(source, task["weights"], "weights", network.n_params) \
        if "weights" in task else None
    if weights is None and v is None:
        weights = np.ones(network.n_params)
    if np.any(weights < 0) if weights is not None else False:
        raise source.error("task.weights", "expected non-negative weights", key="weights",
                           table="task")

    probes_raw = _expect(source, raw.get("probes", {}), dict, "probes", "a [probes] table",
                         table="probes")
    _unknown_keys(source, probes_raw, {"compare", "state"}, "probes", table="probes")
    default = [p for p in DEFAULT_PROBES if v is not None or p not in ("ghz", "optimal-ghz")]
    names = _expect(source, probes_raw.get("compare", default), list, "probes.compare",
                    f"a list of probe names from {list(BUILTIN_PROBES)}", key="compare",
                    table="probes")
    for probe in names:
        if probe not in BUILTIN_PROBES:
            raise source.error("probes.compare", f"unknown probe {probe!r}"
                               f"{_suggest(str(probe), BUILTIN_PROBES)}; built-in probes are "
                               f"{list(BUILTIN_PROBES)}", key="compare", table="probes")
    explicit = _expect(source, probes_raw.get("state", []), list, "probes.state",
                       "[[probes.state]] tables", table="probes")
    probes = list(names) + [_explicit_state(source, s, k, network)
                            for k, s in enumerate(explicit)]
    if not probes:
        raise source.error("probes", "no probe to compare: list some in probes.compare",
                           table="probes")
    labels = [p if isinstance(p, str) else p[0] for p in probes]
    if len(set(labels)) != len(labels):
        raise source.error("probes", f"probe names must be distinct, got {labels}",
                           table="probes")
    return Model(name, description, network, v, weights, repeats, probes, origin,
                 _noise(source, raw.get("noise"), network))


def load_model(path: str | Path) -> Model:
    """Read and validate a model file (see the module docstring for the format).

    Examples
    --------
    >>> from pathlib import Path
    >>> import qsn_qutip, tempfile
    >>> model_text = '''
    ... [[sensor]]
    ... kind = "qubits"
    ... n = 2
    ... [task]
    ... weights = [1]
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (Path(tmp) / "one.toml").write_text(model_text)
    ...     model = load_model(Path(tmp) / "one.toml")
    24
    >>> model.network.n_params
    1
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise QSNError(f"{path}: cannot read the model file: {reason}") from None
    return parse_model(text, str(path))


# ----------------------------------------------------------------------------------------
# variations of a model, for sweeps
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
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        grid = [start + k * step for k in range(count)]
        if isinstance(start, float) or isinstance(step, float):
            grid = [round(v, 12) for v in grid]
        return path, grid
    return path, [_value(v.strip()) for v in values.split(",")]


def varied(raw: dict, assignments: dict, origin: str = "<string>") -> dict:
    """A copy of the model dict ``raw`` with dotted-path ``assignments`` applied.

    A path is ``key``, ``table.key``, or ``sensor.NAME.key`` where NAME is a sensor's ``name``
    or its 1-based position.
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
