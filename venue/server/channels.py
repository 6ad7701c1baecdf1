"""`/ws/market` and `/ws/user`: subscriptions, PING/PONG, initial dumps, fan-out, drops and freezes.

Fan-out encodes each event's JSON and builds its WebSocket frame once, then gives the same bytes to
every subscriber; one drain's frames for one socket go out in a single write.
Wire facts: PROTOCOL.md §1 (market channel) and §2 (user channel).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from venue.server.http import Request
from venue.server.websocket import WebSocket, text_frame

log = logging.getLogger("venue.channels")

PONG = text_frame(b"PONG")
NO_NEW_ASSETS = text_frame(b"NO NEW ASSETS")
MAX_ASSETS_WITH_DUMP = 500  # above this many assets on one socket the real venue sends no snapshots
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _str_list(value: object) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value


def ws_book(rest_book: dict[str, Any]) -> dict[str, Any]:
    """The market channel's `book` event from a REST `/book` object (live key order, RUSTCAP)."""
    return {
        "market": rest_book["market"], "asset_id": rest_book["asset_id"],
        "timestamp": rest_book["timestamp"], "hash": rest_book["hash"],
        "bids": rest_book["bids"], "asks": rest_book["asks"],
        "tick_size": rest_book["tick_size"], "event_type": "book",
        "last_trade_price": rest_book.get("last_trade_price", ""),
    }


class MarketSub:
    __slots__ = ("assets", "custom", "opened_ns")

    def __init__(self, opened_ns: int) -> None:
        self.assets: set[str] = set()
        self.custom = False
        self.opened_ns = opened_ns


class _Channel:
    """Socket bookkeeping shared by both channels."""

    def __init__(self, clock_ns: Callable[[], int]) -> None:
        self.clock_ns = clock_ns
        self.sockets: set[WebSocket] = set()
        self.frames_out = 0
        self.write_ns = 0  # when the last fan-out started writing (the benchmark's "frame written" time)

    def drop_all(self) -> int:
        """Abruptly close every socket (TCP reset, no close frame)."""
        dropped = list(self.sockets)
        for ws in dropped:
            ws.abort()
        return len(dropped)

    def drop_due(self, due: Callable[[int, int], bool]) -> int:
        """Drop the sockets for which `due(opened_ns, now_ns)` says so (the periodic WS-drop fault)."""
        now = self.clock_ns()
        late = [ws for ws in self.sockets if due(ws.state.opened_ns, now)]
        for ws in late:
            ws.abort()
        return len(late)

    def _send(self, pending: dict[WebSocket, list[bytes]]) -> int:
        sent = 0
        self.write_ns = time.time_ns()
        for ws, frames in pending.items():
            if ws.send_frames(frames):
                sent += len(frames)
        self.frames_out += sent
        return sent


class MarketChannel(_Channel):
    def __init__(self, books: Callable[[str], dict[str, Any] | None], clock_ns: Callable[[], int],
                 frozen: Callable[[], bool]) -> None:
        super().__init__(clock_ns)
        self.books = books
        self.frozen = frozen  # silent feed freeze: no dumps, no events, PONG still answered
        self.by_asset: dict[str, set[WebSocket]] = {}

    # ---- WsHandler ------------------------------------------------------------------------
    def on_open(self, ws: WebSocket, request: Request) -> None:
        ws.state = MarketSub(self.clock_ns())
        self.sockets.add(ws)

    def on_close(self, ws: WebSocket) -> None:
        self.sockets.discard(ws)
        sub: MarketSub = ws.state
        self._remove(ws, sub, list(sub.assets))

    def on_text(self, ws: WebSocket, text: str) -> None:
        if text == "PING":
            ws.send_frame(PONG)  # answered even during a silent freeze, like the real one
            return
        try:
            msg = _decode(text)
        except msgspec.DecodeError:
            return
        if not isinstance(msg, dict):
            return
        sub: MarketSub = ws.state
        assets = _str_list(msg.get("assets_ids")) or []
        operation = msg.get("operation")
        if operation == "unsubscribe":
            self._remove(ws, sub, assets)
            return
        kind = msg.get("type")
        if operation != "subscribe" and not (isinstance(kind, str) and kind.lower() == "market"):
            return
        custom = msg.get("custom_feature_enabled")
        if isinstance(custom, bool):
            sub.custom = custom
        added = [a for a in dict.fromkeys(assets) if a not in sub.assets]
        for asset in added:
            sub.assets.add(asset)
            self.by_asset.setdefault(asset, set()).add(ws)
        wants_dump = msg.get("initial_dump", True) is not False and len(sub.assets) <= MAX_ASSETS_WITH_DUMP
        if wants_dump and (added or not assets or kind is not None):
            self._dump(ws, added)

    def _remove(self, ws: WebSocket, sub: MarketSub, assets: Iterable[str]) -> None:
        for asset in assets:
            sub.assets.discard(asset)
            subs = self.by_asset.get(asset)
            if subs is not None:
                subs.discard(ws)
                if not subs:
                    del self.by_asset[asset]

    def _dump(self, ws: WebSocket, assets: list[str]) -> None:
        if self.frozen():
            return
        books = [ws_book(b) for a in assets if (b := self.books(a)) is not None]
        ws.send_frame(text_frame(_encode(books)))  # one array; bare [] when nothing is known

    # ---- fan-out --------------------------------------------------------------------------
    def publish(self, events: Iterable[Any]) -> int:
        """Send `MarketEvent`s; returns frames written. Each payload is encoded exactly once."""
        pending: dict[WebSocket, list[bytes]] = {}
        if self.frozen():
            return 0
        for event in events:
            frame = text_frame(_encode(event.payload))
            ids = event.asset_ids
            if not ids:
                targets: Iterable[WebSocket] = self.sockets
            elif len(ids) == 1:
                targets = self.by_asset.get(ids[0], ())
            else:
                found: set[WebSocket] = set()
                for asset in ids:
                    found.update(self.by_asset.get(asset, ()))
                targets = found
            custom = event.custom
            for ws in targets:
                sub: MarketSub = ws.state
                if custom and not sub.custom:
                    continue
                frames = pending.get(ws)
                if frames is None:
                    pending[ws] = [frame]
                else:
                    frames.append(frame)
        return self._send(pending)

    def send_no_new_assets(self) -> None:
        """The periodic `NO NEW ASSETS` text that custom-feature sockets receive."""
        if self.frozen():
            return
        for ws in list(self.sockets):
            if ws.state.custom:
                ws.send_frame(NO_NEW_ASSETS)


