"""The user socket's subscribe / dynamic (un)subscribe frames (PROTOCOL.md §2.1); the lease table they
follow is tested in test_bus_leases.py."""

from __future__ import annotations

from actors.user_feed.leases import diff, subscribe_frame

AUTH = {"apiKey": "k", "secret": "s", "passphrase": "p"}


def test_the_first_frame_names_the_markets_or_leaves_them_out_for_all() -> None:
    assert subscribe_frame(AUTH, {"0xb", "0xa"}) == {"type": "user", "auth": AUTH, "markets": ["0xa", "0xb"]}
    assert subscribe_frame(AUTH, None) == {"type": "user", "auth": AUTH}


def test_dynamic_frames_move_the_subscription() -> None:
    assert diff({"0xa", "0xb"}, {"0xb", "0xc"}) == [{"operation": "subscribe", "markets": ["0xa"]},
                                                    {"operation": "unsubscribe", "markets": ["0xc"]}]
    assert diff({"0xa"}, {"0xa"}) == []
    assert diff(set(), {"0xa"}) == [{"operation": "unsubscribe", "markets": ["0xa"]}]
