"""``python -m actors.coordinator --decide FILE``: what would the coordinator do in this situation?

The file holds the settings (``env``: any coordinator variable by name, e.g. ``PM_STRATEGY``,
``PM_NEUTRAL_BASE_SIZE``, ``PM_STOP_LOSS_USD``; ``strategy`` is a short form of ``PM_STRATEGY``;
``params`` the older short names ``pair_target``, ``bid_size``, ``reprice_threshold``, ``debounce_ms``),
the ``market``, the YES and NO ``book``s, ``inventory``, ``ofi``, ``open_orders`` (``slot``, ``price``,
``size``, optional ``token`` yes|no and ``side``), and optionally ``mids`` (earlier YES mids, oldest
first, 100 ms apart: the volatility and the shock check) and ``rejects`` (``{"bid": n, "ask": n}``
post-only rejections just now); for ``follow``, ``mids`` also feed its drop trigger (the NO mid is
``1 - mid``) and ``follow`` is a round's record as the coordinator keeps it (``var/follow-<name>.json``:
what the round would do next). It prints, as JSON, what the same pure ``Coordinator.act`` does live: the
``commands``, the risk layer's ``adjustments`` (``StrategyAdjust``) and ``risk_events`` (``RiskEvent``),
and the ``mode``, ``reason``, ``spread`` and ``volatility``. With ``"strategy": "rewards"`` the ``reward``
block gives the selected market's ``min_size`` (shares), ``max_spread`` (the band, a price: ``"0.035"``)
and ``two_sided``; ``env`` takes any ``PM_REWARDS_*`` variable.
Prices and sizes are decimal strings (``"0.48"``, read exactly: a seventh decimal is an error, not
truncated) or integers in 1e-6 units (the bus format); settings in ``env`` are read like the environment.
An open order whose quote moved shows as one ``PlaceOrder`` on its slot (the executor replaces it).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from actors.coordinator import reward_slot, setup
from actors.coordinator.config import CoordinatorConfig, FollowConfig, NeutralConfig, RiskConfig
from actors.coordinator.core import DEPENDENCIES, Coordinator
from actors.coordinator.model import MarketSpec, Slot
from actors.coordinator.strategies.follow import Follow
from actors.coordinator.strategies.rewards import Rewards
from actors.rewards.config import RewardsConfig
from bus import codec
from bus.config import load
from bus.effects import Effects
from schemas import Book, InventoryState, OfiSide, OfiState, RewardMarket, RiskEvent, StrategyAdjust
from schemas.units import MICRO, MS, parse_exact

NOW = 1_000_000_000_000
LEGACY = {"pair_target": "PM_PAIR_TARGET", "bid_size": "PM_BID_SIZE",
          "reprice_threshold": "PM_REPRICE_THRESHOLD", "debounce_ms": "PM_DEBOUNCE_MS"}
SLOT_DEFAULTS = {"yes_bid": ("yes", "BUY"), "no_bid": ("no", "BUY"), "yes_ask": ("no", "BUY"),
                 "yes_bid_static": ("yes", "BUY"), "yes_ask_static": ("no", "BUY"),
                 "exit_yes": ("yes", "SELL"), "exit_no": ("no", "SELL")}


class DecideError(ValueError):
    pass


def units(value: Any, where: str) -> int:
    """Decimal string -> exact 1e-6 units (``parse_exact``); int -> as is (already 1e-6 units)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DecideError(f"{where}: expected a decimal string or an integer in 1e-6 units, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        return parse_exact(value)
    except ValueError as exc:
        raise DecideError(f"{where}: {exc}") from None


def levels(raw: list[Any], where: str) -> list[tuple[int, int]]:
    return [(units(p, f"{where} price"), units(s, f"{where} size")) for p, s in raw]


def settings(doc: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for key, value in doc.get("params", {}).items():
        if key not in LEGACY:
            raise DecideError(f"params.{key}: unknown (use env with the variable's name)")
        micros = key != "debounce_ms"
        env[LEGACY[key]] = str(Decimal(units(value, f"params.{key}")) / MICRO) if micros else str(value)
    if "strategy" in doc:
        env["PM_STRATEGY"] = str(doc["strategy"])
    env.update({str(k): str(v) for k, v in doc.get("env", {}).items()})
    return env


def build(doc: dict[str, Any]) -> Coordinator:
    env = settings(doc)
    none = Path("/dev/null")
    cfg = load(CoordinatorConfig, environ={**env, "PM_COORDINATOR_NAME": "decide"}, dotenv=none)
    rewards = None
    if cfg.strategy == "rewards":  # the selected market's reward settings: the file's ``reward`` block
        r = doc.get("reward", {})
        pick = RewardMarket(market="0xdecide", slug="decide", assets=["YES", "NO"],
                            min_size=units(r.get("min_size", "20"), "reward.min_size"),
                            max_spread=units(r.get("max_spread", "0.035"), "reward.max_spread"),
                            daily_rate=0, volume_24h=0, end_ts=0, score=0, ts=0,
                            two_sided=bool(r.get("two_sided", False)))
        rewards = Rewards(reward_slot.params(load(RewardsConfig, environ=env, dotenv=none), pick))
    follow = load(FollowConfig, environ=env, dotenv=none) if cfg.strategy == "follow" else None
    coord = setup.build(cfg, load(NeutralConfig, environ=env, dotenv=none),
                        load(RiskConfig, environ=env, dotenv=none), follow=follow, rewards=rewards)
    market = doc.get("market", {})
    spec = MarketSpec(market=market.get("condition_id", "0xdecide"), yes_asset="YES", no_asset="NO",
                      tick=units(market.get("tick", "0.01"), "market.tick"),
                      min_size=units(market.get("min_size", "5"), "market.min_size"))
    coord.set_market(spec)
    for program in DEPENDENCIES:
        coord.on_heartbeat(program, NOW)
    mids = [units(m, "mids") for m in doc.get("mids", [])]
    machine = coord.strategy.machine if isinstance(coord.strategy, Follow) else None
    for k, mid in enumerate(mids):
        coord.mids.observe(NOW - (len(mids) - k) * 100 * MS, mid)
        if machine is not None:
            machine.drops["yes"].observe(NOW - (len(mids) - k) * 100 * MS, mid)
            machine.drops["no"].observe(NOW - (len(mids) - k) * 100 * MS, MICRO - mid)
    if machine is not None and "follow" in doc:
        try:
            machine.restore(dict(doc["follow"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DecideError(f"follow: not a round's record ({exc})") from None
    for side, n in doc.get("rejects", {}).items():
        for _ in range(int(n)):
            coord.rejects.on_reject(str(side), NOW)
    for side, asset in (("yes", "YES"), ("no", "NO")):
        b = doc["book"][side]
        coord.on_book(Book(asset=asset, market=spec.market, bids=sorted(levels(b.get("bids", []), side),
                                                                         reverse=True),
                           asks=sorted(levels(b.get("asks", []), side)), tick=spec.tick, epoch=1,
                           ts_event=NOW, ts_recv=NOW))
    i = doc.get("inventory", {})
    yes_qty, no_qty = units(i.get("yes_qty", 0), "yes_qty"), units(i.get("no_qty", 0), "no_qty")
    coord.on_inventory(InventoryState(
        market=spec.market, yes_asset="YES", no_asset="NO", yes_qty=yes_qty, no_qty=no_qty,
        yes_avg_cost=units(i.get("yes_avg_cost", 0), "yes_avg_cost"),
        no_avg_cost=units(i.get("no_avg_cost", 0), "no_avg_cost"), net_diff=yes_qty - no_qty,
        portfolio_cost=0, can_open=bool(i.get("can_open", True)), realized_pnl=0, unrealized_pnl=0, fills=0,
        ts=NOW), NOW)
    o = doc.get("ofi", {})
    quiet = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=0, toxic=False)
    toxic = bool(o.get("toxic", False) or o.get("yes_toxic", False) or o.get("no_toxic", False))
    coord.on_ofi(OfiState(market=spec.market, yes=quiet, no=quiet, toxic=toxic, window_ms=0, ts=NOW), NOW)
    for order in doc.get("open_orders", []):
        leg, side = SLOT_DEFAULTS.get(order["slot"], ("yes", "BUY"))
        coord.orders.slots[order["slot"]] = Slot(
            cmd_id="open", price=units(order["price"], "open_orders.price"),
            size=units(order["size"], "open_orders.size"), order_id=order.get("order_id", ""), status="live",
            leg=order.get("token", leg), side=order.get("side", side))
    return coord


def run(path: str) -> int:
    try:
        with open(path, "rb") as f:
            doc = msgspec.json.decode(f.read())
        coord = build(doc)
    except (OSError, msgspec.DecodeError, KeyError, TypeError, ValueError) as exc:
        sys.stderr.write(f"decide: {path}: {exc}\n")
        return 2
    fx = Effects()
    coord.act(NOW, fx)
    commands = [cmd for _, _, cmd in fx.pushes]
    published = [msg for _, msg in fx.publishes]
    out = {"mode": coord.mode, "reason": coord.reason, "spread": coord.spread,
           "volatility": coord.mids.volatility(NOW),
           "commands": [{"type": codec.tag(c), **codec.to_builtins(c)} for c in commands],
           "adjustments": [codec.to_builtins(m) for m in published if isinstance(m, StrategyAdjust)],
           "risk_events": [codec.to_builtins(m) for m in published if isinstance(m, RiskEvent)]}
    sys.stdout.write(msgspec.json.encode(out).decode() + "\n")
    return 0
