"""Topic names and their owners: the only place topics are built.

A topic is ``<domain>.<kind>.<key>.`` as bytes. The trailing dot matters: ZeroMQ subscriptions are
prefix matches, and token ids can be prefixes of each other (``md.book.12.`` must not match
``md.book.123.``). Keys never contain a dot.

``OWNERS`` declares the one program allowed to publish each stream. ``"{key}"`` means the owner is
named by the topic's key (heartbeats, risk events); ``"market:{key}"`` is the coordinator of that
market, as supervisord names it.
"""

from __future__ import annotations

OWNERS: dict[tuple[str, str], str] = {
    ("md", "book"): "market-feed",
    ("md", "trade"): "market-feed",
    ("md", "tick"): "market-feed",
    ("md", "status"): "market-feed",
    ("md", "market"): "market-feed",
    ("user", "order"): "user-feed",
    ("user", "status"): "user-feed",
    ("user", "placed"): "user-feed",
    ("inv", "state"): "inventory",
    ("inv", "fill"): "inventory",
    ("inv", "settle"): "inventory",
    ("ofi", "state"): "ofi",
    ("exec", "cmd"): "executor",
    ("exec", "event"): "executor",
    ("exec", "orders"): "executor",
    ("exec", "state"): "executor",
    ("coord", "lease"): "market:{key}",
    ("coord", "state"): "market:{key}",
    ("coord", "adjust"): "market:{key}",
    ("rewards", "market"): "rewards-scanner",
    ("rewards", "scoring"): "rewards-scanner",
    ("sys", "hb"): "{key}",
    ("risk", "event"): "{key}",
    ("ctl", "cmd"): "ctl",
}

ALL = "all"  # key for account-wide streams


class TopicError(ValueError):
    pass


def topic(domain: str, kind: str, key: str) -> bytes:
    """Build ``domain.kind.key.``; rejects unknown streams and keys that would break prefix matching."""
    if (domain, kind) not in OWNERS:
        raise TopicError(f"unknown stream {domain}.{kind}")
    if not key or "." in key or " " in key:
        raise TopicError(f"bad topic key {key!r}")
    return f"{domain}.{kind}.{key}.".encode()


def prefix(domain: str, kind: str | None = None) -> bytes:
    """Subscription prefix for a whole domain (``md.``) or stream (``md.book.``)."""
    return f"{domain}.".encode() if kind is None else f"{domain}.{kind}.".encode()


def split(t: bytes) -> tuple[str, str, str]:
    parts = t.decode().split(".")
    if len(parts) != 4 or parts[3] != "":
        raise TopicError(f"malformed topic {t!r}")
    return parts[0], parts[1], parts[2]


def owner_of(t: bytes) -> str:
    domain, kind, key = split(t)
    try:
        owner = OWNERS[(domain, kind)]
    except KeyError:
        raise TopicError(f"unknown stream {domain}.{kind}") from None
    return owner.replace("{key}", key)


def coordinator_program(name: str) -> str:
    """The program name a coordinator uses as its bus source (its supervisord ``group:name``)."""
    return f"market:{name}"


# -- builders, one per stream -------------------------------------------------------------------


def md_book(asset: str) -> bytes:
    return topic("md", "book", asset)


def md_trade(asset: str) -> bytes:
    return topic("md", "trade", asset)


def md_tick(asset: str) -> bytes:
    return topic("md", "tick", asset)


def md_status(asset: str) -> bytes:
    return topic("md", "status", asset)


def md_market(market: str) -> bytes:
    return topic("md", "market", market)


def user_order(market: str) -> bytes:
    return topic("user", "order", market)


def user_placed(market: str) -> bytes:
    """The user channel's PLACEMENT of an order that rests untouched (nothing the executor and the
    coordinator need: the executor has its POST reply); the recorder and ``ctl livetest`` read it."""
    return topic("user", "placed", market)


def user_status() -> bytes:
    return topic("user", "status", ALL)


def inv_state(market: str) -> bytes:
    return topic("inv", "state", market)


def inv_fill(market: str) -> bytes:
    return topic("inv", "fill", market)


def inv_settle(market: str) -> bytes:
    return topic("inv", "settle", market)


def ofi_state(market: str) -> bytes:
    return topic("ofi", "state", market)


def exec_cmd(holder: str) -> bytes:
    return topic("exec", "cmd", holder)


def exec_event(holder: str) -> bytes:
    return topic("exec", "event", holder)


def exec_orders() -> bytes:
    return topic("exec", "orders", ALL)


def exec_state() -> bytes:
    return topic("exec", "state", ALL)


def coord_lease(holder: str) -> bytes:
    return topic("coord", "lease", holder)


def coord_state(holder: str) -> bytes:
    return topic("coord", "state", holder)


def coord_adjust(holder: str) -> bytes:
    return topic("coord", "adjust", holder)


def rewards_market(market: str) -> bytes:
    return topic("rewards", "market", market)


def rewards_scoring(market: str) -> bytes:
    return topic("rewards", "scoring", market)


def sys_hb(program: str) -> bytes:
    return topic("sys", "hb", program)


def risk_event(program: str) -> bytes:
    return topic("risk", "event", program)


def ctl_cmd(holder: str) -> bytes:
    return topic("ctl", "cmd", holder)
