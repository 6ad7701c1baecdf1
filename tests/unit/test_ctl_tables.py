"""The pure rows of ``actors.ctl``'s listings (``actors.ctl.tables``): supervisord and heartbeats joined,
restarts from supervisord's log, PnL per market and total, the text table."""

from __future__ import annotations

import pytest

from actors.ctl import tables
from actors.ctl.cancel_cmd import commands, targeted
from schemas import CancelAll, CancelMarket, Fill, Heartbeat, Lease, OpenOrder

S = 1_000_000_000


def hb(program: str, ready: bool = True, gaps: int = 0) -> Heartbeat:
    return Heartbeat(program=program, pid=42, ready=ready, gaps=gaps, ts=0)


def proc(group: str, name: str, state: str = "RUNNING") -> dict[str, object]:
    return {"group": group, "name": name, "statename": state, "pid": 7, "start": 100, "now": 160}


@pytest.mark.parametrize(("procs", "beats", "expected"), [
    ([proc("core", "executor")], {"executor": (hb("executor"), 9 * S)}, [("executor", "RUNNING", True)]),
    ([proc("core", "executor")], {}, [("executor", "RUNNING", False)]),  # no heartbeat: not ok
    ([proc("core", "executor", "FATAL")], {"executor": (hb("executor"), 9 * S)},
     [("executor", "FATAL", False)]),
    ([proc("market", "btc")], {"market:btc": (hb("market:btc"), 5 * S)}, [("market:btc", "RUNNING", False)]),
    ([], {"ofi": (hb("ofi"), 9 * S)}, [("ofi", "-", True)]),  # heard, not under supervisord
    ([proc("venue", "venue")], {}, [("venue", "RUNNING", True)]),  # the venue has no heartbeat
    ([proc("core", "executor", "STOPPED")], {"executor": (hb("executor"), 9 * S)},
     [("executor", "elsewhere", True)]),  # two hosts: not started here, heartbeating from the other
    ([proc("core", "executor", "STOPPED")], {}, [("executor", "STOPPED", False)]),
    ([{**proc("core", "tap", "STOPPED"), "autostart": False}], {}, [("tap", "STOPPED", True)]),  # on demand
])
def test_status_rows(procs: list[dict[str, object]], beats: dict[str, tuple[Heartbeat, int]],
                     expected: list[tuple[str, str, bool]]) -> None:
    rows = tables.status_rows(procs, beats, {"executor": 2}, now_ns=10 * S)
    assert [(r.program, r.state, r.ok) for r in rows] == expected


def test_uptime_and_restarts() -> None:
    log = ("2026-12-02 10:00:00,000 INFO exited: executor (terminated by SIGKILL; not expected)\n"
           "2026-12-02 10:00:01,000 INFO spawned: 'executor' with pid 9\n"
           "2026-12-02 10:00:02,000 INFO exited: btc (exit status 0; expected)\n"
           "2026-12-02 10:00:03,000 INFO exited: executor (exit status 1; not expected)\n")
    restarts = tables.count_restarts(log)
    assert restarts == {"executor": 2, "btc": 1}
    rows = tables.status_rows([proc("core", "executor"), proc("market", "btc")], {}, restarts, 0)
    assert [(r.program, r.uptime_s, r.restarts) for r in rows] == [("executor", 60, 2), ("market:btc", 60, 1)]


def fill(market: str, fee: int, status: str = "MATCHED", trade: str = "t") -> Fill:
    return Fill(trade_id=trade, order_id="o", market=market, asset="a", side="BUY", price=400_000,
                size=5_000_000, status=status, role="MAKER", fee=fee, source="ws", ts_event=1, ts_recv=1)  # type: ignore[arg-type]


def test_pnl_per_market_and_total() -> None:
    fees, fills = tables.fees_by_market([fill("m1", 10), fill("m1", 10, "MINED"), fill("m1", 10, "CONFIRMED"),
                                         fill("m1", 5, trade="u"), fill("m2", 0, trade="w"),
                                         fill("m1", 5, "FAILED", trade="u")])
    assert fees == {"m1": 10, "m2": 0} and fills == {"m1": 1, "m2": 1}  # one fill, three statuses
    rows = tables.pnl_rows({"m1": 1_500_000, "m2": -200_000}, fees, fills, {"m1": 300_000}, {"m1": "btc"})
    assert [(r.name, r.market, r.unrealized, r.total) for r in rows] == [
        ("btc", "m1", 300_000, 1_799_990), ("", "m2", None, -200_000)]
    total = tables.pnl_total(rows)
    assert (total.realized, total.unrealized, total.fees, total.total) == (1_300_000, 300_000, 10, 1_599_990)
    text = tables.pnl_text(rows)
    assert text.splitlines()[0].split()[:3] == ["coordinator", "market", "realised"]
    assert "TOTAL" in text.splitlines()[-1] and "?" in text.splitlines()[2]  # m2: no mark heard


def lease(holder: str, market: str) -> Lease:
    return Lease(holder=holder, market=market, yes_asset="y", no_asset="n", ttl_ms=3000, ts=0)


def order(oid: str, holder: str, market: str) -> OpenOrder:
    return OpenOrder(order_id=oid, holder=holder, market=market, asset="y", side="BUY", price=1, size=1,
                     size_matched=0, slot="yes_bid", post_only=True)


def test_cancel_all_commands_and_their_targets() -> None:
    leases = [lease("btc", "0xa"), lease("eth", "0xb"), lease("btc2", "0xa")]
    orders = [order("1", "btc", "0xa"), order("2", "eth", "0xb"), order("3", "btc2", "0xa")]
    everything = commands("", leases, "r", "c", 1)
    assert [type(c) for c in everything] == [CancelAll] and targeted(orders, everything) == {"1", "2", "3"}
    by_name = commands("eth", leases, "r", "c", 1)
    assert [(c.holder, c.market) for c in by_name if isinstance(c, CancelMarket)] == [("eth", "0xb")]
    assert targeted(orders, by_name) == {"2"}
    by_condition = commands("0xa", leases, "r", "c", 1)  # every coordinator holding that market
    assert {(c.holder, c.market) for c in by_condition if isinstance(c, CancelMarket)} == {
        ("btc", "0xa"), ("btc2", "0xa")}
    assert targeted(orders, by_condition) == {"1", "3"}
    assert commands("nobody", leases, "r", "c", 1) == []
