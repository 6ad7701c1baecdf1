"""Configuration: environment variables (and ``.env``) into frozen msgspec structs.

Each program declares one frozen struct whose fields are annotated with the variable they come from::

    class Params(msgspec.Struct, frozen=True, kw_only=True):
        pair_target: Annotated[int, Env("PM_PAIR_TARGET", micros=True), Meta(gt=0)] = 990_000

The process environment wins over ``.env`` (``PM_ENV_FILE``, default ``<repo>/.env``).
A bad value raises ``ConfigError`` naming the variable; ``load_or_exit`` turns that into a
``config_error`` log line and exit code 2, before the program does anything else.
``micros=True`` parses a decimal string exactly into 1e-6 units (``"0.99"`` -> ``990000``;
``schemas.units.parse_exact``: a seventh decimal place is an error, never rounded).
Every value must also be usable later: integers fit the bus (int64), floats are finite and at most
``MAX_FLOAT`` (they are durations in seconds, turned into ns), strings are UTF-8 without NUL bytes.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
import typing
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from bus import logs
from schemas.units import MAX_INT64, parse_exact

REPO_ROOT = Path(__file__).resolve().parents[1]
EXIT_CONFIG = 2
MAX_FLOAT = 1e9  # seconds: about 31 years

T = TypeVar("T", bound=msgspec.Struct)


class Env:
    """Marks a config field with the variable it is read from."""

    __slots__ = ("micros", "name", "secret")

    def __init__(self, name: str, *, micros: bool = False, secret: bool = False) -> None:
        self.name = name
        self.micros = micros
        self.secret = secret


class ConfigError(ValueError):
    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable
        self.message = message


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; ``#`` comments, optional ``export``, single or double quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path.name), f"cannot read: {type(exc).__name__}") from None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError(f"{path.name}:{lineno}", f"not a KEY=VALUE line: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        values[key] = value
    return values


@functools.cache
def env_fields(cls: type[msgspec.Struct]) -> dict[str, Env]:
    """Field name -> its ``Env`` marker, for every annotated field of ``cls``."""
    hints = typing.get_type_hints(cls, include_extras=True)
    out: dict[str, Env] = {}
    for name in cls.__struct_fields__:
        for meta in getattr(hints[name], "__metadata__", ()):
            if isinstance(meta, Env):
                out[name] = meta
    return out


def parse_micros(variable: str, text: str) -> int:
    """A decimal setting -> exact 1e-6 units (``parse_exact``), or ``ConfigError`` naming ``variable``."""
    try:
        return parse_exact(text)
    except ValueError as exc:
        raise ConfigError(variable, str(exc)) from None


def _source(environ: typing.Mapping[str, str] | None, dotenv: Path | None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    path = dotenv if dotenv is not None else Path(env.get("PM_ENV_FILE", REPO_ROOT / ".env"))
    merged = read_dotenv(path)
    merged.update(env)
    return merged


def load(cls: type[T], *, environ: typing.Mapping[str, str] | None = None, dotenv: Path | None = None) -> T:
    """Build ``cls`` from the environment; raises ``ConfigError`` naming the bad variable."""
    source = _source(environ, dotenv)
    fields = env_fields(cls)
    raw: dict[str, Any] = {}
    for name, marker in fields.items():
        if marker.name not in source:
            continue
        text = source[marker.name]
        if "\x00" in text or not _utf8(text):
            raise ConfigError(marker.name, "not UTF-8 text without NUL bytes")
        raw[name] = parse_micros(marker.name, text) if marker.micros else text.strip()
    try:
        cfg = msgspec.convert(raw, cls, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        named = re.match(r"((?:PM|POLYMARKET)_\w+): (.*)", message, re.S)
        if named:  # raised by a __post_init__ check as ConfigError
            raise ConfigError(named.group(1), named.group(2).split(" - at ")[0]) from None
        match = re.search(r"at `\$\.(\w+)", message)
        variable = fields[match.group(1)].name if match and match.group(1) in fields else cls.__name__
        raise ConfigError(variable, message.split(" - at ")[0]) from None
    for name, marker in fields.items():
        value = getattr(cfg, name)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT64:
            raise ConfigError(marker.name, f"out of range: {value}")
        if isinstance(value, float) and not (math.isfinite(value) and abs(value) <= MAX_FLOAT):
            raise ConfigError(marker.name, f"must be a finite number of at most {MAX_FLOAT:g}: {value}")
    return cfg


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # undecodable bytes in the environment arrive as lone surrogates
        return False
    return True


def load_or_exit(cls: type[T], program: str, **kwargs: Any) -> T:
    """``load`` for a program's start: a bad value logs ``config_error`` and exits with code 2."""
    try:
        return load(cls, **kwargs)
    except ConfigError as exc:
        logs.Logger(program).error("config_error", variable=exc.variable, error=exc.message)
        sys.stderr.write(f"{program}: config error: {exc}\n")
        raise SystemExit(EXIT_CONFIG) from None


def describe(cfg: msgspec.Struct) -> dict[str, Any]:
    """The config as a dict for a start-up log line, with secrets masked."""
    fields = env_fields(type(cfg))
    out: dict[str, Any] = {}
    for name in cfg.__struct_fields__:
        value = getattr(cfg, name)
        marker = fields.get(name)
        out[name] = ("***" if value else "") if marker is not None and marker.secret else value
    return out
