"""The recorder's pure parts: a market's metadata from its CLOB entry (the venue's shape, and what is
missing), and which hourly file a record goes to."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from actors.recorder.core import HOUR_NS, Files, meta_from_clob
from backtest import recfile

CID, YES, NO = "0xc1d", "111", "222"
FULL = {"minimum_tick_size": 0.001, "minimum_order_size": 15, "neg_risk": True, "market_slug": "s-1",
        "end_date_iso": "2026-01-01T00:15:00Z",
        "rewards": {"rates": [{"asset_address": "0x", "rewards_daily_rate": 100}], "min_size": 50,
                    "max_spread": 4.5}}


@pytest.mark.parametrize(("doc", "expect"), [
    (FULL, {"tick": 1_000, "min_size": 15_000_000, "neg_risk": True, "slug": "s-1",
            "end_ns": 1_767_226_500 * 10**9, "rewards": recfile.Rewards(daily_rate=100_000_000,
                                                                         max_spread_cents=4.5,
                                                                         min_size=50_000_000)}),
    ({}, {"tick": 10_000, "min_size": 5_000_000, "neg_risk": False, "slug": "", "end_ns": 0,
          "rewards": recfile.Rewards()}),   # nothing known: the venue's defaults, no rewards
    ({**FULL, "rewards": {"rates": None, "min_size": 0, "max_spread": 0}},
     {"tick": 1_000, "rewards": recfile.Rewards()}),  # a market without a reward pool
    ({**FULL, "end_date_iso": "not a date"}, {"end_ns": 0}),
], ids=["full", "empty", "no-rewards", "bad-date"])
def test_metadata_from_the_clob_entry(doc: dict, expect: dict) -> None:
    meta = meta_from_clob(msgspec.json.encode(doc), CID, YES, NO, start_ns=7)
    assert (meta.market, meta.yes_asset, meta.no_asset, meta.start_ns) == (CID, YES, NO, 7)
    for field, value in expect.items():
        assert getattr(meta, field) == value, field


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError):
        meta_from_clob(b"[]", CID, YES, NO)


def test_one_file_per_utc_hour() -> None:
    files = Files(Path("/r"))
    t = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z
    assert files.path_for(t) == Path("/r/20260101-00.pmrec.zst")
    assert files.path_for(t + HOUR_NS - 1) is None  # the same hour: the open file
    assert files.path_for(t + HOUR_NS) == Path("/r/20260101-01.pmrec.zst")


def test_the_recorder_starts_with_group_core_only_with_pm_record() -> None:
    """deploy/supervisord.conf declares it ``autostart=false``; ``deploy/render.py`` turns it on with
    ``PM_RECORD=true`` (an override section supervisord reads after the main file)."""
    from bus.config import load
    from deploy.hosts import HostConfig
    from deploy.render import render
    from venue_client.endpoints import VenueEndpoints

    venue = load(VenueEndpoints, environ={"PM_VENUE": "local"}, dotenv=Path("/dev/null"))
    markets = [("btc", "btc-updown-15m", {})]
    on = "\n[program:recorder]\nautostart=true\n"
    assert on in render(markets, venue, HostConfig(), record=True)
    assert on not in render(markets, venue, HostConfig(), record=False)
    conf = (Path(__file__).resolve().parents[2] / "deploy" / "supervisord.conf").read_text()
    section = conf.split("[program:recorder]", 1)[1].split("\n[", 1)[0]
    assert "autostart=false" in section and "recorder" in conf.split("[group:core]", 1)[1].split("\n\n")[0]
