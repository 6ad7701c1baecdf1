"""The inventory's fill-lifecycle table (seed-000 §5) and the builders its tests share: the core tests
check each case's actions and position; the journal tests replay the same cases from SQLite."""

from __future__ import annotations

from actors.inventory.positions import Limits
from schemas import Fill, Lease
from schemas.user import TradeStatus

M = 1_000_000
CID = "0xcid"
YES, NO = "111", "222"
LIMITS = Limits(max_net_diff=10 * M, max_portfolio_cost=1_020_000, max_position_value=5 * M)


def fill(trade: str, status: TradeStatus = "MATCHED", *, order: str = "o1", asset: str = YES,
         side: str = "BUY", price: int = 480_000, size: int = 5 * M, market: str = CID) -> Fill:
    return Fill(trade_id=trade, order_id=order, market=market, asset=asset, side=side,  # type: ignore[arg-type]
                price=price, size=size, status=status, role="MAKER", fee=0, source="ws", ts_event=1,
                ts_recv=2)


def lease(ttl_ms: int = 5000, market: str = CID, assets: tuple[str, ...] = (YES, NO)) -> Lease:
    yes, no = (*assets, "", "")[:2]
    return Lease(holder="btc", market=market, yes_asset=yes, no_asset=no, ttl_ms=ttl_ms, ts=0)


LIFECYCLE = [
    ("MATCHED, MINED, CONFIRMED count once",
     [fill("t1"), fill("t1", "MINED"), fill("t1", "CONFIRMED")],
     ["applied", "recorded", "recorded"], (5 * M, 480_000, 0, 1)),
    ("FAILED reverses a MATCHED fill", [fill("t1"), fill("t1", "FAILED")],
     ["applied", "reversed"], (0, 0, 0, 0)),
    ("a duplicate MATCHED is ignored", [fill("t1"), fill("t1")],
     ["applied", "duplicate"], (5 * M, 480_000, 0, 1)),
    ("a duplicate CONFIRMED is ignored", [fill("t1"), fill("t1", "CONFIRMED"), fill("t1", "CONFIRMED")],
     ["applied", "recorded", "duplicate"], (5 * M, 480_000, 0, 1)),
    ("missed MATCHED: MINED applies once", [fill("t1", "MINED"), fill("t1", "CONFIRMED")],
     ["applied", "recorded"], (5 * M, 480_000, 0, 1)),
    ("missed MATCHED and MINED: CONFIRMED applies", [fill("t1", "CONFIRMED")],
     ["applied"], (5 * M, 480_000, 0, 1)),
    ("a late MATCHED after CONFIRMED is only recorded", [fill("t1", "CONFIRMED"), fill("t1")],
     ["applied", "recorded"], (5 * M, 480_000, 0, 1)),
    ("FAILED before apply: nothing to undo", [fill("t1", "FAILED")],
     ["recorded"], (0, 0, 0, 0)),
    ("nothing applies after FAILED (terminal)", [fill("t1", "FAILED"), fill("t1"), fill("t1", "CONFIRMED")],
     ["recorded", "recorded", "recorded"], (0, 0, 0, 0)),
    ("FAILED twice reverses once", [fill("t1"), fill("t1", "FAILED"), fill("t1", "FAILED")],
     ["applied", "reversed", "duplicate"], (0, 0, 0, 0)),
    ("RETRYING is recorded only", [fill("t1"), fill("t1", "RETRYING"), fill("t1", "CONFIRMED")],
     ["applied", "recorded", "recorded"], (5 * M, 480_000, 0, 1)),
    ("RETRYING first, then MINED applies", [fill("t1", "RETRYING"), fill("t1", "MINED")],
     ["recorded", "applied"], (5 * M, 480_000, 0, 1)),
    ("RETRYING then FAILED: never applied", [fill("t1", "RETRYING"), fill("t1", "FAILED")],
     ["recorded", "recorded"], (0, 0, 0, 0)),
    ("MATCHED, RETRYING, FAILED reverses", [fill("t1"), fill("t1", "RETRYING"), fill("t1", "FAILED")],
     ["applied", "recorded", "reversed"], (0, 0, 0, 0)),
    ("SELL realises PnL and keeps the average cost",
     [fill("t1", size=10 * M), fill("t2", side="SELL", price=550_000, size=4 * M)],
     ["applied", "applied"], (6 * M, 480_000, 280_000, 2)),
    ("several of our orders in one trade are distinct fills",
     [fill("t1", order="o1"), fill("t1", order="o2", size=3 * M, price=470_000)],
     ["applied", "applied"], (8 * M, 476_250, 0, 2)),
    ("FAILED of one order in a shared trade reverses only that order",
     [fill("t1", order="o1"), fill("t1", order="o2", size=3 * M), fill("t1", "FAILED", order="o1")],
     ["applied", "applied", "reversed"], (3 * M, 480_000, 0, 1)),
    ("reversal is exactly as if the failed buy never happened",
     [fill("t1", size=10 * M, price=400_000), fill("t2", size=10 * M, price=600_000),
      fill("t3", side="SELL", size=5 * M, price=700_000), fill("t2", "FAILED")],
     ["applied", "applied", "applied", "reversed"], (5 * M, 400_000, 1_500_000, 2)),
    ("reversal leaves no rounding residue",
     [fill("t1", size=2 * M, price=333_333), fill("t2", size=1 * M, price=500_000), fill("t2", "FAILED")],
     ["applied", "applied", "reversed"], (2 * M, 333_333, 0, 1)),
]
