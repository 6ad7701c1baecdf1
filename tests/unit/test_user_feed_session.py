"""actors.user_feed.session: the user socket's rules without a socket or a clock (table-driven).

Reconnect back-off, the PONG deadline and PING period, the subscription diff (leases, trades of ours not
final yet) and the back-fill debts (every connect, markets carried again, failures, credentials with no
socket wanted). Time is passed in; the jitter is fixed so every delay is exact.
"""

from __future__ import annotations

import json
import random
from typing import Any

import msgspec
import pytest

from actors.user_feed.backfill import Backfill as Trades
from actors.user_feed.config import UserFeedConfig
from actors.user_feed.core import Feed, Identity, Watermark
from actors.user_feed.session import Action, Backfill, Close, Connect, Send, Session, Subscribe
from actors.user_feed.venue import MakerOrder, UserTrade
from bus.effects import Effects
from schemas import Lease, LeaseRelease, UserFeedStatus

NS = 1_000_000_000
MS = 1_000_000
T0 = 1_800_000_000 * NS
KEY = "our-api-key"
M1, M2, M3 = ("0x" + c * 64 for c in "123")
CFG = UserFeedConfig(ping_ms=1000, pong_timeout_ms=3000, reconnect_min_ms=100, reconnect_max_ms=1600,
                     stable_ms=5000, backfill_margin_s=60, backfill_lookback_s=3600, linger_s=0)


