r"""The magnetometry keys of a model file: sensor positions and species, ``[field]``,
``[time]`` and ``[readout]``.

::

    [[sensor]]
    name = "cell A"
    kind = "qubits"
    n = 10000
    position = [-0.005, 0, 0]           # metres, 1 to 3 coordinates
    species = "87Rb F=2"                # or gamma = 4.3956e10 (rad s^-1 T^-1)

    [field]
    model = "gradient"                  # uniform | gradient | quadratic | sites | dipole
    estimate = ["dBz/dx"]               # default: every parameter not known
    known = []                          # parameters fixed at their value
    # components = "z", coordinates = "x", origin = [0, 0, 0]   (polynomial models)
    # moment = [mx, my, mz], position = [x0, y0, z0]            (dipole: both required)

    [time]
    t = 1e-3                            # Ramsey time (s); without it each probe gets its best
    dead_time = 1e-3                    # per shot (s)
    # total = 1.0  or  bandwidth = 10   (standard deviations after T = 1/(2 bandwidth))

    [readout]                           # optional, the product probe's readout
    efficiency = 0.9                    # probability a particle is detected
    fidelity = 0.98                     # probability a detected particle is read right

:func:`field_setup` checks them and builds a :class:`FieldSetup`; every problem is a
:class:`ModelKeyError` (a :class:`~qsn_qutip.QSNError`) that says where it is (``where``,
``key``, ``table``, ``index``) so that :mod:`qsn_qutip.modelfile` can name the file and line.
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
from collections.abc import Sequence

from ..errors import QSNError
from ..network import Network
from ..noise import NoiseModel
from .array import SensorArray
from .comparison import compare_field
from .fields import FIELD_MODELS, as_point
from .results import FieldComparison
from .sensitivity import Readout, Timing
from .species import GAMMA_UNIT, gyromagnetic_ratio, species as find_species
from .task import FieldTask

__all__ = ["ModelKeyError", "FieldSetup", "field_setup", "PLACEMENT_KEYS", "FIELD_KEYS",
           "TIME_KEYS", "READOUT_KEYS"]

#: the keys a [[sensor]] table of any kind may add for magnetometry
PLACEMENT_KEYS = ("position", "species", "gamma")
#: the [field] keys every model takes (besides its own, ``FIELD_MODELS[...].model_keys``)
FIELD_KEYS = ("model", "estimate", "known")
TIME_KEYS = ("t", "dead_time", "total", "bandwidth")
READOUT_KEYS = ("efficiency", "fidelity")


class ModelKeyError(QSNError):
    """A model-file problem in the magnetometry keys, with where it is.

    Attributes
    ----------
    where : str
        The key's dotted path (``"field.estimate"``, ``"sensor.2.position"``).
    key, table : str or None
        The TOML key and table, for the line number.
    index : int
        Which ``[[table]]`` (sensors).
    """

    def __init__(self, where: str, message: str, *, key: str | None = None,
                 table: str | None = None, index: int = 0):
        super().__init__(f"{where}: {message}")
        self.where, self.message, self.key, self.table, self.index = (where, message, key,
                                                                      table, index)


def _hint(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown(raw: dict, known: Sequence[str], table: str) -> None:
    for key in raw:
        if key not in known:
            raise ModelKeyError(f"{table}.{key}", f"unknown key{_hint(key, known)}; expected "
                                f"one of {sorted(known)}", key=key, table=table)


def _number(value, where: str, what: str, **locate) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ModelKeyError(where, f"expected {what}, got {value!r}", **locate)
    return float(value)


def _numbers(value, where: str, what: str, **locate) -> list[float]:
    if not isinstance(value, list):
        raise ModelKeyError(where, f"expected {what}, got {value!r}", **locate)
    return [_number(x, where, what, **locate) for x in value]


def _names(value, where: str, **locate) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ModelKeyError(where, f"expected a list of parameter names, got {value!r}",
                            **locate)
    return value


def _placements(sensors: Sequence[dict], network: Network, field: bool):
    """(positions, species, gammas) of the sensors, checked against each other."""
    positions, species, gammas = [], [], []
    for index, (raw, sensor) in enumerate(zip(sensors, network.sensors)):
        where = f"sensor.{index + 1}"
        locate = dict(table="sensor", index=index)
        given = [key for key in PLACEMENT_KEYS if key in raw]
        if given and not field:
            raise ModelKeyError(f"{where}.{given[0]}", "sensor positions and species are for "
                                "a [field] section (the field the array measures): add one",
                                key=given[0], **locate)
        position = raw.get("position")
        if position is not None:
            position = _numbers(position, f"{where}.position",
                                "a list [x, y, z] of 1 to 3 numbers in metres", key="position",
                                **locate)
        name = raw.get("species")
        if name is not None and not isinstance(name, str):
            raise ModelKeyError(f"{where}.species", f"expected a species name, got {name!r}",
                                key="species", **locate)
        gamma = raw.get("gamma")
        if gamma is not None:
            gamma = _number(gamma, f"{where}.gamma", f"a number in {GAMMA_UNIT}", key="gamma",
                            **locate)
        if name is not None and gamma is not None:
            raise ModelKeyError(f"{where}.gamma", "give species or gamma, not both",
                                key="gamma", **locate)
        if position is not None and name is None and gamma is None:
            raise ModelKeyError(f"{where}.position", f"a sensor with a position needs its "
                                f"species = \"...\" or gamma = <{GAMMA_UNIT}>", key="position",
                                **locate)
        if position is None and (name is not None or gamma is not None):
            key = "species" if name is not None else "gamma"
            raise ModelKeyError(f"{where}.{key}", "a species needs the sensor's position = "
                                "[x, y, z] in metres", key=key, **locate)
        if field and position is None and sensor.n_params:
            raise ModelKeyError(f"{where}.position", "missing; a [field] needs every sensor's "
                                "position = [x, y, z] in metres and its species",
                                key="position", **locate)
        if field and sensor.n_params and sensor.field_axes is None:
            raise ModelKeyError(f"{where}.kind", f"{sensor!r} does not sense a magnetic field: "
                                f"a [field] needs qubit ensembles or atoms", key="kind",
                                **locate)
        try:
            if name is not None:
                find_species(name, argument=f"{where}.species")
            if gamma is not None:
                gyromagnetic_ratio(gamma, argument=f"{where}.gamma")
            if position is not None:
                as_point(position, f"{where}.position")
        except QSNError as err:
            key = str(err).split(":")[0].split()[0].rpartition(".")[2]
            message = str(err).partition(f"{where}.{key}")[2].lstrip(": ")
            if message.startswith("must be "):
                message = "expected " + message.removeprefix("must be ")
            raise ModelKeyError(f"{where}.{key}", message, key=key, **locate) from None
        positions.append(position)
        species.append(name)
        gammas.append(gamma)
    return positions, species, gammas


def _array(sensors, network: Network) -> SensorArray:
    positions, species, gammas = _placements(sensors, network, True)
    return SensorArray(network, positions, species=species, gamma=gammas)


def _field(raw: dict, array: SensorArray) -> FieldTask:
    if not isinstance(raw, dict):
        raise ModelKeyError("field", "expected a [field] table", table="field")
    kind = raw.get("model")
    if kind not in FIELD_MODELS:
        raise ModelKeyError("field.model", f"expected one of {list(FIELD_MODELS)}, got "
                            f"{kind!r}{_hint(str(kind), FIELD_MODELS)}", key="model",
                            table="field")
    cls = FIELD_MODELS[kind]
    _unknown(raw, [*FIELD_KEYS, *cls.model_keys], "field")
    for key in cls.model_required:
        if key not in raw:
            raise ModelKeyError(f"field.{key}", f"missing; a {kind} field needs {key} = "
                                f"[x, y, z] ({'A m^2' if key == 'moment' else 'm'}): the "
                                f"true point its Jacobian is taken at", table="field")
    keys = {}
    for key, kind_of in cls.model_keys.items():
        if key in raw:
            if kind_of is list:
                keys[key] = _numbers(raw[key], f"field.{key}", "a list of numbers", key=key,
                                     table="field")
            elif not isinstance(raw[key], str):
                raise ModelKeyError(f"field.{key}", f"expected a string, got {raw[key]!r}",
                                    key=key, table="field")
            else:
                keys[key] = raw[key]
    try:
        model = cls.from_model(**keys)
        model.check(array.site_positions)
    except QSNError as err:
        key = str(err).split()[0].rstrip(":")
        key = key if key in keys else None
        raise ModelKeyError(f"field.{key}" if key else "field",
                            str(err).removeprefix(f"{key}: ") if key else str(err), key=key,
                            table="field") from None
    estimate = _names(raw["estimate"], "field.estimate", key="estimate", table="field") \
        if "estimate" in raw else None
    known = _names(raw.get("known", []), "field.known", key="known", table="field")
    try:
        return FieldTask(array, model, estimate, known)
    except QSNError as err:
        key = next((k for k in ("estimate", "known") if str(err).startswith(k)), None)
        raise ModelKeyError(f"field.{key}" if key else "field",
                            str(err).removeprefix(f"{key}: ") if key else str(err),
                            key=key, table="field") from None


def _timing(raw, noise: NoiseModel | None) -> Timing:
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ModelKeyError("time", "expected a [time] table", table="time")
    _unknown(raw, TIME_KEYS, "time")
    values = {key: _number(value, f"time.{key}", "a number of seconds (hertz for bandwidth)",
                           key=key, table="time") for key, value in raw.items()}
    if "total" in values and "bandwidth" in values:
        raise ModelKeyError("time.bandwidth", "give total or bandwidth, not both",
                            key="bandwidth", table="time")
    if "t" not in values and (noise is None or not any(r > 0 for r in noise.rates)):
        raise ModelKeyError("time.t", "missing; without noise the information grows without "
                            "bound with t: give the Ramsey time t in seconds (or a [noise] "
                            "rate, and each probe gets its best t)", table="time")
    try:
        if "bandwidth" in values:
            return Timing.from_bandwidth(values["bandwidth"], t=values.get("t"),
                                         dead_time=values.get("dead_time", 0.0))
        return Timing(values.get("t"), values.get("dead_time", 0.0), values.get("total"))
    except QSNError as err:
        key = str(err).split(" ", 1)[0]
        raise ModelKeyError(f"time.{key}", str(err).split(" ", 1)[1], key=key,
                            table="time") from None


def _readout(raw) -> Readout | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ModelKeyError("readout", "expected a [readout] table", table="readout")
    _unknown(raw, READOUT_KEYS, "readout")
    values = {key: _number(value, f"readout.{key}", "a probability in (0, 1]", key=key,
                           table="readout") for key, value in raw.items()}
    try:
        return Readout(**values)
    except QSNError as err:
        key = str(err).split(" ", 1)[0]
        raise ModelKeyError(f"readout.{key}", str(err).split(" ", 1)[1], key=key,
                            table="readout") from None


@dataclasses.dataclass
class FieldSetup:
    """The physical side of a model file: what is estimated, the time budget, the readout."""

    task: FieldTask
    timing: Timing
    readout: Readout | None = None

    @property
    def direction(self):
        """The phase-space task of the first quantity of interest (the model's ``v``)."""
        return self.task.direction(self.task.interest[0])

    def compare(self, probes, noise: NoiseModel | None, repeats: int = 1,
                resources: str = "total") -> FieldComparison:
        """:func:`~qsn_qutip.magnetometry.compare_field` with this setup."""
        return compare_field(self.task, self.timing, probes, noise=noise,
                             readout=self.readout, repeats=repeats, resources=resources)

    def describe(self) -> list[str]:
        """Lines for ``qsn check``."""
        lines = [f"field: {self.task.field.describe()}", *self.task.array.describe(),
                 "parameters:", *self.task.describe(), f"time: {self.timing.describe()}"]
        if self.readout is not None:
            lines.append(f"readout: {self.readout.describe()}")
        return lines


def field_setup(raw: dict, sensors: Sequence[dict], network: Network,
                noise: NoiseModel | None) -> FieldSetup | None:
    """The magnetometry of a model (None without a ``[field]`` section).

    Parameters
    ----------
    raw : dict
        The whole model file (its ``field``, ``time`` and ``readout`` tables are read).
    sensors : sequence of dict
        The ``[[sensor]]`` tables (their ``position``, ``species``, ``gamma``).
    network : Network
        The network the sensor tables built.
    noise : NoiseModel or None
        The ``[noise]`` rates (per second with a field).

    Raises
    ------
    ModelKeyError
    """
    if "field" not in raw:
        _placements(sensors, network, False)
        for table in ("time", "readout"):
            if table in raw:
                raise ModelKeyError(table, f"a [{table}] section needs a [field] section "
                                    f"(without a field the parameters are phases)",
                                    table=table)
        return None
    array = _array(sensors, network)
    task = _field(raw["field"], array)
    return FieldSetup(task, _timing(raw.get("time"), noise), _readout(raw.get("readout")))
