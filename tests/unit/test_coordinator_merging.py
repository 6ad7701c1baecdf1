"""When a coordinator asks the executor to merge pairs (``actors.coordinator.merging``), and that
``Holding`` sends it once a second for the market it holds."""

from __future__ import annotations

import pytest

from actors.coordinator.config import CoordinatorConfig
from actors.coordinator.core import EXEC_PIPE, Coordinator
from actors.coordinator.holding import Holding
from actors.coordinator.merging import merge_command
from actors.coordinator.model import MarketSpec
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.rotation import Rotation, Window
from actors.coordinator.strategies.neutral import Neutral
from actors.coordinator.strategies.pair_ofi import PairOfi, PairParams
from bus import topics
from bus.effects import Effects
from schemas import InventoryState, MergePairs
from tests.support.inline import inline

M, S = 1_000_000, 1_000_000_000
T0 = 1_700_000_000 * S
SPEC = MarketSpec(market="0xm1", yes_asset="Y1", no_asset="N1", tick=10_000, min_size=5 * M)


def state(yes: int, no: int, *, market: str = "0xm1", resolved: bool = False) -> InventoryState:
    return InventoryState(market=market, yes_asset="Y1", no_asset="N1", yes_qty=yes, no_qty=no,
                          yes_avg_cost=400_000, no_avg_cost=550_000, net_diff=yes - no,
                          portfolio_cost=950_000, can_open=True, realized_pnl=0, unrealized_pnl=0, fills=2,
                          ts=0, resolved=resolved)


@pytest.mark.parametrize(("name", "seen", "merges", "min_size", "sent"), [
    ("both legs hold min_size", state(5 * M, 8 * M), True, 5 * M, True),
    ("one leg below", state(4 * M, 8 * M), True, 5 * M, False),
    ("turned off", state(9 * M, 9 * M), True, 0, False),
    ("a strategy that may sell its inventory", state(9 * M, 9 * M), False, 5 * M, False),
    ("no state yet", None, True, 5 * M, False),
    ("another market's state", state(9 * M, 9 * M, market="0xm0"), True, 5 * M, False),
    ("resolved: redeemed, not merged", state(9 * M, 9 * M, resolved=True), True, 5 * M, False),
])
def test_merge_command(name: str, seen: InventoryState | None, merges: bool, min_size: int,
                       sent: bool) -> None:
    cmd = merge_command(seen, "0xm1", holder="btc", merges=merges, min_size=min_size, now=7)
    expected = MergePairs(cmd_id="merge-7", holder="btc", market="0xm1", yes_asset="Y1", no_asset="N1",
                          min_size=min_size, ts=7)
    assert cmd == (expected if sent else None), name


def test_holding_asks_for_a_merge_each_second_while_pairs_are_held() -> None:
    cfg = CoordinatorConfig(name="btc", market_slug="btc-updown-15m")
    assert cfg.merge_min_shares == 5 * M  # on by default (for pair_ofi)
    core = Coordinator(holder="btc", strategy=PairOfi(PairParams()), rules=RequoteRules(), run=1)
    h = Holding(cfg, core, Rotation(cfg.market_slug, lambda slug, at: Window(SPEC, "btc-1", T0 + 900 * S),
                                    submit=inline))
    h.every_second(T0, Effects())
    h.every_second(T0 + S, Effects())  # takes the window up
    core.on_inventory(state(6 * M, 7 * M), T0 + S)
    fx = Effects()
    h.every_second(T0 + 2 * S, fx)
    assert [(pipe, topic, type(msg)) for pipe, topic, msg in fx.pushes] == [
        (EXEC_PIPE, topics.exec_cmd("btc"), MergePairs)]
    core.on_inventory(state(6 * M, 0), T0 + 2 * S)
    fx = Effects()
    h.every_second(T0 + 3 * S, fx)
    assert fx.pushes == []


def test_only_a_strategy_that_never_sells_its_pairs_has_them_merged() -> None:
    assert PairOfi().merges_pairs and not Neutral().merges_pairs
