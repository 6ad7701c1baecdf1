"""REST back-fill without a network: cursor pagination, L2 headers, no market/asset filter (gotchas 8, 16),
errors; and the watermark file that lets a restarted user-feed back-fill its gap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from actors.user_feed import persist
from actors.user_feed.backfill import BackfillError, fetch_trades
from actors.user_feed.core import Watermark
from clob.auth import ApiCreds, verify_l2_headers
from tests.support.fixtures import NT_CRATES

REPORT = json.loads((NT_CRATES / "http_trade_report.json").read_text())
CREDS = ApiCreds(api_key="00000000-0000-0000-0000-000000000001", secret="c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
                 passphrase="pass")
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


class FakeResponse:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self.content = json.dumps(body).encode()
        self.text = self.content.decode()


class FakeSession:
    """Serves pages by cursor and checks every request's L2 headers like the venue would."""

    def __init__(self, pages: dict[str, Any], status: int = 200) -> None:
        self.pages = pages
        self.status = status
        self.calls: list[dict[str, str]] = []

    def get(self, url: str, *, params: dict[str, str], headers: dict[str, str],
            timeout: float) -> FakeResponse:
        assert url == "http://venue/data/trades" and timeout == 2.0
        verify_l2_headers(headers, method="GET", path="/data/trades?after=1", body=None,
                          lookup=lambda key: CREDS if key == CREDS.api_key else None)
        assert headers["POLY_ADDRESS"] == ADDRESS
        self.calls.append(params)
        return FakeResponse(self.status, self.pages[params["next_cursor"]])


def row(trade_id: str, match_s: int) -> dict[str, Any]:
    return {**REPORT, "id": trade_id, "match_time": str(match_s)}


def fetch(session: FakeSession, max_pages: int = 10) -> Any:
    return fetch_trades(session, "http://venue", CREDS, address=ADDRESS, after_s=1_700_000_000,  # type: ignore[arg-type]
                        timeout_s=2.0, max_pages=max_pages, clock_s=lambda: 1_800_000_000.0)


def test_every_page_is_read_oldest_first_and_nothing_filters_by_market_or_asset() -> None:
    session = FakeSession({
        "MA==": {"data": [row("t3", 30), row("t2", 20)], "next_cursor": "Mg=="},
        "Mg==": {"data": [row("t1", 10), {"not": "a trade"}], "next_cursor": "LTE="},
    })
    result = fetch(session)
    assert [t.id for t in result.trades] == ["t1", "t2", "t3"]
    assert (result.pages, result.skipped, result.truncated) == (2, 1, False)
    assert session.calls == [{"after": "1700000000", "next_cursor": "MA=="},
                             {"after": "1700000000", "next_cursor": "Mg=="}]


def test_a_page_without_a_next_cursor_or_repeating_it_ends_the_walk() -> None:
    assert fetch(FakeSession({"MA==": {"data": [row("t1", 1)]}})).pages == 1
    assert fetch(FakeSession({"MA==": {"data": [], "next_cursor": "MA=="}})).pages == 1


def test_too_many_pages_is_reported_as_truncated() -> None:
    pages = {"MA==": {"data": [row("a", 1)], "next_cursor": "MQ=="},
             "MQ==": {"data": [row("b", 2)], "next_cursor": "Mg=="}}
    result = fetch(FakeSession(pages), max_pages=2)
    assert result.truncated and [t.id for t in result.trades] == ["a", "b"]


@pytest.mark.parametrize(("status", "body", "message"), [
    (401, {"error": "Unauthorized/Invalid api key"}, "HTTP 401"),
    (200, ["not", "a", "page"], "bad /data/trades page"),
])
def test_failures_raise_without_leaking_credentials(status: int, body: Any, message: str) -> None:
    with pytest.raises(BackfillError, match=message) as info:
        fetch(FakeSession({"MA==": body}, status=status))
    assert CREDS.secret not in str(info.value) and CREDS.passphrase not in str(info.value)


def test_network_errors_become_backfill_errors() -> None:
    class Down(FakeSession):
        def get(self, url: str, **kwargs: Any) -> FakeResponse:
            raise requests.ConnectionError("refused")

    with pytest.raises(BackfillError, match="ConnectionError"):
        fetch(Down({}))


def test_the_watermark_file_round_trips_and_a_bad_one_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "user-feed-state.json"
    assert persist.load(path) == (Watermark(), "")
    mark = Watermark(last_trade_ns=7, open_trades={"t": 6}, synced_ns=5, owed_s=4)
    persist.save(path, mark)
    loaded, error = persist.load(path)
    assert error == "" and loaded.to_json() == mark.to_json()
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_text("{not json")
    fresh, error = persist.load(path)
    assert fresh == Watermark() and error
