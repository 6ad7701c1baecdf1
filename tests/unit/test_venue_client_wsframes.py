"""venue_client.wsframes: server frames cut out of arbitrary byte chunks (RFC 6455 §5)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venue_client.wsframes import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Control,
    FrameParser,
    ProtocolError,
)


def frame(payload: bytes, opcode: int = TEXT, fin: bool = True, mask: bytes = b"", rsv: int = 0) -> bytes:
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 1 << 16:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + payload


@pytest.mark.parametrize("size", [0, 1, 125, 126, 300, 65535, 65536, 200_000])
def test_every_length_encoding(size: int) -> None:
    payload = os.urandom(size)
    assert FrameParser().feed(frame(payload)) == [payload]


def test_many_frames_in_one_chunk_and_partial_frames_across_chunks() -> None:
    data = frame(b"PONG") + frame(b'{"event_type":"book"}') + frame(b"x" * 300)
    parser = FrameParser()
    out: list[bytes | Control] = []
    for i in range(0, len(data), 7):
        out += parser.feed(data[i:i + 7])
    assert out == [b"PONG", b'{"event_type":"book"}', b"x" * 300]
    assert parser.buffered == 0


def test_fragmented_message_with_a_control_frame_in_between() -> None:
    data = (frame(b"[1,", fin=False) + frame(b"hi", PING) + frame(b"2,", CONT, fin=False)
            + frame(b"3]", CONT))
    assert FrameParser().feed(data) == [Control(PING, b"hi"), b"[1,2,3]"]


def test_control_frames_and_binary() -> None:
    data = frame(b"\x03\xe8bye", CLOSE) + frame(b"", PONG) + frame(b"\x00\x01", BINARY)
    assert FrameParser().feed(data) == [Control(CLOSE, b"\x03\xe8bye"), Control(PONG, b""), b"\x00\x01"]


def test_a_masked_frame_is_unmasked() -> None:
    assert FrameParser().feed(frame(b"hello world", mask=b"\x01\x02\x03\x04")) == [b"hello world"]


@pytest.mark.parametrize("data", [
    frame(b"x", rsv=0x40),  # compression was never negotiated
    frame(b"x", CONT),  # continuation without a start
    frame(b"a", fin=False) + frame(b"b"),  # a new message inside a fragmented one
    frame(b"x", 0x3),  # reserved data opcode
    frame(b"x", 0xB),  # reserved control opcode
    bytes([0x81, 127]) + (1 << 40).to_bytes(8, "big"),  # absurd length
])
def test_protocol_errors_raise(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        FrameParser().feed(data)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20), st.lists(st.integers(1, 400), min_size=1, max_size=50))
def test_any_chunking_gives_the_same_messages(payloads: list[bytes], cuts: list[int]) -> None:
    data = b"".join(frame(p) for p in payloads)
    parser = FrameParser()
    out: list[bytes | Control] = []
    pos, i = 0, 0
    while pos < len(data):
        step = cuts[i % len(cuts)]
        out += parser.feed(data[pos:pos + step])
        pos, i = pos + step, i + 1
    assert out == payloads


# -- partial reads: a stream cut anywhere, and any mix of frames, gives the same items --------------

CASES = [  # (name, bytes on the wire, items the parser yields)
    ("short text", frame(b'{"event_type":"book"}'), [b'{"event_type":"book"}']),
    ("16-bit length", frame(b"y" * 300), [b"y" * 300]),
    ("empty text", frame(b""), [b""]),
    ("fragmented, PING in between",
     frame(b"[1,", fin=False) + frame(b"hi", PING) + frame(b"2,", CONT, fin=False) + frame(b"3]", CONT),
     [Control(PING, b"hi"), b"[1,2,3]"]),
    ("fragmented binary, 16-bit pieces", frame(b"a" * 200, BINARY, fin=False) + frame(b"b" * 130, CONT),
     [b"a" * 200 + b"b" * 130]),
    ("masked", frame(b"masked text", mask=b"\x0f\xf0\xaa\x55"), [b"masked text"]),
    ("masked 16-bit", frame(b"m" * 200, mask=b"\x01\x02\x03\x04"), [b"m" * 200]),
    ("pong, then text", frame(b"", PONG) + frame(b"PONG"), [Control(PONG, b""), b"PONG"]),
    ("text, then close", frame(b"last") + frame(b"\x03\xe8going away", CLOSE),
     [b"last", Control(CLOSE, b"\x03\xe8going away")]),
]


@pytest.mark.parametrize(("data", "items"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_split_point_gives_the_same_items(data: bytes, items: list[bytes | Control]) -> None:
    for cut in range(len(data) + 1):
        parser = FrameParser()
        out = parser.feed(data[:cut])
        out += parser.feed(data[cut:])
        assert (cut, out, parser.buffered) == (cut, items, 0)


def test_all_cases_back_to_back_byte_by_byte() -> None:
    data = b"".join(c[1] for c in CASES)
    parser = FrameParser()
    out: list[bytes | Control] = []
    for i in range(len(data)):
        out += parser.feed(data[i:i + 1])
    assert out == [item for c in CASES for item in c[2]]
    assert parser.buffered == 0


@pytest.mark.parametrize("cut", [1, 2, 5, 9, 10, 11, 4096, 70_009])
def test_a_64_bit_length_frame_split_anywhere(cut: int) -> None:
    data = frame(b"z" * 70_000) + frame(b"next")
    parser = FrameParser()
    out = parser.feed(data[:cut])
    assert out == [] and parser.buffered == cut
    assert out + parser.feed(data[cut:]) == [b"z" * 70_000, b"next"]


def test_a_large_message_in_small_reads_comes_out_once_whole() -> None:
    payload = os.urandom(300_000)
    data = frame(payload) + frame(b"tail")
    parser = FrameParser()
    outs = [parser.feed(data[i:i + 1500]) for i in range(0, len(data), 1500)]
    assert [item for out in outs for item in out] == [payload, b"tail"]
    assert all(out == [] for out in outs[:-1]) and parser.buffered == 0
