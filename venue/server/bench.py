"""`/_venue/bench/*`: benchmark scenarios run on the venue's own loop, with its own time stamps.

Not part of the Polymarket API; used by ``python -m bench`` (bench/run.py). Times are
``time.time_ns()`` (the clock the bus headers use), so they compare with the engine's stamps.

- ``POST /_venue/bench/requote`` (tick to order): for each move ``[bid, ask]`` (Yes-book prices, 1e-6
  units) the bench maker re-quotes the token's market, which goes out at once as one ``price_change``
  frame; the moment that frame is written is stamped. The route then waits until order POSTs carrying
  every expected ``[token, price]`` of that move have arrived (or ``timeout_ms``), waits ``settle_ms``
  more, and goes on to the next move. While it runs, every order request (``POST /order(s)``,
  ``DELETE /order(s)``) is stamped on arrival, before the venue handles it.
  With ``gap_us`` > 0 the moves are instead written back to back, ``gap_us`` apart (a burst), and the
  route waits ``settle_ms`` once at the end.
  An order request's arrival stamp is taken in the ``data_received`` call that brought its first byte
  (``Request.arrived_ns``, the earliest the venue's Python sees it: before the head is parsed, the
  handler runs or anything else the loop had queued); SO_TIMESTAMPNS would need a raw socket loop.
- ``POST /_venue/bench/feed`` (feed throughput): ``rate`` synthetic ``price_change`` frames per second
  for ``seconds`` to the subscribers of ``token_id``, written every ``chunk_ms``. Frame ``i`` sets the
  bid level 0.5 to size ``i + 1``, so any ``Book`` tells which frame it reflects; each chunk's first
  frame and write time are returned.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import msgspec

from schemas.units import MICRO, MS
from venue.server.channels import MarketChannel
from venue.server.http import Handler, Request, Response, Router
from venue.server.websocket import text_frame

ORDER_ROUTES = (("POST", "/order"), ("POST", "/orders"), ("DELETE", "/order"), ("DELETE", "/orders"))
MAX_MOVES = 100_000
MAX_FEED_FRAMES = 2_000_000
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode

Arrival = tuple[int, str, bytes]  # (time ns, "METHOD /path", body)


class RequoteRun(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token_id: str
    moves: list[tuple[int, int]]
    size: int = 100_000_000
    expect: list[list[tuple[str, int]]] = []  # per move: the (token, price) each POSTed order must carry
    timeout_ms: int = 1_000
    settle_ms: int = 3
    gap_us: int = 0  # > 0: a burst, moves written this far apart without waiting for orders


class FeedRun(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token_id: str
    rate: int
    seconds: float = 2.0
    chunk_ms: float = 1.0


def posted_orders(body: bytes) -> list[tuple[str, int]]:
    """(token, price in 1e-6 units) of each order in a ``POST /order(s)`` body; [] if unreadable."""
    try:
        raw = _decode(body)
    except msgspec.DecodeError:
        return []
    out: list[tuple[str, int]] = []
    for item in raw if isinstance(raw, list) else [raw]:
        order = item.get("order") if isinstance(item, dict) else None
        if not isinstance(order, dict):
            continue
        try:
            maker, taker = int(order["makerAmount"]), int(order["takerAmount"])
            buy = order["side"] in ("BUY", 0)
            out.append((str(order["tokenId"]), (maker * MICRO // taker) if buy else
                        (taker * MICRO // maker)))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue
    return out


class BenchApi:
    def __init__(self, *, exchange: Any, market: MarketChannel, drain: Callable[[], None],
                 clock_ns: Callable[[], int]) -> None:
        self.exchange = exchange
        self.market = market
        self.drain = drain
        self.clock_ns = clock_ns  # the venue's clock (for the exchange), not the stamps
        self.arrivals: list[Arrival] | None = None  # recording while a requote run lasts
        self._arrived = asyncio.Event()
        self._busy = False

    def install(self, router: Router) -> None:
        router.add("POST", "/_venue/bench/requote", self._requote)
        router.add("POST", "/_venue/bench/feed", self._feed)
        for method, path in ORDER_ROUTES:
            router.wrap(method, path, self._stamper(f"{method} {path}"))

    def _stamper(self, key: str) -> Callable[[Handler], Handler]:
        def wrap(handler: Handler) -> Handler:
            def stamped(req: Request) -> Any:
                arrivals = self.arrivals
                if arrivals is not None:  # stamped when its first byte was read (data_received)
                    arrivals.append((req.arrived_ns or time.time_ns(), key, req.body))
                    self._arrived.set()
                return handler(req)
            return stamped
        return wrap

    # ---- tick to order -----------------------------------------------------------------------
    async def _requote(self, req: Request) -> Response:
        try:
            run = msgspec.json.decode(req.body or b"{}", type=RequoteRun)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            return Response.error(400, f"invalid requote run: {error}")
        if not run.moves or len(run.moves) > MAX_MOVES or (run.expect and len(run.expect) != len(run.moves)):
            return Response.error(400, f"1..{MAX_MOVES} moves, and one expect list per move if any")
        if self._busy:
            return Response.error(409, "a bench run is already in progress")
        self._busy = True
        self.arrivals = []
        try:
            if run.gap_us > 0:
                return Response.json(await self._burst(run))
            return Response.json(await self._paced(run))
        finally:
            self.arrivals = None
            self._busy = False

    def _move(self, run: RequoteRun, bid: int, ask: int) -> tuple[int, str]:
        """Re-quote and write the frame now; returns (write time ns, error)."""
        problem = self.exchange.bench_quote(run.token_id, bid, ask, run.size, self.clock_ns())
        before = self.market.write_ns
        self.drain()
        written = self.market.write_ns
        return (written if written != before else 0), problem

    async def _paced(self, run: RequoteRun) -> dict[str, Any]:
        events: list[dict[str, Any]] = []
        for index, (bid, ask) in enumerate(run.moves):
            arrivals: list[Arrival] = []  # what arrives from now on belongs to this move
            self.arrivals = arrivals
            written, problem = self._move(run, bid, ask)
            if problem or not written:
                return {"events": events, "error": problem or f"move {index}: no frame was written"}
            wanted = set(run.expect[index]) if run.expect else set()
            complete = await self._wait_for(wanted, run.timeout_ms / 1000)
            if run.settle_ms:
                await asyncio.sleep(run.settle_ms / 1000)
            events.append({"write_ns": written, "complete": complete, "requests": self._requests(arrivals)})
        return {"events": events, "error": ""}

    async def _wait_for(self, wanted: set[tuple[str, int]], timeout_s: float) -> bool:
        assert self.arrivals is not None
        deadline = time.monotonic() + timeout_s
        seen = 0
        while wanted:
            for _, key, body in self.arrivals[seen:]:
                if key.startswith("POST"):
                    wanted.difference_update(posted_orders(body))
            seen = len(self.arrivals)
            if not wanted:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                return False
        return True

    async def _burst(self, run: RequoteRun) -> dict[str, Any]:
        assert self.arrivals is not None
        writes: list[int] = []
        for bid, ask in run.moves:
            written, problem = self._move(run, bid, ask)
            if problem or not written:
                return {"writes": writes, "requests": [], "error": problem or "no frame was written"}
            writes.append(written)
            until = time.perf_counter() + run.gap_us / 1e6
            while time.perf_counter() < until:  # busy-wait: the burst must not yield to the loop
                pass
        await asyncio.sleep(run.settle_ms / 1000)
        return {"writes": writes, "requests": self._requests(self.arrivals), "error": ""}

    @staticmethod
    def _requests(arrivals: list[Arrival]) -> list[list[Any]]:
        return [[t, key, posted_orders(body) if key.startswith("POST") else []] for t, key, body in arrivals]

    # ---- feed throughput ---------------------------------------------------------------------
    async def _feed(self, req: Request) -> Response:
        try:
            run = msgspec.json.decode(req.body or b"{}", type=FeedRun)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            return Response.error(400, f"invalid feed run: {error}")
        total = int(run.rate * run.seconds)
        if not 0 < total <= MAX_FEED_FRAMES or run.chunk_ms <= 0:
            return Response.error(400, f"rate * seconds must be within 1..{MAX_FEED_FRAMES}")
        targets = list(self.market.by_asset.get(run.token_id, ()))
        if not targets:
            return Response.error(409, f"nobody is subscribed to {run.token_id}")
        market = self.exchange.catalogue.token(run.token_id)
        cid = market.condition_id if market is not None else ""
        ts = str(self.clock_ns() // MS)
        frames = [text_frame(_encode({
            "event_type": "price_change", "market": cid, "timestamp": ts,
            "price_changes": [{"asset_id": run.token_id, "price": "0.5", "size": str(i + 1), "side": "BUY",
                               "hash": f"{i:040x}"}]})) for i in range(total)]
        per_chunk = max(1, round(run.rate * run.chunk_ms / 1000))
        chunks: list[tuple[int, int]] = []
        started = time.perf_counter()
        for n, first in enumerate(range(0, total, per_chunk)):
            due = started + n * run.chunk_ms / 1000
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            data = b"".join(frames[first:first + per_chunk])
            chunks.append((first, time.time_ns()))
            for ws in targets:
                ws.send_frame(data)
        seconds = time.perf_counter() - started
        return Response.json({"frames": total, "chunks": chunks, "seconds": seconds,
                              "subscribers": len(targets)})
