"""Bus frames: ``[topic, header, body]``.

- topic: ``bus.topics`` bytes.
- header: msgpack array ``[version, src, run, seq, ts_ns]``: protocol version, source program, run id
  (the program's start time in ns, so a restart is visible), per-stream sequence number (1, 2, ...),
  publish time in ns.
- body: one ``schemas.BusMessage`` (msgpack, tagged array).

One encoder and one typed decoder, built once.
"""

from __future__ import annotations

import msgspec

from schemas import BusMessage

PROTOCOL_VERSION = 3  # 2: explicit short wire tags ("md.book", ...); 3: settle, cmd.merge, inv.settle, ctl.*


class Header(msgspec.Struct, frozen=True, gc=False, array_like=True):
    v: int
    src: str
    run: int
    seq: int
    ts_ns: int


class FrameError(ValueError):
    """A frame that cannot be decoded (wrong part count, bad header or body, other version)."""


_encoder = msgspec.msgpack.Encoder()
_header_decoder = msgspec.msgpack.Decoder(Header)
_body_decoder = msgspec.msgpack.Decoder(BusMessage)


def encode_header(src: str, run: int, seq: int, ts_ns: int) -> bytes:
    return _encoder.encode(Header(PROTOCOL_VERSION, src, run, seq, ts_ns))


def encode_body(msg: BusMessage) -> bytes:
    return _encoder.encode(msg)


def encode(topic: bytes, header: Header, msg: BusMessage) -> list[bytes]:
    return [topic, _encoder.encode(header), _encoder.encode(msg)]


def decode_header(raw: bytes) -> Header:
    try:
        header = _header_decoder.decode(raw)
    except (ValueError, RecursionError) as exc:  # msgspec's errors, invalid UTF-8, deep nesting
        raise FrameError(f"bad header: {type(exc).__name__}: {exc}") from None
    if header.v != PROTOCOL_VERSION:
        raise FrameError(f"protocol version {header.v}, expected {PROTOCOL_VERSION}")
    return header


def decode_body(raw: bytes) -> BusMessage:
    try:
        return _body_decoder.decode(raw)
    except (ValueError, RecursionError) as exc:  # msgspec's errors, invalid UTF-8, deep nesting
        raise FrameError(f"bad body: {type(exc).__name__}: {exc}") from None


def decode(frames: list[bytes]) -> tuple[bytes, Header, BusMessage]:
    if len(frames) != 3:
        raise FrameError(f"expected 3 frames, got {len(frames)}")
    topic, header, body = frames
    try:
        topic.decode()  # handlers, logs and the tap print topics as text
    except UnicodeDecodeError:
        raise FrameError(f"topic is not UTF-8: {topic[:40]!r}") from None
    return topic, decode_header(header), decode_body(body)


def to_builtins(msg: BusMessage) -> dict[str, object]:
    """The message's fields by name (for ``tap --json`` and logs)."""
    return {f: msgspec.to_builtins(getattr(msg, f)) for f in msg.__struct_fields__}


def tag(msg: BusMessage) -> str:
    return type(msg).__name__
