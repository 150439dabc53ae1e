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
    # phi = [0, 0]                      # the point to evaluate at (non-commuting generators)
    resources = "total"                 # the constraint probes are ranked under: "total"
                                        # (the paper's, default) or "fixed" (the hardware's)

    [probes]
    compare = ["ghz", "local-ghz", "product", "optimal-separable", "optimal"]
    # seed = 1                          # seeds the search of "optimal" (the best probe found)

    [[probes.state]]                    # optional: a probe typed in by hand
    name = "my GHZ"
    terms = [{basis = [4, 0], amplitude = 1}, {basis = [0, 4], amplitude = [0, 1]}]

    [[probes.state]]                    # or a state saved by qsn optimize --save-state
    name = "found"
    file = "found.npz"                  # relative to this file's folder

    [noise]                             # optional: decoherence during the interrogation
    dephasing = 0.1                     # gamma per qubit: coherence decays as exp(-gamma t)
    time = 0.5                          # t; phases phi = omega t; also collective_dephasing,
                                        # correlated_dephasing, decay, loss = eta (modes)

Magnetometry in SI units: a sensor may also have ``position = [x, y, z]`` (metres) and
``species = "87Rb F=2"`` or ``gamma = ...`` (rad s^-1 T^-1); a ``[field]`` section (``model =
"uniform" | "gradient" | "quadratic" | "sites" | "dipole"``, ``estimate = [...]``, ``known =
[...]``), a ``[time]`` section (``t``, ``dead_time``, ``total`` or ``bandwidth``, seconds) and
a ``[readout]`` section (``efficiency``, ``fidelity``) then make the task the field's
parameters (:mod:`qsn_qutip.magnetometry.modelkeys`); ``[noise]`` rates are per second
(``T2 = ...`` sets ``dephasing = 1/T2``) and the bounds come in tesla with sensitivities in
T/sqrt(Hz).

``basis`` gives one local basis index per sensor (a list for a sensor of several atoms or
qubits in the full basis): for qubits in the Dicke basis index k is the state with k spins
down (:math:`m = n/2 - k`), for a mode the photon number, for an atom the level.  An amplitude
is a real number or ``[re, im]``; the state is normalised.  ``[noise]`` maps to a
:class:`~qsn_qutip.noise.NoiseModel` (``loss`` to its ``transmission``; a rate is one number or
one per sensor): the bounds are then those of the noisy probes at ``time``, and each probe also
gets its optimal interrogation time for the frequencies.  Without ``time`` (rates only) the
time is left to be chosen (``NoiseModel(time=None)``): every probe is compared at its own
optimal interrogation time, per unit time (a function task, or one parameter), ``"optimal"``
and ``qsn optimize`` optimise the time with the state.