class UserSub:
    __slots__ = ("api_key", "excluded", "markets", "opened_ns")

    def __init__(self, opened_ns: int) -> None:
        self.opened_ns = opened_ns
        self.api_key: str | None = None
        self.markets: set[str] | None = None  # None = every market of the key
        self.excluded: set[str] = set()

    def wants(self, market: str) -> bool:
        if self.markets is None:
            return market not in self.excluded
        return market in self.markets


class UserChannel(_Channel):
    def __init__(self, authenticate: Callable[[str, str, str], bool], clock_ns: Callable[[], int]) -> None:
        super().__init__(clock_ns)
        self.authenticate = authenticate
        self.by_key: dict[str, set[WebSocket]] = {}

    def on_open(self, ws: WebSocket, request: Request) -> None:
        ws.state = UserSub(self.clock_ns())
        self.sockets.add(ws)

    def on_close(self, ws: WebSocket) -> None:
        self.sockets.discard(ws)
        key = ws.state.api_key
        if key is not None and key in self.by_key:
            self.by_key[key].discard(ws)
            if not self.by_key[key]:
                del self.by_key[key]

    def on_text(self, ws: WebSocket, text: str) -> None:
        if text == "PING":
            ws.send_frame(PONG)
            return
        try:
            msg = _decode(text)
        except msgspec.DecodeError:
            return
        if not isinstance(msg, dict):
            return
        sub: UserSub = ws.state
        kind = msg.get("type")
        if isinstance(kind, str) and kind.lower() == "user":
            self._subscribe(ws, sub, msg)
            return
        operation = msg.get("operation")
        markets = _str_list(msg.get("markets")) or []
        if sub.api_key is None or not markets:
            return
        if operation == "subscribe":
            if sub.markets is None:
                sub.excluded.difference_update(markets)
            else:
                sub.markets.update(markets)
        elif operation == "unsubscribe":
            if sub.markets is None:
                sub.excluded.update(markets)
            else:
                sub.markets.difference_update(markets)

    def _subscribe(self, ws: WebSocket, sub: UserSub, msg: dict[str, Any]) -> None:
        auth = msg.get("auth")
        raw = [auth.get(k) for k in ("apiKey", "secret", "passphrase")] if isinstance(auth, dict) else []
        creds = [c for c in raw if isinstance(c, str)]
        if len(creds) != 3 or not self.authenticate(*creds):
            log.info("ws_user_auth_failed")
            ws.close(1008, "Unauthorized")
            return
        key = creds[0]
        if sub.api_key is not None and sub.api_key != key:
            self.by_key.get(sub.api_key, set()).discard(ws)
        sub.api_key = key
        markets = _str_list(msg.get("markets"))
        sub.markets = set(markets) if markets else None
        sub.excluded.clear()
        self.by_key.setdefault(key, set()).add(ws)

    def publish(self, events: Iterable[Any]) -> int:
        """Send `UserEvent`s to the sockets of their api key whose market filter accepts them."""
        pending: dict[WebSocket, list[bytes]] = {}
        for event in events:
            sockets = self.by_key.get(event.api_key)
            if not sockets:
                continue
            frame = text_frame(_encode(event.payload))
            for ws in sockets:
                if ws.state.wants(event.market):
                    pending.setdefault(ws, []).append(frame)
        return self._send(pending)
