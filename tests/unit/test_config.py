import subprocess
import sys
from pathlib import Path
from typing import Annotated

import msgspec
import pytest

from bus.config import ConfigError, Env, describe, load, parse_micros, read_dotenv
from bus.endpoints import BusConfig
from tests.support.procs import REPO


class Params(msgspec.Struct, frozen=True, kw_only=True):
    pair_target: Annotated[int, Env("PM_PAIR_TARGET", micros=True), msgspec.Meta(gt=0, lt=2_000_000)] = (
        990_000
    )
    debounce_ms: Annotated[int, Env("PM_DEBOUNCE_MS"), msgspec.Meta(ge=0)] = 200
    dry_run: Annotated[bool, Env("PM_DRY_RUN")] = True
    slug: Annotated[str, Env("POLYMARKET_MARKET_SLUG")] = "btc-updown-15m"
    secret: Annotated[str, Env("POLYMARKET_API_SECRET", secret=True)] = ""


def test_defaults_when_nothing_is_set(tmp_path: Path) -> None:
    assert load(Params, environ={}, dotenv=tmp_path / "none") == Params()


@pytest.mark.parametrize(
    ("env", "field", "value"),
    [
        ({"PM_PAIR_TARGET": "0.98"}, "pair_target", 980_000),
        ({"PM_PAIR_TARGET": " 1 "}, "pair_target", 1_000_000),
        ({"PM_DEBOUNCE_MS": "0"}, "debounce_ms", 0),
        ({"PM_DRY_RUN": "false"}, "dry_run", False),
        ({"PM_DRY_RUN": "1"}, "dry_run", True),
        ({"POLYMARKET_MARKET_SLUG": "eth-updown-5m"}, "slug", "eth-updown-5m"),
    ],
)
def test_values_are_parsed(env: dict[str, str], field: str, value: object, tmp_path: Path) -> None:
    cfg = load(Params, environ=env, dotenv=tmp_path / "none")
    assert getattr(cfg, field) == value


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PM_PAIR_TARGET": "abc"}, "PM_PAIR_TARGET"),
        ({"PM_PAIR_TARGET": "0.1234567"}, "PM_PAIR_TARGET"),
        ({"PM_PAIR_TARGET": "NaN"}, "PM_PAIR_TARGET"),
        ({"PM_PAIR_TARGET": "inf"}, "PM_PAIR_TARGET"),
        ({"PM_PAIR_TARGET": "-0.5"}, "PM_PAIR_TARGET"),
        ({"PM_PAIR_TARGET": "5"}, "PM_PAIR_TARGET"),
        ({"PM_DEBOUNCE_MS": "-1"}, "PM_DEBOUNCE_MS"),
        ({"PM_DEBOUNCE_MS": "1.5"}, "PM_DEBOUNCE_MS"),
        ({"PM_DRY_RUN": "maybe"}, "PM_DRY_RUN"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(Params, environ=env, dotenv=tmp_path / "none")
    assert err.value.variable == variable
    assert variable in str(err.value)


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nexport PM_DEBOUNCE_MS=300\nPM_PAIR_TARGET="0.97"\nPM_DRY_RUN=false # x\n')
    cfg = load(Params, environ={"PM_DEBOUNCE_MS": "100"}, dotenv=dotenv)
    assert (cfg.debounce_ms, cfg.pair_target, cfg.dry_run) == (100, 970_000, False)


def test_dotenv_garbage_is_an_error(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("this is not an assignment\n")
    with pytest.raises(ConfigError, match=r"\.env:1"):
        read_dotenv(dotenv)


def test_describe_masks_secrets() -> None:
    text = describe(Params(secret="s3cr3t"))
    assert text["secret"] == "***"
    assert "s3cr3t" not in str(text)


@pytest.mark.parametrize(("text", "micros"), [("0.99", 990_000), ("5", 5_000_000), ("0.000001", 1)])
def test_parse_micros_is_exact(text: str, micros: int) -> None:
    assert parse_micros("X", text) == micros


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PM_BUS_IN": "tcp://10.0.0.5:5555"}, "PM_BUS_IN"),
        ({"PM_BUS_OUT": "tcp://0.0.0.0:5556"}, "PM_BUS_OUT"),
        ({"PM_EXEC_CMD_ENDPOINT": "udp://x"}, "PM_EXEC_CMD_ENDPOINT"),
        ({"PM_HEARTBEAT_MS": "0"}, "PM_HEARTBEAT_MS"),
    ],
)
def test_bus_endpoints_must_be_local(env: dict[str, str], variable: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(BusConfig, environ=env, dotenv=tmp_path / "none")
    assert err.value.variable == variable


def test_loopback_tcp_is_allowed(tmp_path: Path) -> None:
    cfg = load(BusConfig, environ={"PM_BUS_IN": "tcp://127.0.0.1:5555", "PM_RUN_DIR": "/r"},
               dotenv=tmp_path / "none")
    assert cfg.publish_endpoint == "tcp://127.0.0.1:5555"
    assert cfg.subscribe_endpoint == "ipc:///r/bus-out.sock"


@pytest.mark.parametrize("module", ["bus", "actors.tap"])
def test_programs_exit_2_naming_the_bad_variable(module: str) -> None:
    env = {"PM_HEARTBEAT_MS": "soon", "PM_ENV_FILE": "/dev/null", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", module], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=20)
    assert proc.returncode == 2
    assert "PM_HEARTBEAT_MS" in proc.stdout + proc.stderr
    assert '"event":"config_error"' in proc.stdout


@pytest.mark.parametrize(("value", "cpus"), [("", set()), ("0", {0}), (" 0 ", {0})])
def test_cpu_affinity_is_a_comma_list_of_this_machines_cpus(value: str, cpus: set[int]) -> None:
    assert BusConfig(cpu_affinity=value).cpus == cpus


@pytest.mark.parametrize("value", ["x", "0,y", "4096"])
def test_a_cpu_affinity_that_is_not_this_machines_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="PM_CPU_AFFINITY"):
        BusConfig(cpu_affinity=value)
