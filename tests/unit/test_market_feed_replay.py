"""``python -m actors.market_feed --replay FILE``: recorded frames -> bus messages (tap --json format)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from actors.market_feed.config import FeedConfig
from actors.market_feed.replay import replay
from bus.logs import Logger
from tests.support.fixtures import LIVE

REPO = Path(__file__).resolve().parents[2]
DUMP = LIVE / "ws_market_initial_book_frame_array_2026-10-02_trimmed.json"
A = "98756637703320879198441871470345384821367334051929992047845197222571333888980"
CID = "0x8a9f8be5bef9bc8d36c7895707a4f2561d49de9f5467b6675ba206196e8bd2e2"


def session() -> bytes:
    """A small recorded session, one raw frame per line, as received."""
    dump = json.dumps(json.loads(DUMP.read_text()), separators=(",", ":"))
    delta = json.dumps({"market": CID, "price_changes": [
        {"asset_id": A, "price": "0.04", "size": "500", "side": "BUY", "hash": "h", "best_bid": "0.04",
         "best_ask": "0.97"}], "timestamp": "1790908668000", "event_type": "price_change"})
    trade = json.dumps({"asset_id": A, "event_type": "last_trade_price", "fee_rate_bps": "0", "market": CID,
                        "price": "0.97", "side": "BUY", "size": "10", "timestamp": "1790908669000"})
    tick = json.dumps({"event_type": "tick_size_change", "asset_id": A, "market": CID,
                       "old_tick_size": "0.01", "new_tick_size": "0.001", "timestamp": "1790908670000"})
    lines = [dump, "PONG", delta, "NO NEW ASSETS", "[]", "not json at all", trade, tick, delta, ""]
    return "\n".join(lines).encode()


def run_replay(data: bytes) -> tuple[list[dict[str, object]], str]:
    out, err = io.BytesIO(), io.StringIO()
    replay(io.BytesIO(data), out, FeedConfig(depth=2), Logger("market-feed", out=err))
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_replay_prints_the_messages_in_tap_json_format() -> None:
    lines, err = run_replay(session())
    assert all(list(line) == ["topic", "src", "seq", "ts_ns", "type", "body"] for line in lines)
    assert all(line["src"] == "market-feed" for line in lines)
    assert [(line["type"], str(line["topic"]).split(".")[1]) for line in lines] == [
        ("Book", "book"), ("FeedStatus", "status"),  # the dump: first asset
        ("Book", "book"), ("FeedStatus", "status"),  # the dump: the empty book
        ("Book", "book"),  # the delta
        ("Trade", "trade"),
        ("TickSizeChange", "tick"), ("FeedStatus", "status"),  # the second delta is ignored: new epoch
    ]
    first = lines[0]["body"]
    assert isinstance(first, dict)
    assert first["asset"] == A and first["market"] == CID
    assert first["bids"] == [[30_000, 41_666_320_000], [20_000, 133_687_000_000]]  # best first, depth 2
    assert first["asks"] == [[970_000, 8_960_670_000], [980_000, 25_298_000_000]]
    delta = lines[4]["body"]
    assert isinstance(delta, dict) and delta["bids"][0] == [40_000, 500_000_000] and delta["epoch"] == 1
    assert [line["seq"] for line in lines if line["topic"] == f"md.book.{A}."] == [1, 2]
    assert '"event":"malformed_frame"' in err


def test_replay_cli_on_a_small_file(tmp_path: Path) -> None:
    path = tmp_path / "session.txt"
    path.write_bytes(session())
    env = {"PM_ENV_FILE": "/dev/null", "PM_MD_DEPTH": "2", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "actors.market_feed", "--replay", str(path)], cwd=REPO,
                          env=env, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["type"] for line in lines].count("Book") == 3
    assert lines[0]["body"]["bids"] == [[30_000, 41_666_320_000], [20_000, 133_687_000_000]]
    assert b"malformed_frame" in proc.stderr


def test_a_bad_setting_exits_2_naming_the_variable(tmp_path: Path) -> None:
    env = {"PM_ENV_FILE": "/dev/null", "PM_MD_DEPTH": "zero", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "actors.market_feed", "--replay", "/dev/null"], cwd=REPO,
                          env=env, capture_output=True, timeout=30)
    assert proc.returncode == 2
    assert b"PM_MD_DEPTH" in proc.stdout + proc.stderr
