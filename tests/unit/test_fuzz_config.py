"""Fuzzing configuration: every variable of every program's config struct, ``.env`` files, bus endpoints,
and the local venue's JSON config.

``bus.config.load`` either returns a config whose every value is usable later (ints fit int64, floats
are finite, strings are UTF-8 without NUL) or raises ``ConfigError`` naming a variable of that struct
(``load_or_exit`` turns it into exit code 2: see tests/integration/test_config_exit.py). The structs are
found by scanning the modules (tests/support/config_structs.py), so a new one is fuzzed without
touching this file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bus.config import ConfigError, env_fields, load, read_dotenv
from bus.endpoints import BusConfig, check_endpoint
from tests.support.config_structs import STRUCTS
from tests.support.fuzz import BAD_NUMBERS, FEW, FUZZ, ODD_TEXT, json_values, mutated
from venue.config import VenueConfig, config_from_dict

VARIABLES = [(cls, var) for cls in STRUCTS for var in sorted(m.name for m in env_fields(cls).values())]
NOWHERE = Path("/nonexistent/.env")
INT64 = 1 << 63


def test_every_program_config_struct_is_found() -> None:
    names = {cls.__name__ for cls in STRUCTS}
    assert {"BusConfig", "VenueEndpoints", "ApiCredentials", "CoordinatorConfig", "ExecutorConfig",
            "InventoryConfig", "FeedConfig", "MarketsConfig", "OfiConfig", "UserFeedConfig"} <= names


def usable(cfg: msgspec.Struct) -> None:
    for name in cfg.__struct_fields__:
        value = getattr(cfg, name)
        if isinstance(value, int):
            assert -INT64 <= value < INT64, (name, value)
        if isinstance(value, float):
            assert math.isfinite(value), (name, value)
        if isinstance(value, str):
            assert "\x00" not in value and isinstance(value.encode(), bytes)


HOSTILE = [*BAD_NUMBERS, *ODD_TEXT, "0", "1", "10", "0.5", "1e3", "true", "tcp://x:1", "1e308", "-1e308",
           "4e-7", " 7 ", "0.0000001", str(2**63), str(-(2**63) - 1), "18446744073709551616", "1e19"]
values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20), st.integers(-(2**70), 2**70).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr))


def check(cls: type[msgspec.Struct], variable: str, value: str) -> None:
    try:
        cfg = load(cls, environ={variable: value}, dotenv=NOWHERE)
    except ConfigError as exc:
        assert exc.variable in {m.name for m in env_fields(cls).values()}, exc  # a variable of this struct
        assert exc.variable in str(exc)
        return
    usable(cfg)


@pytest.mark.parametrize("cls", STRUCTS, ids=lambda c: c.__name__)
def test_every_variable_with_every_hostile_value(cls: type[msgspec.Struct]) -> None:
    for variable in sorted(m.name for m in env_fields(cls).values()):
        for value in HOSTILE:
            check(cls, variable, value)


@FUZZ
@given(st.sampled_from(VARIABLES), values)
def test_any_value_of_any_variable_loads_or_names_the_variable(case: tuple[type[msgspec.Struct], str],
                                                                value: str) -> None:
    check(*case, value)


@FEW
@given(st.sampled_from(STRUCTS),
       st.dictionaries(st.sampled_from([v for _, v in VARIABLES]), values, max_size=6))
def test_several_values_at_once(cls: type[msgspec.Struct], env: dict[str, str]) -> None:
    try:
        usable(load(cls, environ=env, dotenv=NOWHERE))
    except ConfigError as exc:
        assert exc.variable in env or exc.variable in {m.name for m in env_fields(cls).values()}


@FUZZ
@given(content=st.one_of(st.binary(max_size=80), st.lists(st.sampled_from(
    ["PM_X=1", "export PM_Y='a'", "# c", "", "=", "PM_Z", 'PM_Q="x', "\xff", "A B=1", "PM_W=1 # c", "\x00"]),
    max_size=6).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogateescape"))))
def test_any_dotenv_file_reads_or_names_the_file_and_line(content: bytes, tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("env") / ".env"
    path.write_bytes(content)
    try:
        values = read_dotenv(path)
    except ConfigError as exc:
        assert exc.variable.startswith(".env")
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())


HOSTS = ["127.0.0.1", "127.0.0.2", "localhost", "[::1]", "10.0.0.5", "0.0.0.0", "*", "192.168.1.7", "[::]",
         "example.com", "eth0", "lo", "127.1", "[::ffff:127.0.0.1]", "127.0.0.1.evil.com", "",
         "10.0.0.5:1;127.0.0.1", "127.0.0.1;10.0.0.5"]
LOOPBACK = {"127.0.0.1", "127.0.0.2", "localhost"}  # not [::1]: bus sockets are IPv4 (no ZMQ_IPV6)


@FUZZ
@given(st.sampled_from(HOSTS), st.integers(0, 70000), st.sampled_from(["bus_in", "bus_out", "exec_cmd",
                                                                      "inv_fill"]))
def test_a_tcp_bus_endpoint_must_be_loopback(host: str, port: int, field: str) -> None:
    endpoint = f"tcp://{host}:{port}"
    try:
        check_endpoint(field, endpoint)
    except ConfigError as exc:
        assert host not in LOOPBACK and "loopback" in exc.message and exc.variable.startswith("PM_")
        return
    assert host in LOOPBACK, f"{endpoint} accepted"


@pytest.mark.parametrize("endpoint", ["tcp://10.0.0.5:5555", "tcp://0.0.0.0:5555", "tcp://*:5555",
                                      "tcp://eth0:5555", "udp://127.0.0.1:5", "pgm://127.0.0.1:5"])
def test_non_loopback_bus_endpoints_are_refused_at_load(endpoint: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(BusConfig, environ={"PM_BUS_OUT": endpoint}, dotenv=NOWHERE)
    assert err.value.variable == "PM_BUS_OUT"


DEFAULT_VENUE = msgspec.to_builtins(VenueConfig())


@FUZZ
@given(st.one_of(mutated(DEFAULT_VENUE), st.dictionaries(st.sampled_from(sorted(DEFAULT_VENUE)), json_values,
                                                         max_size=3)))
def test_the_venue_config_loads_or_fails_as_the_venue_reports_it(raw: Any) -> None:
    if not isinstance(raw, dict):
        return  # load_config refuses a non-object before config_from_dict
    try:
        cfg = config_from_dict(raw)
    except (msgspec.ValidationError, ValueError):  # what `python -m venue` turns into exit code 2
        return
    assert isinstance(cfg, VenueConfig)
