"""The market-data state machine (pure): venue frames in, bus messages out.

Per asset (token id) it keeps the order book, tick size, epoch and liveness. Rules:
- ``book`` replaces the book (levels sorted here: the live order is worst -> best) and starts a new
  epoch; the first snapshot after a gap makes the asset live (``FeedStatus`` live, "snapshot").
- ``price_change`` (all three shapes) sets level totals ("0" removes); one ``Book`` per asset per frame,
  and only if the visible depth-N changed. Deltas for an asset without a book are ignored.
- ``tick_size_change`` starts a new epoch: the book is dropped, the asset goes not-live
  ("tick_change"), deltas are ignored until the next snapshot, and a fresh snapshot is requested
  (``FeedEffects.resnap``; the shell re-subscribes that asset on its socket).
- ``last_trade_price`` -> ``Trade``; ``new_market`` / ``market_resolved`` -> ``md.market.<cid>.``
  (once per market: every socket of ours receives these broadcasts); ``best_bid_ask`` only proves
  the asset is alive.
- Current-schema deltas carry the venue's top of book after the change: a mismatch with ours is
  counted and asks for a fresh snapshot (at most once per ``resync_min_ns`` per asset).
- Anything malformed is counted and reported as a warning (``malformed_frame``, through
  ``bus.logs.Throttle``: the first ten, then every thousandth); the state is left untouched (every value
  of an event is parsed before anything is changed).
Events for assets that are not tracked (not subscribed) are ignored, except with ``track_all``
(replay), where the first event of an asset starts tracking it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actors.market_feed import venue
from actors.market_feed.books import OrderBook
from actors.market_feed.effects import FeedEffects
from bus import topics
from bus.logs import Throttle
from schemas import Book, FeedStatus, MarketResolved, NewMarket, TickSizeChange, Trade
from schemas.market import Side
from schemas.units import NS, ONE  # ONE: a price of 1.0 ("best ask 1" means an empty ask side)

_SIDES = {"BUY": True, "buy": True, "SELL": False, "sell": False}  # as venue.side_is_bid
_BOOK_EVENTS = {venue.BookMsg, venue.PriceChangeMsg}  # the events that can publish a Book
_SEEN_MARKETS_MAX = 10_000


class AssetState:
    __slots__ = ("asset", "book", "booked", "epoch", "last_event_ns", "live", "market", "reason",
                 "requested_ns", "resync_ns", "t_book", "t_status", "t_tick", "t_trade", "tick",
                 "ts_event", "want_ns")

    def __init__(self, asset: str, *, tick: int, epoch: int, now: int) -> None:
        self.asset = asset
        self.market = ""
        self.book: OrderBook | None = None
        self.tick = tick
        self.epoch = epoch
        self.ts_event = 0
        self.live = False
        self.reason = "subscribing"
        self.booked = False  # ever had a snapshot (an asset the venue knows)
        self.last_event_ns = now  # last event naming this asset (or when tracking started)
        self.want_ns = now  # a snapshot is awaited since then (0: none)
        self.requested_ns = now  # when a snapshot was last asked for
        self.resync_ns = 0
        self.t_book = topics.md_book(asset)  # topics built once per asset
        self.t_trade = topics.md_trade(asset)
        self.t_tick = topics.md_tick(asset)
        self.t_status = topics.md_status(asset)


def _sizes(raw: list[venue.Level]) -> dict[int, int]:
    """A snapshot side as ``price -> size`` (a zero size skipped, a repeated price keeps the last size), every
    number parsed (or ValueError) before the book changes. The hot path of a snapshot: the parse cache is
    looked up inline (``venue.price`` / ``venue.size`` parse what it does not hold)."""
    units = venue.UNITS
    sizes: dict[int, int] = {}
    for level in raw:
        text = level.price
        price = units.get(text)
        if price is None or not 0 < price <= ONE:
            price = venue.price(text)
        text = level.size
        size = units.get(text)
        if size is None:
            size = venue.size(text)
        if size:
            sizes[price] = size
        else:
            sizes.pop(price, None)
    return sizes


class MarketFeed:
    def __init__(self, *, depth: int, default_tick: int, check_top: bool = True,
                 resync_min_ns: int = 5 * NS, track_all: bool = False) -> None:
        self.depth = depth
        self.default_tick = default_tick
        self.check_top = check_top
        self.resync_min_ns = resync_min_ns
        self.track_all = track_all
        self.assets: dict[str, AssetState] = {}
        self.epochs: dict[str, int] = {}  # survives unsubscribe, so an epoch never goes back
        self.seen_markets: dict[tuple[str, str], None] = {}
        self.frames = self.bad = self.ignored_deltas = self.untracked = self.top_mismatch = 0
        # events read: a depth row (a snapshot's level, a level change), a print or another market message
        # (the unit a backtest's speed is counted in; each handler counts its event before it checks it)
        self.rows = 0
        self.throttle = Throttle()  # malformed_frame, book_top_mismatch: one line per flood, not per frame
        self.handlers: dict[type, Callable[[Any, int, FeedEffects], None]] = {
            venue.BookMsg: self._on_book,
            venue.PriceChangeMsg: self._on_price_change,
            venue.LastTradeMsg: self._on_trade,
            venue.TickSizeMsg: self._on_tick_size,
            venue.BestBidAskMsg: self._on_best_bid_ask,
            venue.NewMarketMsg: self._on_new_market,
            venue.MarketResolvedMsg: self._on_resolved,
        }

    # -- frames -------------------------------------------------------------------------------

    def on_frame(self, data: bytes | str, now: int) -> FeedEffects:
        """One frame in, what it produced out (``decode`` + ``apply``)."""
        fx = FeedEffects()
        events, _ = self.decode([data.encode(errors="replace") if isinstance(data, str) else data], fx)
        self.apply(events, now, fx)
        return fx

    def decode(self, frames: list[bytes], fx: FeedEffects) -> tuple[list[venue.VenueEvent], int]:
        """The events of one socket read's frames, and how many of them lead up to (and include) the
        last one that can change a book.

        The shell applies those and publishes their ``Book`` messages before applying the rest
        (``best_bid_ask`` usually), which can add no ``Book``: the same messages in the same order as
        applying everything first, only sooner. Bad frames are noted here (the good parts of a bad
        array are kept); a ``PONG`` sets ``fx.pong``; any JSON frame sets ``fx.data``.
        """
        events: list[venue.VenueEvent] = []
        decode = venue.decode_any
        for data in frames:
            self.frames += 1
            try:
                decoded = decode(data)
            except (ValueError, RecursionError):  # text, or not (all) events: the slow path says what
                frame = venue.decode_frame(data)
                if frame.text:
                    if frame.text == venue.PONG:
                        fx.pong = True
                    continue
                if frame.bad:
                    self._malformed(fx, frame.error, frame.bad)
                if frame.events or not frame.bad:
                    fx.data = True
                events += frame.events
                continue
            fx.data = True
            if type(decoded) is list:
                events += decoded
            else:
                events.append(decoded)
        cut = len(events)
        while cut and type(events[cut - 1]) not in _BOOK_EVENTS:
            cut -= 1
        return events, cut

    def apply(self, events: list[venue.VenueEvent], now: int, fx: FeedEffects) -> None:
        """Apply decoded events; their messages, notes and re-requests are added to ``fx``."""
        handlers = self.handlers
        for event in events:
            try:
                handlers[type(event)](event, now, fx)
            except ValueError as exc:  # includes topics.TopicError
                self._malformed(fx, f"{type(event).__name__}: {exc}", 1)

    def _malformed(self, fx: FeedEffects, error: str, count: int) -> None:
        self.bad += count
        if self.throttle.count("malformed_frame"):
            fx.warn("malformed_frame", error=error[:200], count=self.bad)

    def _state(self, asset: str, now: int) -> AssetState | None:
        st = self.assets.get(asset)
        if st is None:
            if not self.track_all:
                self.untracked += 1
                return None
            st = self.track(asset, now)
        return st

    def _on_book(self, ev: venue.BookMsg, now: int, fx: FeedEffects) -> None:
        self.rows += len(ev.bids) + len(ev.asks) or 1
        st = self._state(ev.asset_id, now)
        if st is None:
            return
        book = st.book or OrderBook(self.depth)
        # a side whose levels are the last snapshot's, unchanged since, is not parsed again (a book is
        # resent after every trade: one side of most snapshots is the same)
        raw_bids, raw_asks = ev.bids, ev.asks
        bids = None if raw_bids == book.bids.raw else _sizes(raw_bids)
        asks = None if raw_asks == book.asks.raw else _sizes(raw_asks)
        tick = venue.exact(ev.tick_size) if ev.tick_size else st.tick
        ts_event = venue.ms_to_ns(ev.timestamp)
        if bids is not None:
            book.bids.load(bids, raw_bids)
        if asks is not None:
            book.asks.load(asks, raw_asks)
        st.book, st.tick, st.ts_event = book, tick or st.tick, ts_event
        st.market = ev.market or st.market
        st.epoch = self.epochs[st.asset] = st.epoch + 1
        st.last_event_ns, st.want_ns, st.booked = now, 0, True
        fx.publishes.append((st.t_book, self._book(st, now)))
        if not st.live:
            self._status(st, True, "snapshot", now, fx)

    def _on_price_change(self, ev: venue.PriceChangeMsg, now: int, fx: FeedEffects) -> None:
        # The hot path (every delta of every market): the helpers are inlined and every number is
        # looked up in the parse cache first. All values are parsed before anything changes.
        entries = ev.price_changes
        if entries is None:
            entries = ev.entries()
        self.rows += len(entries)
        assets, units, sides = self.assets, venue.UNITS, _SIDES
        check = self.check_top
        parsed = []
        for e in entries:
            st = assets.get(e.asset_id)
            if st is None:
                st = self._state(e.asset_id, now)
                if st is None:
                    continue
            text = e.price
            price = units.get(text)
            if price is None or not 0 < price <= ONE:
                price = venue.price(text)  # parses, or raises (out of range, finer than 1e-6, ...)
            text = e.size
            size = units.get(text)
            if size is None:
                size = venue.size(text)
            is_bid = sides.get(e.side)
            if is_bid is None:
                venue.side_is_bid(e.side)  # raises the error
            top = None
            if check:
                bid, ask = e.best_bid, e.best_ask
                if bid and ask:
                    top = (units.get(bid) or venue.exact(bid), units.get(ask) or venue.exact(ask))
            parsed.append((st, is_bid, price, size, top))
        if not parsed:
            return
        ts_event = venue.ms_to_ns(ev.timestamp)
        touched: dict[AssetState, tuple[bool, tuple[int, int] | None]] = {}
        for st, is_bid, price, size, top in parsed:
            st.last_event_ns = now
            book = st.book
            if book is None:
                self.ignored_deltas += 1
                continue
            visible = (book.bids if is_bid else book.asks).set(price, size)
            prev = touched.get(st)
            touched[st] = (visible or (prev is not None and prev[0]), top)
        market = ev.market
        for st, (visible, top) in touched.items():
            st.ts_event = ts_event
            if market:
                st.market = market
            if top is not None:
                book = st.book
                assert book is not None
                ours = book.top()
                if ours != top:
                    self._mismatch(st, ours, top, now, fx)
            if visible:
                fx.publishes.append((st.t_book, self._book(st, now)))

    def _mismatch(self, st: AssetState, ours: tuple[int, int], top: tuple[int, int], now: int,
                  fx: FeedEffects) -> None:
        """The venue's top of book after a delta is not ours: count it, and ask for a snapshot."""
        self.top_mismatch += 1
        logged = self.throttle.count("book_top_mismatch")  # the n-th mismatch, or 0: not worth a line
        if now - st.resync_ns >= self.resync_min_ns:
            st.resync_ns = now
            if logged:
                fx.warn("book_top_mismatch", asset=st.asset, ours=list(ours), venue=list(top),
                        count=self.top_mismatch)
            self.request(st.asset, now, fx)

    def _on_trade(self, ev: venue.LastTradeMsg, now: int, fx: FeedEffects) -> None:
        self.rows += 1
        st = self._state(ev.asset_id, now)
        if st is None:
            return
        side: Side = "BUY" if venue.side_is_bid(ev.side) else "SELL"
        msg = Trade(asset=st.asset, market=ev.market or st.market, price=venue.price(ev.price),
                    size=venue.size(ev.size), side=side, fee_rate_bps=venue.bps(ev.fee_rate_bps),
                    ts_event=venue.ms_to_ns(ev.timestamp), ts_recv=now)
        st.last_event_ns = now
        fx.publishes.append((st.t_trade, msg))

    def _on_tick_size(self, ev: venue.TickSizeMsg, now: int, fx: FeedEffects) -> None:
        self.rows += 1
        st = self._state(ev.asset_id, now)
        if st is None:
            return
        old, new = venue.exact(ev.old_tick_size), venue.exact(ev.new_tick_size)
        if new <= 0:
            raise ValueError(f"bad new tick size {ev.new_tick_size!r}")
        msg = TickSizeChange(asset=st.asset, market=ev.market or st.market, old_tick=old, new_tick=new,
                             ts_event=venue.ms_to_ns(ev.timestamp), ts_recv=now)
        st.tick, st.book, st.last_event_ns = new, None, now
        fx.publishes.append((st.t_tick, msg))
        self._status(st, False, "tick_change", now, fx)
        self.request(st.asset, now, fx)

    def _on_best_bid_ask(self, ev: venue.BestBidAskMsg, now: int, fx: FeedEffects) -> None:
        self.rows += 1
        st = self._state(ev.asset_id, now)
        if st is not None:
            venue.optional_exact(ev.best_bid, 0)  # validated, not used: the book is the source
            venue.optional_exact(ev.best_ask, ONE)
            st.last_event_ns = now

    def _once(self, kind: str, market: str) -> bool:
        key = (kind, market)
        if key in self.seen_markets:
            return False
        if len(self.seen_markets) >= _SEEN_MARKETS_MAX:
            del self.seen_markets[next(iter(self.seen_markets))]
        self.seen_markets[key] = None
        return True

    def _on_new_market(self, ev: venue.NewMarketMsg, now: int, fx: FeedEffects) -> None:
        self.rows += 1
        cid = ev.market or ev.condition_id
        msg = NewMarket(market=cid, slug=ev.slug, assets=list(ev.assets_ids or ev.clob_token_ids),
                        outcomes=list(ev.outcomes), active=ev.active, ts_event=venue.ms_to_ns(ev.timestamp))
        topic = topics.md_market(cid)
        if self._once("new", cid):
            fx.publishes.append((topic, msg))

    def _on_resolved(self, ev: venue.MarketResolvedMsg, now: int, fx: FeedEffects) -> None:
        self.rows += 1
        msg = MarketResolved(market=ev.market, winning_asset=ev.winning_asset_id,
                             winning_outcome=ev.winning_outcome, ts_event=venue.ms_to_ns(ev.timestamp))
        topic = topics.md_market(ev.market)
        if self._once("resolved", ev.market):
            fx.publishes.append((topic, msg))

    # -- messages -----------------------------------------------------------------------------

    def _book(self, st: AssetState, now: int) -> Book:
        book = st.book
        assert book is not None
        return Book(asset=st.asset, market=st.market, bids=book.bids.top(), asks=book.asks.top(),
                    tick=st.tick, epoch=st.epoch, ts_event=st.ts_event, ts_recv=now)

    def _status(self, st: AssetState, live: bool, reason: str, now: int, fx: FeedEffects) -> None:
        st.live, st.reason = live, reason
        fx.publishes.append((st.t_status, FeedStatus(asset=st.asset, live=live, reason=reason, ts=now)))

    # -- subscriptions (called by the shell / shards) -----------------------------------------

    def track(self, asset: str, now: int) -> AssetState:
        """Start tracking an asset (just subscribed): its snapshot is awaited from now."""
        st = self.assets.get(asset)
        if st is None:
            st = self.assets[asset] = AssetState(asset, tick=self.default_tick,
                                                 epoch=self.epochs.get(asset, 0), now=now)
        return st

    def untrack(self, asset: str, now: int, fx: FeedEffects) -> None:
        st = self.assets.pop(asset, None)
        if st is not None:
            self._status(st, False, "unsubscribed", now, fx)

    def down(self, asset: str, reason: str, now: int, fx: FeedEffects) -> None:
        """The asset's socket is gone or frozen: drop the book, await a new snapshot, say not-live."""
        st = self.assets.get(asset)
        if st is None:
            return
        st.book, st.want_ns = None, now
        if st.live or st.reason != reason:
            self._status(st, False, reason, now, fx)

    def request(self, asset: str, now: int, fx: FeedEffects) -> None:
        """Ask for a fresh snapshot of a tracked asset (the book, if any, stays until it comes)."""
        st = self.assets.get(asset)
        if st is not None:
            st.want_ns = st.requested_ns = now
            fx.resnap.append(asset)

    def current(self, asset: str, now: int, fx: FeedEffects) -> None:
        """Re-publish what we have for an asset (a new lease holder: late joiners get the last value)."""
        st = self.assets.get(asset)
        if st is None:
            return
        if st.book is not None:
            fx.publishes.append((st.t_book, self._book(st, now)))
        fx.publishes.append((st.t_status, FeedStatus(asset=asset, live=st.live, reason=st.reason, ts=now)))
