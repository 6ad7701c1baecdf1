"""Paper mode never reaches a non-loopback host: with ``PM_VENUE=local`` every venue URL must be loopback
(127.0.0.0/8, ::1 or ``localhost``, as written: no name is resolved), else the config does not load
(exit 2 naming the variable), in every program and in ``deploy/render.py``. With ``PM_VENUE=polymarket``
any host is allowed, but a URL must still be a plain URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.config import ConfigError, load
from deploy import render
from venue_client.endpoints import VenueEndpoints
from venue_client.urls import is_loopback_host

OK = None
LOOPBACK = "loopback"
# (http URL, what PM_VENUE=local makes of it: OK or a word of the error)
HTTP_CASES = [
    ("http://127.0.0.1:8900", OK),
    ("http://127.5.6.7:8900", OK),
    ("http://localhost:8900", OK),
    ("http://LocalHost:8900", OK),
    ("https://localhost", OK),
    ("http://[::1]:8900", OK),
    ("http://127.0.0.1:8900/prefix/", OK),
    ("http://8.8.8.8:8900", LOOPBACK),  # a public IP
    ("http://10.0.0.1:8900", LOOPBACK),  # a private one is not loopback either
    ("http://0.0.0.0:8900", LOOPBACK),
    ("https://clob.polymarket.com", LOOPBACK),  # a real host name
    ("http://localhost.localdomain:8900", LOOPBACK),  # a name that may resolve to 127.0.0.1: not resolved
    ("http://localhost.:8900", LOOPBACK),
    ("http://127.1:8900", LOOPBACK),  # short form: a name to a resolver, not an address here
    ("http://[::ffff:127.0.0.1]:8900", LOOPBACK),
    ("http://[::2]:8900", LOOPBACK),
    ("http://127.0.0.1@clob.polymarket.com", "plain"),  # user-info: refused outright
    ("http://clob.polymarket.com#@127.0.0.1", "plain"),
    ("http://clob.polymarket.com\\@127.0.0.1", "plain"),
    ("http://127.0.0.1:8900/?next=x", "plain"),
    ("http://127.0.0.1%2Eevil.com", "plain"),
    ("http://127.0.0.1 :8900", "plain"),
    ("http://127.0.0.1:99999", "port"),
    ("http://[::1", "URL"),
    ("ftp://127.0.0.1", "must start with http:// or https://"),
    ("ws://127.0.0.1:8900", "must start with http:// or https://"),
    ("127.0.0.1:8900", "must start with http:// or https://"),
    ("http:127.0.0.1", "must start with http:// or https://"),
    ("http://", "no host"),
    ("http://:8900", "no host"),
    ("not a url", "plain"),
    ("garbage", "must start with"),
    ("", "empty"),
]


def venue(**env: str) -> VenueEndpoints:
    return load(VenueEndpoints, environ=env, dotenv=Path("/dev/null"))


def refusal(**env: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        venue(**env)
    return caught.value


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.255.255.254", True), ("localhost", True), ("::1", True),
    ("8.8.8.8", False), ("clob.polymarket.com", False), ("", False), ("0:0:0:0:0:0:0:1", True),
    ("::ffff:127.0.0.1", False), ("128.0.0.1", False), ("localhost.localdomain", False),
])
def test_what_counts_as_a_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(("url", "problem"), HTTP_CASES, ids=[c[0] or "empty" for c in HTTP_CASES])
@pytest.mark.parametrize("variable", ["PM_LOCAL_VENUE_URL", "POLYMARKET_REST_URL", "POLYMARKET_GAMMA_URL"])
def test_local_mode_takes_only_loopback_http_urls(variable: str, url: str, problem: str | None) -> None:
    if variable != "PM_LOCAL_VENUE_URL" and url == "":  # an empty override: derived from the local URL
        endpoints = venue(PM_VENUE="local", **{variable: url})
        assert endpoints.rest_url.startswith("http://127.0.0.1:") and "127.0.0.1" in endpoints.gamma_url
        return
    if problem is OK:
        assert venue(PM_VENUE="local", **{variable: url})
        return
    error = refusal(PM_VENUE="local", **{variable: url})
    assert error.variable == variable and problem in error.message, error.message


@pytest.mark.parametrize(("url", "problem"), [
    ("ws://127.0.0.1:8900/ws", OK), ("wss://localhost/ws", OK), ("ws://[::1]:9/ws", OK),
    ("wss://ws-subscriptions-clob.polymarket.com/ws", LOOPBACK), ("ws://8.8.8.8/ws", LOOPBACK),
    ("http://127.0.0.1:8900/ws", "must start with ws:// or wss://"), ("ws://", "no host"),
    ("garbage", "must start with"),
])
def test_local_mode_takes_only_loopback_websocket_urls(url: str, problem: str | None) -> None:
    if problem is OK:
        assert venue(PM_VENUE="local", POLYMARKET_WS_BASE_URL=url).ws_base_url == url.rstrip("/")
        return
    error = refusal(PM_VENUE="local", POLYMARKET_WS_BASE_URL=url)
    assert error.variable == "POLYMARKET_WS_BASE_URL" and problem in error.message, error.message


def test_the_default_local_configuration_is_all_loopback() -> None:
    endpoints = venue()
    assert endpoints.is_local
    assert (endpoints.rest_url, endpoints.ws_base_url, endpoints.gamma_url) == (
        "http://127.0.0.1:8900", "ws://127.0.0.1:8900/ws", "http://127.0.0.1:8900/gamma")


@pytest.mark.parametrize(("url", "problem"), [
    ("https://clob.polymarket.com", OK), ("http://127.0.0.1:9", OK), ("http://8.8.8.8", OK),
    ("http://127.0.0.1@clob.polymarket.com", "plain"), ("garbage", "must start with"),
    ("ws://clob.polymarket.com", "must start with http://"),
])
def test_polymarket_mode_takes_any_host_but_only_plain_urls(url: str, problem: str | None) -> None:
    if problem is OK:
        assert venue(PM_VENUE="polymarket", POLYMARKET_REST_URL=url).rest_url == url
        return
    error = refusal(PM_VENUE="polymarket", POLYMARKET_REST_URL=url)
    assert error.variable == "POLYMARKET_REST_URL" and problem in error.message


def test_polymarket_mode_ignores_the_local_venue_url() -> None:
    endpoints = venue(PM_VENUE="polymarket", PM_LOCAL_VENUE_URL="http://8.8.8.8:8900")
    assert endpoints.rest_url == "https://clob.polymarket.com"


# -- deploy/render.py ---------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "variable"), [
    ({"PM_LOCAL_VENUE_URL": "http://127.0.0.1:8901"}, None),
    ({"PM_LOCAL_VENUE_URL": "http://localhost:8901"}, None),
    ({"PM_LOCAL_VENUE_URL": "http://[::1]:8901"}, None),
    ({"PM_LOCAL_VENUE_URL": "http://8.8.8.8:8901"}, "PM_LOCAL_VENUE_URL"),
    ({"PM_LOCAL_VENUE_URL": "https://clob.polymarket.com"}, "PM_LOCAL_VENUE_URL"),
    ({"PM_LOCAL_VENUE_URL": ""}, "PM_LOCAL_VENUE_URL"),
    ({"POLYMARKET_REST_URL": "https://clob.polymarket.com"}, "POLYMARKET_REST_URL"),
    ({"POLYMARKET_WS_BASE_URL": "wss://ws-subscriptions-clob.polymarket.com/ws"}, "POLYMARKET_WS_BASE_URL"),
    ({"POLYMARKET_GAMMA_URL": "https://gamma-api.polymarket.com"}, "POLYMARKET_GAMMA_URL"),
    ({"PM_VENUE": "polymarket", "POLYMARKET_REST_URL": "https://clob.polymarket.com"}, None),
], ids=lambda v: str(v))
def test_render_refuses_a_non_loopback_url_in_paper_mode(env: dict[str, str], variable: str | None,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("PM_VENUE", "PM_LOCAL_VENUE_URL", "POLYMARKET_REST_URL", "POLYMARKET_WS_BASE_URL",
                 "POLYMARKET_GAMMA_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PM_ENV_FILE", "/dev/null")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "generated.conf"
    code = render.main(["render.py", str(out)])
    if variable is None:
        assert code == 0 and "[group:market]" in out.read_text()
        return
    assert code == 2 and not out.exists()
    assert f"render: {variable}: " in capsys.readouterr().err