class Fixed(random.Random):
    """Jitter pinned: ``random()`` is always ``value`` (1.0: the full back-off)."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def session(cfg: UserFeedConfig = CFG, jitter: float = 1.0, mark: Watermark | None = None,
            leased: tuple[str, ...] = ()) -> Session:
    """A session with credentials; ``leased`` markets are leased before they arrive."""
    s = Session(cfg, Feed(Identity(""), mark or Watermark()), Fixed(jitter), T0)
    for market in leased:
        step(s, "on_lease", lease(market, holder=market), T0)
    s.on_credentials(Identity(KEY), T0)
    return s


def lease(market: str, holder: str = "h1") -> Lease:
    return Lease(holder=holder, market=market, yes_asset="y" + market[-4:], no_asset="n" + market[-4:],
                 ttl_ms=3_600_000, ts=0)


def step(s: Session, fn: str, *args: Any) -> tuple[list[Action], Effects]:
    """Call ``s.<fn>(*args, fx)``; what it asked for, and its effects."""
    fx = Effects()
    actions = getattr(s, fn)(*args, fx)
    return actions or [], fx


def notes(fx: Effects, event: str) -> list[dict[str, Any]]:
    return [fields for _, name, fields in fx.notes if name == event]


def opened(s: Session, now: int) -> list[Action]:
    """Tick until the session connects, then report the socket open."""
    actions, _ = step(s, "tick", now)
    assert [a for a in actions if isinstance(a, Connect)], actions
    actions, _ = step(s, "on_open", now)
    return actions


def frames(actions: list[Action]) -> list[Any]:
    return [json.loads(a.text) if a.text != "PING" else a.text for a in actions if isinstance(a, Send)]


def our_trade(trade_id: str, market: str, match_s: int, status: str = "MATCHED") -> UserTrade:
    maker = MakerOrder(order_id="o-" + trade_id, owner=KEY, matched_amount="5", price="0.4", asset_id="1",
                       side="BUY")
    return UserTrade(id=trade_id, status=status, market=market, asset_id="2", side="BUY", size="5",
                     price="0.6", match_time=str(match_s), trader_side="MAKER", maker_orders=[maker])


# -- reconnect back-off ------------------------------------------------------------------------------

BACKOFF = [  # (what ended the last socket, how long it had been up (ms; None: never opened), attempts
    #            before, attempt after, delay in ms with the full jitter: min(1600, 100 * 2^attempt))
    ("the first connect fails", None, 0, 1, 200),
    ("the third connect fails", None, 2, 3, 800),
    ("failures reach the cap", None, 6, 7, 1600),
    ("a socket up briefly drops", 4999, 1, 2, 400),
    ("a socket up for stable_ms drops: start over", 5000, 4, 0, 100),
]


@pytest.mark.parametrize(("up_ms", "before", "after", "delay_ms"), [r[1:] for r in BACKOFF],
                         ids=[r[0] for r in BACKOFF])
def test_reconnect_backoff(up_ms: int | None, before: int, after: int, delay_ms: int) -> None:
    s = session()
    step(s, "on_lease", lease(M1), T0)
    s.attempt = before
    now = T0
    actions, _ = step(s, "tick", now)
    assert Connect(1, before) in actions  # one market to name, this attempt
    if up_ms is None:
        _, fx = step(s, "on_connect_failed", "ConnectionRefusedError: refused", now)
        reason = "connect failed: ConnectionRefusedError: refused"
    else:
        step(s, "on_open", now)
        now += up_ms * MS
        s.last_rx = now  # the venue kept talking: only the close ends it
        _, fx = step(s, "on_closed", "close frame 1006", now)
        reason = "close frame 1006"
    assert notes(fx, "ws_disconnected") == [{"reason": reason, "retry_in_ms": delay_ms, "attempt": after}]
    assert not [a for a in step(s, "tick", now + delay_ms * MS - 1)[0] if isinstance(a, Connect)]
    actions, _ = step(s, "tick", now + delay_ms * MS)
    assert [a for a in actions if isinstance(a, Connect)] == [Connect(1, after)]


@pytest.mark.parametrize(("jitter", "delay_ms"), [(0.0, 100), (0.5, 150), (1.0, 200)])
def test_the_jitter_draws_between_half_and_the_full_backoff(jitter: float, delay_ms: int) -> None:
    s = session(jitter=jitter)
    step(s, "on_lease", lease(M1), T0)
    step(s, "tick", T0)
    _, fx = step(s, "on_connect_failed", "TimeoutError: timed out", T0)
    assert notes(fx, "ws_disconnected")[0]["retry_in_ms"] == delay_ms


def test_no_socket_while_nothing_is_leased_and_one_connect_at_a_time() -> None:
    s = session()
    assert not [a for a in step(s, "tick", T0)[0] if isinstance(a, Connect)]
    step(s, "on_lease", lease(M1), T0)
    assert [a for a in step(s, "tick", T0)[0] if isinstance(a, Connect)] == [Connect(1, 0)]
    assert not [a for a in step(s, "tick", T0 + 10 * NS)[0] if isinstance(a, Connect)]  # still connecting


# -- PONG deadline and PING period ---------------------------------------------------------------------

KEEPALIVE = [  # (last frame received, ms before the tick; last PING, ms before; what the tick does)
    ("quiet, PING not due", 900, 900, []),
    ("PING due", 900, 1000, [Send("PING")]),
    ("nothing for exactly the deadline: still alive", 3000, 500, []),
    ("nothing past the deadline: dropped", 3001, 500, [Close()]),
    ("dropped even when a PING is due", 3001, 1000, [Close()]),
]


@pytest.mark.parametrize(("rx_ago_ms", "ping_ago_ms", "expected"), [r[1:] for r in KEEPALIVE],
                         ids=[r[0] for r in KEEPALIVE])
def test_keepalive(rx_ago_ms: int, ping_ago_ms: int, expected: list[Action]) -> None:
    s = session()
    step(s, "on_lease", lease(M1), T0)
    opened(s, T0)
    now = T0 + 10 * NS
    s.last_rx, s.last_ping = now - rx_ago_ms * MS, now - ping_ago_ms * MS
    actions, fx = step(s, "tick", now)
    assert [a for a in actions if not isinstance(a, Backfill)] == expected
    if Close() in expected:
        assert notes(fx, "ws_disconnected")[0]["reason"] == "no PONG for 3000 ms"
        assert s.state == "down" and s.subscribed == set()
        [status] = [m for _, m in fx.publishes if isinstance(m, UserFeedStatus)]
        assert not status.connected and status.markets == []


def test_any_frame_received_moves_the_pong_deadline() -> None:
    s = session()
    step(s, "on_lease", lease(M1), T0)
    opened(s, T0)
    fx = Effects()
    s.on_frames([b"PONG"], T0 + 2 * NS, fx)
    assert Close() not in step(s, "tick", T0 + 4 * NS)[0]
    assert Close() in step(s, "tick", T0 + 5 * NS + 1)[0]


# -- subscription diff ---------------------------------------------------------------------------------

def test_the_first_frame_names_the_leased_markets_and_changes_are_operation_frames() -> None:
    s = session()
    step(s, "on_lease", lease(M1), T0)
    step(s, "on_lease", lease(M2, holder="h2"), T0)
    assert opened(s, T0) == [Subscribe(frozenset({M1, M2}))]
    actions, fx = step(s, "on_lease", lease(M3, holder="h3"), T0 + 1)
    assert frames(actions) == [{"operation": "subscribe", "markets": [M3]}]
    assert notes(fx, "ws_markets") == [{"operation": "subscribe", "markets": [M3]}]
    actions, _ = step(s, "on_release", LeaseRelease(holder="h1", market=M1, ts=0), T0 + 2)
    assert frames(actions) == [{"operation": "unsubscribe", "markets": [M1]}]
    assert s.subscribed == {M2, M3}


DIFF = [  # (carried now, leased after the change, frames sent)
    ("nothing changes", {M1}, {M1}, []),
    ("one more", {M1}, {M1, M2}, [{"operation": "subscribe", "markets": [M2]}]),
    ("one fewer", {M1, M2}, {M2}, [{"operation": "unsubscribe", "markets": [M1]}]),
    ("moved: subscribe first", {M1}, {M2}, [{"operation": "subscribe", "markets": [M2]},
                                            {"operation": "unsubscribe", "markets": [M1]}]),
    ("everything released", {M1, M2}, set(), [{"operation": "unsubscribe", "markets": [M1, M2]}]),
]


@pytest.mark.parametrize(("carried", "leased", "expected"), [r[1:] for r in DIFF], ids=[r[0] for r in DIFF])
def test_subscription_diff(carried: set[str], leased: set[str], expected: list[Any]) -> None:
    s = session(leased=tuple(sorted(carried)))
    opened(s, T0)
    for m in leased - carried:  # the leases change between two ticks: one diff covers them all
        s.leases.on_lease(lease(m, holder=m), T0 + 1)
    for m in carried - leased:
        s.leases.on_release(LeaseRelease(holder=m, market=m, ts=0))
    actions, fx = step(s, "tick", T0 + 1)
    assert frames(actions) == expected and s.subscribed == leased
    assert notes(fx, "ws_markets") == expected


def test_a_market_with_a_trade_of_ours_not_final_stays_subscribed_after_its_lease_goes() -> None:
    s = session()
    step(s, "on_lease", lease(M1), T0)
    opened(s, T0)
    fx = Effects()
    s.on_frames([trade_frame("t1", M1, "MATCHED")], T0 + 1, fx)
    assert [p for p, _, _ in fx.pushes] == ["fills"]
    actions, _ = step(s, "on_release", LeaseRelease(holder="h1", market=M1, ts=0), T0 + 2)
    assert frames(actions) == [] and s.subscribed == {M1}  # it can still go RETRYING -> FAILED
    fx = Effects()
    s.on_frames([trade_frame("t1", M1, "CONFIRMED")], T0 + 3, fx)
    actions, _ = step(s, "tick", T0 + 4)
    assert frames(actions) == [{"operation": "unsubscribe", "markets": [M1]}]


def trade_frame(trade_id: str, market: str, status: str) -> bytes:
    maker = {"order_id": "o-" + trade_id, "owner": KEY, "matched_amount": "5", "price": "0.4",
             "asset_id": "1", "side": "BUY"}
    return json.dumps({"event_type": "trade", "id": trade_id, "status": status, "market": market,
                       "asset_id": "2", "side": "BUY", "size": "5", "price": "0.6",
                       "match_time": str(T0 // NS), "trader_side": "MAKER", "taker_order_id": "x",
                       "maker_orders": [maker]}).encode()


def test_a_flood_of_unusable_frames_is_logged_for_the_first_ten_then_every_thousandth() -> None:
    s = session(leased=(M1,))
    opened(s, T0)
    logged = []
    for n in range(1, 1001):
        fx = Effects()
        s.on_frames([b'{"event_type": "nonsense"}'], T0 + n, fx)
        logged += [fields["count"] for _, event, fields in fx.notes if event == "user_frame_skipped"]
    assert logged == [*range(1, 11), 1000] and s.last_rx == T0 + 1000  # still proof the socket lives


def test_all_markets_mode_subscribes_everything_and_never_diffs() -> None:
    s = session(cfg=UserFeedConfig(all_markets=True))
    actions, _ = step(s, "tick", T0)
    assert [a for a in actions if isinstance(a, Connect)] == [Connect("all", 0)]
    assert step(s, "on_open", T0)[0] == [Subscribe(None)]
    assert frames(step(s, "on_lease", lease(M1), T0 + 1)[0]) == []


# -- back-fill debts -----------------------------------------------------------------------------------

def backfills(actions: list[Action]) -> list[int]:
    return [a.after_s for a in actions if isinstance(a, Backfill)]


def test_every_connect_owes_a_backfill_from_the_watermark() -> None:
    s = session(mark=Watermark(last_trade_ns=T0 - 500 * NS), leased=(M1,))
    actions, _ = step(s, "tick", T0)
    assert backfills(actions) == [] and s.feed.mark.owed_s is None  # nothing owed before the socket
    step(s, "on_open", T0)
    assert backfills(step(s, "tick", T0 + 1)[0]) == [(T0 - 500 * NS) // NS - 60]
    assert backfills(step(s, "tick", T0 + 2)[0]) == []  # one at a time


def test_credentials_with_no_socket_wanted_still_owe_the_gap_since_the_last_run() -> None:
    s = Session(CFG, Feed(Identity("")), Fixed(1.0), T0)
    s.on_credentials(Identity(KEY), T0)
    assert backfills(step(s, "tick", T0 + 1)[0]) == [T0 // NS - 3600]  # nothing seen yet: the lookback


def test_a_market_carried_again_owes_a_backfill_from_when_it_was_dropped() -> None:
    s = session(mark=Watermark(last_trade_ns=T0 - 10 * NS), leased=(M1,))
    opened(s, T0)
    [job] = [a for a in step(s, "tick", T0 + 1)[0] if isinstance(a, Backfill)]
    step(s, "on_backfill", job, Trades([], 1, 0, False), None, T0 + 2)
    step(s, "on_release", LeaseRelease(holder=M1, market=M1, ts=0), T0 + 100 * NS)  # no longer carried
    step(s, "on_lease", lease(M1), T0 + 300 * NS)  # carried again: its trades meanwhile are only in REST
    assert backfills(step(s, "tick", T0 + 300 * NS + 1)[0]) == [(T0 + 100 * NS) // NS - 60]


def test_a_dropped_socket_owes_its_markets_when_they_are_carried_again() -> None:
    s = session(mark=Watermark(last_trade_ns=T0 + 50 * NS), leased=(M1,))
    opened(s, T0)
    [job] = [a for a in step(s, "tick", T0 + 1)[0] if isinstance(a, Backfill)]
    step(s, "on_backfill", job, Trades([], 1, 0, False), None, T0 + 2)
    step(s, "on_closed", "close frame 1006", T0 + 100 * NS)
    assert s.dropped_at == {M1: T0 + 100 * NS}
    actions, _ = step(s, "tick", T0 + 101 * NS)
    assert [a for a in actions if isinstance(a, Connect)]
    step(s, "on_open", T0 + 101 * NS)
    assert s.dropped_at == {} and s.feed.mark.owed_s == (T0 + 50 * NS) // NS - 60  # the older of the two


def test_a_failed_backfill_is_owed_again_after_its_own_backoff() -> None:
    s = session(mark=Watermark(last_trade_ns=T0 - 10 * NS), leased=(M1,))
    opened(s, T0)
    [job] = [a for a in step(s, "tick", T0 + 1)[0] if isinstance(a, Backfill)]
    _, fx = step(s, "on_backfill", job, None, RuntimeError("HTTP 401"), T0 + 2)
    [failed] = notes(fx, "backfill_failed")
    assert failed == {"after": job.after_s, "error": "HTTP 401", "retry_in_ms": 2000}  # 1 s * 2^1, jitter 1
    assert backfills(step(s, "tick", T0 + 2 + 2000 * MS - 1)[0]) == []
    assert backfills(step(s, "tick", T0 + 2 + 2000 * MS)[0]) == [job.after_s]


def test_a_backfill_turns_our_trades_into_fills_and_says_so_in_the_status() -> None:
    s = session(mark=Watermark(last_trade_ns=T0 - 10 * NS), leased=(M1,))
    opened(s, T0)
    [job] = [a for a in step(s, "tick", T0 + 1)[0] if isinstance(a, Backfill)]
    trades = [our_trade("t1", M1, T0 // NS - 5, "CONFIRMED"), our_trade("t2", M2, T0 // NS - 4, "MINED")]
    _, fx = step(s, "on_backfill", job, Trades(trades, 2, 1, True), None, T0 + 2)
    assert [(p, m.trade_id, m.source) for p, _, m in fx.pushes] == [("fills", "t1", "rest"),
                                                                      ("fills", "t2", "rest")]
    assert [lvl for lvl, name, _ in fx.notes if name == "backfill_done"] == ["error"]  # truncated
    [status] = [m for _, m in fx.publishes if isinstance(m, UserFeedStatus)]
    assert status.backfilled == 2 and status.connected and s.feed.mark.owed_s is None


# -- credentials ---------------------------------------------------------------------------------------

def test_waiting_for_credentials_is_said_every_10_s_and_gives_up_at_the_limit() -> None:
    s = Session(UserFeedConfig(creds_wait_s=25), Feed(Identity("")), Fixed(1.0), T0)
    said = []
    for second in range(0, 26):
        fx = Effects()
        gave_up = s.awaiting_credentials(T0 + second * NS, fx, file="/run/api-creds.json")
        said += [(second, name) for _, name, _ in fx.notes]
        assert gave_up == (second >= 25)
    assert said == [(0, "waiting_for_credentials"), (10, "waiting_for_credentials"),
                    (20, "waiting_for_credentials"), (25, "credentials_missing")]


# -- the linger after the last lease ---------------------------------------------------------------------

LINGER_CFG = msgspec.structs.replace(CFG, ping_ms=60_000, pong_timeout_ms=600_000, linger_s=30)  # no PINGs
S = NS


def lingering(*holders: str) -> Session:
    """M1 leased by ``holders``, the socket open, its first back-fill done (nothing owed)."""
    s = Session(LINGER_CFG, Feed(Identity(""), Watermark(last_trade_ns=T0 - 10 * S)), Fixed(1.0), T0)
    for h in holders:
        step(s, "on_lease", lease(M1, holder=h), T0)
    s.on_credentials(Identity(KEY), T0)
    opened(s, T0)
    [job] = [a for a in step(s, "tick", T0 + 1)[0] if isinstance(a, Backfill)]
    step(s, "on_backfill", job, Trades([], 1, 0, False), None, T0 + 2)
    return s


def test_a_released_market_stays_carried_for_the_linger_then_one_backfill_covers_it() -> None:
    """Our order there may fill while its cancel is on the way (or until the venue's dead-man switch fires
    if the executor is down): the socket keeps the market 30 s, then a back-fill from the release."""
    s = lingering("h1")
    actions, _ = step(s, "on_release", LeaseRelease(holder="h1", market=M1, ts=0), T0 + 10 * S)
    assert frames(actions) == [] and s.subscribed == {M1}
    actions, _ = step(s, "tick", T0 + 40 * S - 1)
    assert frames(actions) == [] and backfills(actions) == []
    actions, fx = step(s, "tick", T0 + 40 * S)
    assert frames(actions) == [{"operation": "unsubscribe", "markets": [M1]}] and s.subscribed == set()
    assert notes(fx, "ws_markets") == [{"operation": "unsubscribe", "markets": [M1]}]
    assert backfills(actions) == [(T0 + 10 * S) // NS - 60]
    assert step(s, "tick", T0 + 41 * S)[0] == []  # once


def test_a_market_leased_again_while_it_lingers_is_never_dropped_and_owes_nothing() -> None:
    s = lingering("h1")
    step(s, "on_release", LeaseRelease(holder="h1", market=M1, ts=0), T0 + 10 * S)
    step(s, "on_lease", lease(M1, holder="h2"), T0 + 20 * S)
    actions, _ = step(s, "tick", T0 + 45 * S)
    assert frames(actions) == [] and backfills(actions) == [] and s.subscribed == {M1}


def test_a_lease_that_expires_lingers_as_a_release_does() -> None:
    s = session(LINGER_CFG, mark=Watermark(last_trade_ns=T0 - 10 * S))
    step(s, "on_lease", Lease(holder="h1", market=M1, yes_asset="y", no_asset="n", ttl_ms=1000, ts=0), T0)
    opened(s, T0)
    actions, _ = step(s, "tick", T0 + 2 * S)  # expired (the coordinator died): still carried
    assert frames(actions) == [] and s.subscribed == {M1}
    actions, _ = step(s, "tick", T0 + 32 * S)
    assert frames(actions) == [{"operation": "unsubscribe", "markets": [M1]}]


def test_a_release_while_another_holder_keeps_the_lease_starts_no_linger() -> None:
    s = lingering("h1", "h2")
    step(s, "on_release", LeaseRelease(holder="h1", market=M1, ts=0), T0 + 10 * S)
    assert s.released == {}
    step(s, "on_release", LeaseRelease(holder="h2", market=M1, ts=0), T0 + 20 * S)
    assert s.released == {M1: T0 + 20 * S}


def test_all_markets_mode_keeps_no_linger() -> None:
    s = session(msgspec.structs.replace(LINGER_CFG, all_markets=True))
    step(s, "on_lease", lease(M1), T0)
    step(s, "on_release", LeaseRelease(holder="h1", market=M1, ts=0), T0 + 1)
    assert s.released == {}
