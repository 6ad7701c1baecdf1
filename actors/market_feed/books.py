"""One token's order book: price levels in 1e-6 units, kept sorted so the best N come out as a slice.

Each side is a dict ``price -> size`` plus a sorted list of keys, best first (bids store ``-price``
so that ascending order is best first on both sides). A level update is a dict write plus, for a new
or removed level, one ``bisect`` insert/delete: the book is never re-sorted per delta. The depth-N
view of a side is cached and patched only when a change touches the top N, so a delta on one side
reuses the other side's list when the ``Book`` message is built. A view handed out by ``top()`` is
never mutated: the next change copies it first (once, however many changes follow before the next
``top()``).
"""

from __future__ import annotations

from bisect import bisect_left
from operator import neg

from schemas.units import ONE

Level = tuple[int, int]  # (price, size), 1e-6 units


class Side:
    __slots__ = ("_shared", "_top", "depth", "keys", "raw", "sign", "sizes")

    def __init__(self, is_bid: bool, depth: int) -> None:
        self.sign = -1 if is_bid else 1
        self.depth = depth
        self.sizes: dict[int, int] = {}
        self.keys: list[int] = []  # sign * price, ascending = best first
        self._top: list[Level] | None = None
        self._shared = False  # _top was handed out by top(): copy before patching
        # the venue's levels (as decoded, unparsed) of the snapshot ``sizes`` came from, until a level
        # changes: a snapshot whose levels are these again needs no parsing (``MarketFeed._on_book``)
        self.raw: object = None

    def replace(self, levels: list[Level]) -> None:
        """Load a snapshot, in any order. A zero size is skipped; a repeated price keeps the last size."""
        sizes = {price: size for price, size in levels}
        for price in [p for p, s in sizes.items() if s == 0]:
            del sizes[price]
        self.load(sizes)

    def load(self, sizes: dict[int, int], raw: object = None) -> None:
        """Load a snapshot given as ``price -> size``, every size above zero (the dict is kept), parsed
        from the venue's levels ``raw`` (kept to recognise the same levels again). The same levels again
        (one side of most snapshots: the other side moved) keep the sorted keys and the depth-N view."""
        self.raw = raw
        if sizes == self.sizes:
            return
        self.sizes = sizes
        self.keys = sorted(map(neg, sizes)) if self.sign < 0 else sorted(sizes)
        self._top = None

    def set(self, price: int, size: int) -> bool:
        """Set one level's new total (0 removes it). Returns True if the depth-N view changed.

        The cached depth-N list is patched in place (an insert/delete/replace instead of rebuilding
        every level's tuple), after one C-level copy if ``top()`` handed it out since the last change.
        """
        sizes, keys, sign = self.sizes, self.keys, self.sign
        old = sizes.get(price)
        if size == 0:
            if old is None:
                return False
            del sizes[price]
            index = bisect_left(keys, sign * price)
            del keys[index]
        elif old is None:
            sizes[price] = size
            key = sign * price
            index = bisect_left(keys, key)
            keys.insert(index, key)
        else:
            if old == size:
                return False
            sizes[price] = size
            index = bisect_left(keys, sign * price)
        self.raw = None  # the levels are no longer the snapshot's
        depth = self.depth
        if index >= depth:
            return False
        top = self._top
        if top is not None:
            if self._shared:
                top = self._top = top.copy()
                self._shared = False
            if size == 0:
                del top[index]
                if len(keys) >= depth:
                    refill = sign * keys[depth - 1]
                    top.append((refill, sizes[refill]))
            elif old is None:
                top.insert(index, (price, size))
                if len(top) > depth:
                    del top[depth]
            else:
                top[index] = (price, size)
        return True

    def top(self) -> list[Level]:
        """The best ``depth`` levels, best first (a shared list: never mutate it)."""
        top = self._top
        if top is None:
            sizes = self.sizes
            if self.sign < 0:
                top = self._top = [(-k, sizes[-k]) for k in self.keys[: self.depth]]
            else:
                top = self._top = [(k, sizes[k]) for k in self.keys[: self.depth]]
        self._shared = True
        return top

    def __len__(self) -> int:
        return len(self.keys)


class OrderBook:
    __slots__ = ("asks", "bids")

    def __init__(self, depth: int) -> None:
        self.bids = Side(True, depth)
        self.asks = Side(False, depth)

    def replace(self, bids: list[Level], asks: list[Level]) -> None:
        self.bids.replace(bids)
        self.asks.replace(asks)

    def load(self, bids: dict[int, int], asks: dict[int, int]) -> None:
        """A snapshot as ``price -> size`` per side, every size above zero (``Side.load``)."""
        self.bids.load(bids)
        self.asks.load(asks)

    def set(self, is_bid: bool, price: int, size: int) -> bool:
        return (self.bids if is_bid else self.asks).set(price, size)

    def top(self) -> tuple[int, int]:
        """(best bid, best ask); an empty side gives 0 / 1.0 (``ONE``), as the venue says it."""
        bids, asks = self.bids.keys, self.asks.keys
        return (-bids[0] if bids else 0, asks[0] if asks else ONE)

