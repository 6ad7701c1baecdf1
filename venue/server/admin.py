"""Runtime fault state (the server side of `venue/faults.py`) and the `/_venue/*` control routes.

`/_venue/*` is for tests and operators only; it is not part of the Polymarket API.
`FaultState` holds the live `FaultPlan`, the seeded rng and the manual overrides (an engine restart
or a feed freeze started through the admin routes) and answers the server's questions with the
pure decisions of `venue.faults`.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from schemas.units import NS
from venue import faults
from venue.config import parse_fair
from venue.faults import FaultPlan, HttpFault
from venue.money import fmt
from venue.server.http import Request, Response, Router

_NO_FAULT = HttpFault()


class FaultState:
    def __init__(self, plan: FaultPlan, *, seed: int, start_ns: int) -> None:
        self.plan = plan
        self.rng = random.Random(seed ^ 0x5EED_FA17)
        self.start_ns = start_ns
        self.restart_at_ns = -1  # manual restart (POST /_venue/restart-engine)
        self.freeze_until_ns = 0  # manual freeze (POST /_venue/ws/freeze)
        self._quiet = self._is_quiet(plan)

    @staticmethod
    def _is_quiet(plan: FaultPlan) -> bool:
        return not (plan.latency_ms or plan.latency_jitter_ms or plan.rate_429 or plan.rate_425
                    or plan.restart_interval_s)

    def set_plan(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._quiet = self._is_quiet(plan)

    def restart(self, now_ns: int) -> None:
        self.restart_at_ns = now_ns

    def _manual_phase(self, now_ns: int) -> faults.EnginePhase:
        if self.restart_at_ns < 0:
            return "normal"
        into = now_ns - self.restart_at_ns
        if into < self.plan.restart_425_s * NS:
            return "restarting"
        if into < (self.plan.restart_425_s + self.plan.restart_post_only_s) * NS:
            return "post_only"
        self.restart_at_ns = -1
        return "normal"

    def phase(self, now_ns: int) -> faults.EnginePhase:
        manual = self._manual_phase(now_ns)
        return manual if manual != "normal" else faults.engine_phase(self.plan, now_ns, self.start_ns)

    def http(self, kind: str, now_ns: int) -> HttpFault:
        """The gate of one REST request (`kind`: order / cancel / other). Post-only mode is per order."""
        if self._quiet and self.restart_at_ns < 0:
            return _NO_FAULT
        if kind != "other" and self._manual_phase(now_ns) == "restarting":
            return HttpFault(status=425, body={"error": faults.RESTART_ERROR},
                             headers={"Retry-After": "1"})
        fault = faults.decide_http(self.plan, self.rng, now_ns=now_ns, start_ns=self.start_ns, kind=kind,
                                   post_only=True)
        if fault.status == 425 and "Retry-After" not in fault.headers:
            return msgspec.structs.replace(fault, headers={"Retry-After": "1"})
        return fault

    def order_gate(self, post_only: bool, now_ns: int) -> tuple[int, dict[str, str]] | None:
        phase = self.phase(now_ns)
        if phase == "restarting":
            return 425, {"error": faults.RESTART_ERROR}
        if phase == "post_only" and not post_only:
            return 400, {"error": faults.POST_ONLY_MODE_ERROR}
        return None

    def feed_frozen(self, now_ns: int) -> bool:
        return now_ns < self.freeze_until_ns or faults.feed_frozen(self.plan, now_ns=now_ns,
                                                                   start_ns=self.start_ns)

    def ws_drop_due(self, opened_ns: int, now_ns: int) -> bool:
        return faults.ws_drop_due(self.plan, opened_ns=opened_ns, now_ns=now_ns)


class AdminApi:
    """`/_venue/*`: stats, positions, faults, engine restart, WS drop/freeze, forced tick, fair values."""

    def __init__(self, *, exchange: Any, state: FaultState, clock_ns: Callable[[], int],
                 stats: Callable[[], dict[str, Any]], drop_ws: Callable[[], int],
                 tick: Callable[[], None],
                 broadcast: Callable[[str, int, int], Awaitable[dict[str, Any]]]) -> None:
        self.exchange = exchange
        self.state = state
        self.clock_ns = clock_ns
        self.stats = stats
        self.drop_ws = drop_ws
        self.tick = tick
        self.broadcast = broadcast

    def install(self, router: Router) -> None:
        router.add("GET", "/_venue/stats", lambda r: Response.json(self.stats()))
        router.add("GET", "/_venue/positions", self._positions)
        router.add("GET", "/_venue/faults", lambda r: Response(200, msgspec.json.encode(self.state.plan)))
        router.add("POST", "/_venue/faults", self._set_faults)
        router.add("POST", "/_venue/restart-engine", self._restart)
        router.add("POST", "/_venue/ws/drop", lambda r: Response.json({"dropped": self.drop_ws()}))
        router.add("POST", "/_venue/ws/freeze", self._freeze)
        router.add("POST", "/_venue/tick", self._tick)
        router.add("GET", "/_venue/fair", self._get_fair)
        router.add("POST", "/_venue/fair", self._set_fair)
        router.add("POST", "/_venue/bench/broadcast", self._broadcast)

    def _positions(self, req: Request) -> Response:
        address = req.arg("address")
        if not address:
            return Response.error(400, "address is required")
        positions = self.exchange.positions(address)
        collateral = self.exchange.balance(address=address, asset_type="COLLATERAL", token_id=None)
        return Response.json({"address": address, "positions": positions, "collateral": collateral})

    def _set_faults(self, req: Request) -> Response:
        try:
            plan = msgspec.json.decode(req.body or b"{}", type=FaultPlan)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as error:
            return Response.error(400, f"invalid fault plan: {error}")
        self.state.set_plan(plan)
        self.exchange.set_faults(plan)  # the core owns the FAILED-trade rate
        return Response(200, msgspec.json.encode(plan))

    def _restart(self, req: Request) -> Response:
        """Start a restart now; optional body `{"restart_s": N, "post_only_s": M}` sets the windows."""
        try:
            body = msgspec.json.decode(req.body or b"{}")
            names = (("restart_s", "restart_425_s"), ("post_only_s", "restart_post_only_s"))
            changes = {name: float(body[key]) for key, name in names if key in body}
            if changes:
                self.state.set_plan(msgspec.structs.replace(self.state.plan, **changes))
        except (msgspec.DecodeError, TypeError, ValueError) as error:
            return Response.error(400, f"invalid restart request: {error}")
        self.state.restart(self.clock_ns())
        return Response.json({"restarting_s": self.state.plan.restart_425_s,
                              "post_only_s": self.state.plan.restart_post_only_s})

    def _freeze(self, req: Request) -> Response:
        try:
            body = msgspec.json.decode(req.body or b"{}")
            seconds = float(body.get("seconds", 0))
        except (msgspec.DecodeError, AttributeError, TypeError, ValueError):
            return Response.error(400, 'body must be {"seconds": <number>}')
        self.state.freeze_until_ns = self.clock_ns() + int(seconds * NS)
        return Response.json({"frozen_s": seconds})

    def _tick(self, req: Request) -> Response:
        self.tick()
        return Response.json("OK")

    def _set_fair(self, req: Request) -> Response:
        """`{"market": <condition id, slug, token id or series>, "yes": 0.70}` holds that market's fair
        value (`"yes": null` hands it back to its config path or the model); the makers re-quote around
        it before the answer is sent (`venue/fair_script.py`)."""
        try:
            body = msgspec.json.decode(req.body or b"{}")
            key, raw = body["market"], body["yes"]
            if not isinstance(key, str):
                raise TypeError("market must be a string")
            yes = None if raw is None else parse_fair(raw)
        except (msgspec.DecodeError, KeyError, TypeError, ValueError) as error:
            return Response.error(400, f'body must be {{"market": str, "yes": number | null}}: {error}')
        market = self.exchange.set_fair(market=key, yes=yes, now_ns=self.clock_ns())
        if market is None:
            return Response.error(404, f"no market {key!r}")
        self.tick()  # re-quote and send the new book now
        return self._fair_of(market.condition_id)

    def _get_fair(self, req: Request) -> Response:
        """`?market=<condition id, slug, token id or series>` -> its fair value and what sets it."""
        return self._fair_of(req.arg("market") or "")

    def _fair_of(self, key: str) -> Response:
        found = self.exchange.fair(market=key, now_ns=self.clock_ns())
        if found is None:
            return Response.error(404, f"no market {key!r}")
        market, value, source = found
        return Response.json({"market": market.condition_id, "slug": market.slug,
                              "tokens": list(market.token_ids), "yes": fmt(value), "source": source})

    async def _broadcast(self, req: Request) -> Response:
        """Benchmark hook: publish `count` synthetic price_change events for `token_id`."""
        try:
            body = msgspec.json.decode(req.body or b"{}")
            token, count, batch = str(body["token_id"]), int(body["count"]), int(body.get("batch", 200))
        except (msgspec.DecodeError, KeyError, TypeError, ValueError):
            return Response.error(400, 'body must be {"token_id": str, "count": int, "batch"?: int}')
        return Response.json(await self.broadcast(token, count, max(1, batch)))