``"optimal"`` in ``compare`` (opt-in, a search of seconds to minutes) adds the best probe
:func:`~qsn_qutip.optimal_probe` finds under the model's noise and ``resources``, and the
limit no probe beats (:mod:`qsn_qutip.report.optimal`).  A ``[[probes.state]]`` ``file`` is a
state saved by :meth:`~qsn_qutip.optimize.OptimalProbe.save` (``qsn optimize --save-state``),
read by :func:`~qsn_qutip.optimize.load_state` in the array format
:data:`~qsn_qutip.optimize.STATE_FORMAT`: NumPy ``.npz`` with ``amplitudes`` (complex, the ket
in the network's basis, sensor-major: for qubits in the Dicke basis index k = n/2 - m),
``dims`` (the network's ket dims) and ``particles``; it must live on the model's sensors
(:mod:`qsn_qutip.modelfile.probes`).

:func:`load_model` reads and validates a file and returns a :class:`Model`; every problem is a
:class:`~qsn_qutip.QSNError` whose message names the file, the key, its TOML line where it
can, and what was expected.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np

from ..errors import QSNError
from ..magnetometry.modelkeys import PLACEMENT_KEYS, FieldSetup, ModelKeyError, field_setup
from ..network import Network
from ..noise import NoiseModel
from ..probes import RESOURCES, Task, check_resources, did_you_mean, probe_name
from ..report import Comparison, compare
from ..sensors import KINDS, Sensor
from .probes import probe_table
from .source import Source, expect, unknown_keys

__all__ = ["Model", "load_model", "parse_model", "model_from_dict", "read_toml"]

TOP_KEYS = {"name", "description", "repeats", "sensor", "task", "probes", "noise", "field",
            "time", "readout"}
#: the [noise] keys and the NoiseModel fields they set (T2 sets dephasing = 1/T2)
NOISE_KEYS = {"dephasing": "dephasing", "collective_dephasing": "collective_dephasing",
              "correlated_dephasing": "correlated_dephasing", "decay": "decay",
              "loss": "transmission", "time": "time", "T2": "dephasing"}
#: the keys of a [[sensor]] table of each kind (each sensor class lists its own: model_keys;
#: every kind may have a position and a species or gamma, for a [field] section)
SENSOR_KEYS = {kind: {"name", "kind", *cls.model_keys, *PLACEMENT_KEYS}
               for kind, cls in KINDS.items()}
#: what a value of each type of :attr:`~qsn_qutip.sensors.Sensor.model_keys` must be
_EXPECTED = {int: "an integer >= 1", float: "a number", str: "a string",
             list: "a list of numbers"}


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
    resources : {"total", "fixed"}
        ``[task] resources``: the constraint the probes are ranked under (the paper's N
        particles allocated freely, or the particles each sensor has).
    phi : numpy.ndarray or None
        ``[task] phi``: the point the QFIMs are evaluated at (it matters only for generators
        that do not commute; None: :func:`~qsn_qutip.report.compare` uses 0 and says so).
    seed : int or None
        ``[probes] seed``: seeds the search of ``"optimal"`` (and of ``qsn optimize``).
    field : FieldSetup or None
        The ``[field]``, ``[time]`` and ``[readout]`` sections
        (:mod:`qsn_qutip.magnetometry.modelkeys`): v is then the phase-space task of the first
        quantity of interest and :meth:`compare` a
        :class:`~qsn_qutip.magnetometry.FieldComparison` in SI units.
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
    resources: str = "total"
    field: FieldSetup | None = None
    phi: np.ndarray | None = None
    seed: int | None = None

    def compare(self) -> Comparison:
        """Run :func:`~qsn_qutip.report.compare` on this model (with a ``[field]``:
        :func:`~qsn_qutip.magnetometry.compare_field`, in SI units)."""
        if self.field is not None:
            return self.field.compare(self.probes, self.noise, self.repeats, self.resources)
        return compare(self.network, v=self.v, weights=self.weights, probes=self.probes,
                       repeats=self.repeats, noise=self.noise, resources=self.resources,
                       phi=self.phi, seed=self.seed)

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
        lines.append(f"resources: {self.resources} ({RESOURCES[self.resources]})")
        names = [probe_name(p) for p in self.probes]
        lines.append(f"probes: {', '.join(names)}")
        if self.field is not None:
            lines.extend(self.field.describe())
        if self.noise is not None:
            lines.append(("noise (rates in s^-1): " if self.field is not None else
                          "noise per unit time, every probe at its own best interrogation "
                          "time: " if self.noise.time is None else
                          f"noise for an interrogation time t = {self.noise.time:g}: ")
                         + ", ".join(f"{f.name} = {getattr(self.noise, f.name)}"
                                     for f in dataclasses.fields(self.noise)
                                     if f.name != "time"))
        lines.append(self._statement())
        return "\n".join(lines)

    def _statement(self) -> str:
        """Which statement of the paper covers this network and task."""
        several = self.v is not None and np.count_nonzero(self.v) > 1
        if self.network.commuting and not several:
            return "generators commute: Theorem 1 applies"
        if not several:
            return "generators do not commute, all parameters with weights: Theorem 2 applies"
        if all(s.n_params <= 1 for s in self.network.sensors):
            return ("a function of several parameters, one commuting generator per sensor: the "
                    "paper's global-function section (Eq. 1) applies")
        return ("a function of several parameters on a sensor with several parameters: outside "
                "the paper's theorems (Theorem 2 is for all parameters with weights)")


def _typed(source: Source, value, kind: type, where: str, **locate):
    """``value`` checked against a type of :attr:`~qsn_qutip.sensors.Sensor.model_keys`."""
    what = _EXPECTED[kind]
    if kind is list:
        expect(source, value, list, where, what, **locate)
        for item in value:
            expect(source, item, (int, float), where, what, **locate)
        return value
    value = expect(source, value, (int, float) if kind is float else kind, where, what,
                   **locate)
    if kind is int and value < 1:
        raise source.error(where, f"expected {what}, got {value}", **locate)
    return value


def _sensor(source: Source, raw, index: int) -> Sensor:
    """The sensor of one [[sensor]] table: its class (``kind``) lists its keys and builds it."""
    where = f"sensor.{index + 1}"   # 1-based, as in --vary sensor.1.n
    locate = dict(table="sensor", index=index)
    expect(source, raw, dict, where, "a [[sensor]] table", **locate)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise source.error(f"{where}.kind", f"expected one of {sorted(KINDS)}, got "
                           f"{kind!r}{did_you_mean(str(kind), KINDS)}", key="kind", **locate)
    cls = KINDS[kind]
    unknown_keys(source, raw, SENSOR_KEYS[kind], where, **locate)
    name = expect(source, raw.get("name", f"sensor {index + 1}"), str, f"{where}.name",
                  "a string", key="name", **locate)
    for key in cls.model_required:
        if key not in raw:
            what = _EXPECTED[cls.model_keys[key]].partition(" ")[2]
            raise source.error(f"{where}.{key}", f"missing; a {kind} sensor needs {key} = "
                               f"<{what}>", **locate)
    keys = {key: _typed(source, raw[key], kind_of, f"{where}.{key}", key=key, **locate)
            for key, kind_of in cls.model_keys.items() if key in raw}
    try:
        return cls.from_model(name=name, **keys)
    except QSNError as err:
        raise source.error(where, str(err), **locate) from None


def _noise(source: Source, raw, network: Network, field: bool = False) -> NoiseModel | None:
    """The [noise] table as a NoiseModel (rates per unit time; one number or one per sensor;
    with a [field]: per second, the time is [time] t)."""
    if raw is None:
        return None
    expect(source, raw, dict, "noise", "a [noise] table", table="noise")
    unknown_keys(source, raw, set(NOISE_KEYS) - ({"time"} if field else set()), "noise",
                 table="noise")
    if "T2" in raw and "dephasing" in raw:
        raise source.error("noise.T2", "give T2 or dephasing (= 1/T2), not both", key="T2",
                           table="noise")
    fields = {}
    for key, value in raw.items():
        numbers = value if isinstance(value, list) else [value]
        for x in numbers:
            expect(source, x, (int, float), f"noise.{key}",
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
        if key == "T2":
            if min(numbers) <= 0:
                raise source.error("noise.T2", f"expected T2 > 0, got {value}", key=key,
                                   table="noise")
            fields["dephasing"] = list(1 / np.array(numbers, dtype=float)) \
                if isinstance(value, list) else 1 / float(value)
    if not field and "time" not in fields and any(k != "transmission" for k in fields):
        fields["time"] = None       # to be chosen: each probe at its best t, per unit time
    try:
        return NoiseModel(**fields)
    except QSNError as err:
        raise source.error("noise", str(err), table="noise") from None


def _vector(source: Source, raw, key: str, length: int) -> np.ndarray:
    where = f"task.{key}"
    expect(source, raw, list, where, f"a list of {length} numbers (one per parameter)",
           key=key, table="task")
    for value in raw:
        expect(source, value, (int, float), where, "a list of numbers", key=key, table="task")
    if len(raw) != length:
        raise source.error(where, f"expected {length} numbers (one per parameter), got "
                           f"{len(raw)}", key=key, table="task")
    return np.array(raw, dtype=float)


def _resources(source: Source, raw: dict) -> str:
    """``[task] resources``: "total" (default) or "fixed"."""
    value = raw.get("resources", "total")
    try:
        return check_resources(value, "task.resources")
    except QSNError as err:
        hint = did_you_mean(str(value), RESOURCES) if isinstance(value, str) else ""
        raise source.error("task.resources", f"{err}{hint}".removeprefix("task.resources "),
                           key="resources", table="task") from None


def _task(source: Source, raw, network: Network, repeats: int,
          field: FieldSetup | None = None) -> Task:
    """The [task] table: function = v or weights = W (:class:`~qsn_qutip.probes.Task` checks);
    with a [field], the first quantity of ``field.estimate``."""
    raw = expect(source, raw, dict, "task", "a [task] table", table="task")
    unknown_keys(source, raw, {"function", "weights", "resources", "phi"}, "task",
                 table="task")
    if field is not None:
        for key in ("function", "weights"):
            if key in raw:
                raise source.error(f"task.{key}", "with a [field] section the task is "
                                   "field.estimate (the phases are gamma t B)", key=key,
                                   table="task")
        return Task(network.n_params, field.direction, None, repeats)
    vectors = {key: _vector(source, raw[key], key, network.n_params)
               for key in ("function", "weights") if key in raw}
    try:
        return Task(network.n_params, vectors.get("function"), vectors.get("weights"), repeats,
                    names=("task.function", "task.weights"))
    except QSNError as err:
        raise source.error("task", str(err), table="task") from None


def _phi(source: Source, raw: dict, network: Network,
         field: FieldSetup | None) -> np.ndarray | None:
    """``[task] phi``: the point to evaluate at, one number per parameter (None: absent)."""
    if "phi" not in raw:
        return None
    if field is not None:
        raise source.error("task.phi", "with a [field] section the phases are gamma t B; "
                           "task.phi is not used", key="phi", table="task")
    return _vector(source, raw["phi"], "phi", network.n_params)


#: a model file larger than this is refused unread (a hand-written model is a few KiB)
MAX_MODEL_BYTES = 2 ** 20
#: arrays and tables nested deeper than this are refused (a model file needs 4 levels)
MAX_NESTING = 32


def read_toml(text: str, origin: str = "<string>") -> dict:
    """The TOML ``text`` as a dict, or a :class:`QSNError` naming ``origin``.

    Arrays and tables nested deeper than :data:`MAX_NESTING` levels are refused (Python's
    TOML reader would fail with a ``RecursionError`` from about 400 levels on).

    Examples
    --------
    >>> read_toml("a = " + "[" * 40 + "]" * 40, "deep.toml")
    Traceback (most recent call last):
    ...
    qsn_qutip.errors.QSNError: deep.toml: arrays or tables nested more than 32 levels deep
    """
    too_deep = QSNError(f"{origin}: arrays or tables nested more than {MAX_NESTING} levels deep")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise QSNError(f"{origin}: not valid TOML: {err}") from None
    except RecursionError:
        raise too_deep from None
    level = [raw]                         # breadth first, one level of nesting at a time
    for _ in range(MAX_NESTING + 1):
        level = [x for item in level
                 for x in (item.values() if isinstance(item, dict) else item)
                 if isinstance(x, (dict, list))]
        if not level:
            return raw
    raise too_deep


def parse_model(text: str, origin: str = "<string>") -> Model:
    """Validate the TOML ``text`` of a model file and build the :class:`Model`."""
    return model_from_dict(read_toml(text, origin), origin, text)


def model_from_dict(raw: dict, origin: str = "<string>", text: str = "") -> Model:
    """Validate a model already read from TOML (``text``, when given, locates errors by line)."""
    source = Source(text, origin)
    for key in raw:
        if key not in TOP_KEYS:
            raise source.error(key, f"unknown key{did_you_mean(key, TOP_KEYS)}; expected one of "
                               f"{sorted(TOP_KEYS)}", key=key)
    name = expect(source, raw.get("name", Path(origin).stem), str, "name", "a string",
                  key="name")
    description = expect(source, raw.get("description", ""), str, "description", "a string",
                         key="description")
    repeats = expect(source, raw.get("repeats", 1), int, "repeats", "an integer >= 1",
                     key="repeats")
    if repeats < 1:
        raise source.error("repeats", f"expected an integer >= 1, got {repeats}", key="repeats")
    sensors = raw.get("sensor")
    if sensors is None:
        raise source.error("sensor", "missing: describe each sensor in a [[sensor]] table")
    expect(source, sensors, list, "sensor", "[[sensor]] tables (double brackets)",
           key="sensor")
    network = Network([_sensor(source, s, k) for k, s in enumerate(sensors)])
    noise = _noise(source, raw.get("noise"), network, "field" in raw)
    try:
        field = field_setup(raw, sensors, network, noise)
    except ModelKeyError as err:
        raise source.error(err.where, err.message, key=err.key, table=err.table,
                           index=err.index) from None
    if field is not None and noise is not None and field.timing.t is not None:
        noise = dataclasses.replace(noise, time=field.timing.t)   # the phases at [time] t
    task = _task(source, raw.get("task", {}), network, repeats, field)
    resources = _resources(source, raw.get("task", {}))
    phi = _phi(source, raw.get("task", {}), network, field)

    probes, seed = probe_table(source, raw.get("probes", {}), network, task.v is not None,
                               field is not None, Path(origin).parent)
    if (field is None and noise is not None and noise.time is None and task.v is None
            and network.n_params > 1 and "optimal" not in probes):
        raise source.error("noise.time", "missing: without a time every probe is compared at "
                           "its own best interrogation time, which needs a function (task "
                           "function = [...]) or one parameter; give time = t (or compare "
                           "\"optimal\" alone, which optimises the time)", table="noise")
    return Model(name, description, network, task.v, task.weights, repeats, probes, origin,
                 noise, resources, field, phi, seed)


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
    ...     _ = (Path(tmp) / "one.toml").write_text(model_text)
    ...     model = load_model(Path(tmp) / "one.toml")
    >>> model.network.n_params
    1
    """
    import os
    import stat

    if not isinstance(path, (str, os.PathLike)):
        raise QSNError(f"path must be the model file's name (str or Path), got "
                       f"{type(path).__name__}")
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):     # a device or a pipe could never end
            raise QSNError(f"{path}: not a regular file (a directory, device or pipe); a "
                           f"model file is a TOML text file")
        with path.open("rb") as handle:
            data = handle.read(MAX_MODEL_BYTES + 1)   # never more, whatever the file claims
        if len(data) > MAX_MODEL_BYTES:
            raise QSNError(f"{path}: larger than {MAX_MODEL_BYTES // 1024} KiB, the limit for "
                           f"a model file (qsn_qutip.modelfile.MAX_MODEL_BYTES)")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise QSNError(f"{path}: cannot read the model file: {reason}") from None
    return parse_model(text, str(path))
