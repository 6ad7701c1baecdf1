import pytest

from bus import topics


@pytest.mark.parametrize(
    ("built", "expected", "owner"),
    [
        (topics.md_book("123"), b"md.book.123.", "market-feed"),
        (topics.md_trade("9"), b"md.trade.9.", "market-feed"),
        (topics.md_tick("9"), b"md.tick.9.", "market-feed"),
        (topics.md_status("9"), b"md.status.9.", "market-feed"),
        (topics.md_market("0xab"), b"md.market.0xab.", "market-feed"),
        (topics.user_order("0xab"), b"user.order.0xab.", "user-feed"),
        (topics.user_status(), b"user.status.all.", "user-feed"),
        (topics.user_placed("0xab"), b"user.placed.0xab.", "user-feed"),
        (topics.inv_state("0xab"), b"inv.state.0xab.", "inventory"),
        (topics.inv_fill("0xab"), b"inv.fill.0xab.", "inventory"),
        (topics.ofi_state("0xab"), b"ofi.state.0xab.", "ofi"),
        (topics.exec_cmd("btc-updown-15m"), b"exec.cmd.btc-updown-15m.", "executor"),
        (topics.exec_event("btc-updown-15m"), b"exec.event.btc-updown-15m.", "executor"),
        (topics.exec_orders(), b"exec.orders.all.", "executor"),
        (topics.exec_state(), b"exec.state.all.", "executor"),
        (topics.coord_lease("btc-updown-15m"), b"coord.lease.btc-updown-15m.", "market:btc-updown-15m"),
        (topics.coord_state("eth-updown-5m"), b"coord.state.eth-updown-5m.", "market:eth-updown-5m"),
        (topics.coord_adjust("x"), b"coord.adjust.x.", "market:x"),
        (topics.rewards_market("0xab"), b"rewards.market.0xab.", "rewards-scanner"),
        (topics.sys_hb("inventory"), b"sys.hb.inventory.", "inventory"),
        (topics.risk_event("executor"), b"risk.event.executor.", "executor"),
        (topics.ctl_cmd("btc-updown-15m"), b"ctl.cmd.btc-updown-15m.", "ctl"),
    ],
)
def test_every_stream_has_a_builder_and_one_owner(built: bytes, expected: bytes, owner: str) -> None:
    assert built == expected
    assert topics.owner_of(built) == owner


def test_every_owner_table_entry_builds() -> None:
    for domain, kind in topics.OWNERS:
        assert topics.topic(domain, kind, "k") == f"{domain}.{kind}.k.".encode()


def test_trailing_dot_keeps_token_prefixes_apart() -> None:
    short, long = topics.md_book("12"), topics.md_book("123")
    assert not long.startswith(short)


@pytest.mark.parametrize("key", ["", "a.b", "has space"])
def test_bad_keys_are_rejected(key: str) -> None:
    with pytest.raises(topics.TopicError):
        topics.md_book(key)


def test_unknown_stream_is_rejected() -> None:
    with pytest.raises(topics.TopicError):
        topics.topic("md", "nope", "x")
    with pytest.raises(topics.TopicError):
        topics.owner_of(b"zz.top.x.")


@pytest.mark.parametrize("raw", [b"md.book.1", b"md.book", b"md.book.1.x."])
def test_malformed_topics_are_rejected(raw: bytes) -> None:
    with pytest.raises(topics.TopicError):
        topics.split(raw)


def test_prefixes() -> None:
    assert topics.prefix("md") == b"md."
    assert topics.prefix("md", "book") == b"md.book."
    assert topics.coordinator_program("btc-updown-15m") == "market:btc-updown-15m"
