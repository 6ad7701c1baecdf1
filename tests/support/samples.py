"""One fixed instance of every bus message type (golden-bytes tests, tap tests, fuzzing seeds)."""

from __future__ import annotations

import schemas as s

T = 1_700_000_000_000_000_000  # a fixed time in ns
CID = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"
YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"

FILL = s.Fill(trade_id="28c4d2eb-bbea-40e7-a9f0-b2fdb56b2c2e", order_id="0xabc", market=CID, asset=YES,
              side="BUY", price=480_000, size=5_000_000, status="MATCHED", role="MAKER", fee=0,
              source="ws", ts_event=T, ts_recv=T + 1)
SETTLEMENT = s.Settlement(key="merge:0xfeed", kind="merge", market=CID, yes_asset=YES, no_asset=NO,
                          yes=5_000_000, no=5_000_000, usdc=5_000_000, tx="0xfeed", source="executor", ts=T)
SIDE = s.OfiSide(buy_volume=60_000_000, sell_volume=5_000_000, score=55_000_000, threshold=50_000_000,
                 toxic=True)

SAMPLES: list[s.Message] = [
    s.Book(asset=YES, market=CID, bids=[(480_000, 10_000_000), (470_000, 5_000_000)],
           asks=[(520_000, 7_000_000)], tick=10_000, epoch=1, ts_event=T, ts_recv=T + 1),
    s.Trade(asset=YES, market=CID, price=520_000, size=5_000_000, side="BUY", fee_rate_bps=0, ts_event=T,
            ts_recv=T + 1),
    s.TickSizeChange(asset=YES, market=CID, old_tick=10_000, new_tick=1_000, ts_event=T, ts_recv=T + 1),
    s.FeedStatus(asset=YES, live=False, reason="stale", ts=T),
    s.MarketResolved(market=CID, winning_asset=YES, winning_outcome="Up", ts_event=T),
    s.NewMarket(market=CID, slug="btc-updown-15m-1700000100", assets=[YES, NO], outcomes=["Up", "Down"],
                active=False, ts_event=T),
    s.Lease(holder="btc-updown-15m", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=5000, ts=T),
    s.LeaseRelease(holder="btc-updown-15m", market=CID, ts=T),
    FILL,
    s.OrderUpdate(order_id="0xabc", market=CID, asset=YES, side="BUY", price=480_000,
                  original_size=5_000_000, size_matched=0, status="LIVE", reason="", kind="PLACEMENT",
                  ts_event=T, ts_recv=T + 1),
    s.UserFeedStatus(connected=True, markets=[CID], last_trade_ts=T, backfilled=0, ts=T),
    s.InventoryState(market=CID, yes_asset=YES, no_asset=NO, yes_qty=5_000_000, no_qty=0,
                     yes_avg_cost=480_000, no_avg_cost=0, net_diff=5_000_000, portfolio_cost=0,
                     can_open=True, realized_pnl=0, unrealized_pnl=-50_000, fills=1, ts=T,
                     max_net_diff=10_000_000, max_position_value=5_000_000),
    s.FillApplied(fill=FILL, action="applied", ts=T),
    SETTLEMENT,
    s.SettlementApplied(settlement=SETTLEMENT, action="applied", ts=T),
    s.OfiState(market=CID, yes=SIDE, no=SIDE, toxic=True, window_ms=3000, ts=T),
    s.PlaceOrder(cmd_id="c1", holder="btc-updown-15m", market=CID, asset=YES, side="BUY", price=480_000,
                 size=5_000_000, tick=10_000, neg_risk=False, slot="yes_bid", ts=T, overlap_with="c0",
                 origin_ts=T - 1),
    s.CancelOrders(cmd_id="c2", holder="btc-updown-15m", market=CID, order_ids=["0xabc"], slots=[],
                   reason="reprice", ts=T),
    s.CancelMarket(cmd_id="c3", holder="btc-updown-15m", market=CID, reason="rotation", ts=T),
    s.CancelAll(cmd_id="c4", holder="operator", reason="shutdown", ts=T),
    s.MergePairs(cmd_id="c5", holder="btc-updown-15m", market=CID, yes_asset=YES, no_asset=NO,
                 min_size=5_000_000, ts=T),
    s.OrderPlaced(cmd_id="c1", holder="btc-updown-15m", order_id="0xabc", market=CID, asset=YES,
                  side="BUY", price=480_000, size=5_000_000, slot="yes_bid", status="live", ts=T),
    s.OrderFailed(cmd_id="c1", holder="btc-updown-15m", market=CID, asset=YES, side="BUY", price=480_000,
                  size=5_000_000, slot="yes_bid", reason="crosses_book",
                  message="invalid post-only order: order crosses book", retry_after_ms=1000, ts=T),
    s.OrderCancelled(cmd_id="c2", holder="btc-updown-15m", order_id="0xabc", market=CID, asset=YES,
                     slot="yes_bid", reason="reprice", ts=T),
    s.OpenOrders(orders=[s.OpenOrder(order_id="0xabc", holder="btc-updown-15m", market=CID, asset=YES,
                                     side="BUY", price=480_000, size=5_000_000, size_matched=0,
                                     slot="yes_bid", post_only=True)], ts=T),
    s.ExecutorState(mode="normal", heartbeat_armed=True, order_tokens=60, cancel_tokens=120, ts=T),
    s.Heartbeat(program="bus", pid=42, ready=True, gaps=0, ts=T),
    s.RiskEvent(program="executor", market=CID, kind="balance", severity="halt",
                message="not enough balance / allowance", ts=T),
    s.StrategyAdjust(holder="btc-updown-15m", market=CID, field="spread", old=10_000, new=20_000,
                     reason="post-only rejections", ts=T),
    s.CoordinatorState(holder="btc-updown-15m", market=CID, strategy="pair_ofi", mode="balanced",
                       reason="", quotes={"yes_bid": 480_000, "no_bid": 500_000}, ts=T, spread=20_000,
                       volatility=1_500),
    s.RewardMarket(market=CID, slug="will-x-happen", assets=[YES, NO], min_size=50_000_000,
                   max_spread=45_000, daily_rate=100_000_000, volume_24h=1_000_000_000,
                   end_ts=T, score=1_500_000, ts=T, rank=1, selected=3, reward_ratio=1_500_000,
                   est_daily=2_000_000, tick=10_000, order_size=20_000_000, two_sided=False,
                   question="Will X happen?"),
    s.RewardScoring(market=CID, slug="will-x-happen", orders={"0xabc": True, "0xdef": False}, scoring=1,
                    est_daily=2_000_000, ts=T),
    s.Resume(cmd_id="ctl-1", holder="btc-updown-15m", reason="checked the book", ts=T),
    s.Halt(cmd_id="ctl-2", holder="btc-updown-15m", reason="news", ts=T),
    s.FollowStart(cmd_id="ctl-3", holder="btc-updown-15m", outcome="YES", shares=50_000_000, usd=0, ts=T),
    s.FollowAbort(cmd_id="ctl-4", holder="btc-updown-15m", reason="operator", ts=T),
]
