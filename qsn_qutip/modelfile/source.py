"""The text of a model file and the checks every table uses: located errors (the file, the
key, its TOML line), typed values and unknown keys."""

from __future__ import annotations

import re

from ..errors import QSNError
from ..probes import did_you_mean

__all__ = ["Source", "expect", "unknown_keys"]


class Source:
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


def expect(source: Source, value, types, where: str, what: str, **locate):
    """``value`` when it is of ``types`` (a bool only where bool is listed), else the located
    error ``expected <what>, got <value>``."""
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise source.error(where, f"expected {what}, got {value!r}", **locate)
    if not isinstance(value, types):
        raise source.error(where, f"expected {what}, got {value!r}", **locate)
    return value


def unknown_keys(source: Source, mapping: dict, known: set, where: str, **locate) -> None:
    """Refuse the first key of ``mapping`` not in ``known`` (with the closest known one)."""
    for key in mapping:
        if key not in known:
            raise source.error(f"{where}.{key}" if where else key,
                               f"unknown key{did_you_mean(key, known)}; expected one of "
                               f"{sorted(known)}", key=key, **locate)
