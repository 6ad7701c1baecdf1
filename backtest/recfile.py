"""The recording file format (``*.pmrec.zst``): what the recorder and ``venue.generate`` write and the
backtest reads. Pure apart from the file handles it is given.

A file is a zstandard stream (one or more frames: the writer ends a frame at every ``flush``, so a crash
loses at most what came after the last one) of records, each::

    kind: 1 byte   ts_ns: u64 little-endian (local receive time)   length: u32 LE   payload: length bytes

Kinds:

- ``H`` header, first record of every file: JSON ``{"format": "pm-record", "version": 1, "source": ...}``
  (``source``: ``polymarket``, ``local`` or ``generate``).
- ``M`` market metadata, written once per file before the first frame of a market (and again in the next
  hourly file): JSON ``Meta`` (condition id, both tokens, tick, minimum size, reward settings, fees, the
  window's start and end).
- ``F`` one raw market-channel WebSocket frame, byte for byte as received (a JSON object or array).
- ``O`` our own stream: one bus message (``user.order``, ``inv.fill``, the ``exec.cmd`` echo ...) in the
  bus's msgpack body encoding (``bus.codec.encode_body``), preceded by its topic: ``u16 LE length``,
  topic bytes, body.

Two streams in one file: ``F``/``M`` are the public market (what the backtest replays); ``O`` is what the
engine did (for comparing a backtest with the live run). Records are in receive-time order within each
stream; the reader does not reorder.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import msgspec
import zstandard

from bus import codec
from schemas import BusMessage

MAGIC_FORMAT = "pm-record"
VERSION = 1
HEADER, META, FRAME, OWN = b"H", b"M", b"F", b"O"
_REC = struct.Struct("<cQI")
_TOPIC = struct.Struct("<H")
SUFFIX = ".pmrec.zst"


class Rewards(msgspec.Struct, frozen=True, kw_only=True):
    """A market's liquidity-rewards settings (``clob.rewards``); daily_rate 0: no rewards."""

    daily_rate: int = 0  # 1e-6 pUSD per day for the whole market
    max_spread_cents: float = 0.0
    min_size: int = 0  # 1e-6 shares


class Meta(msgspec.Struct, frozen=True, kw_only=True):
    """What the backtest needs to know about a market beyond its frames."""

    market: str  # condition id
    yes_asset: str
    no_asset: str
    tick: int  # 1e-6
    min_size: int  # 1e-6 shares
    neg_risk: bool = False
    slug: str = ""
    start_ns: int = 0  # window start (0: not a rotating window)
    end_ns: int = 0  # window end / trading stops (0: none)
    fee_rate: int = 0  # taker fee rate (1e-6), shares * rate * p * (1 - p); makers pay none
    fee_exponent: int = 1
    rebate_rate: int = 0  # share of taker fees the venue pays back to makers (1e-6), 0: none
    rewards: Rewards = Rewards()


_meta_encoder = msgspec.json.Encoder()
_meta_decoder = msgspec.json.Decoder(Meta)


def hour_path(root: Path, ts_ns: int, prefix: str = "") -> Path:
    """``root/<prefix>YYYYMMDD-HH.pmrec.zst`` for the UTC hour of ``ts_ns``."""
    import time as _time

    stamp = _time.strftime("%Y%m%d-%H", _time.gmtime(ts_ns // 1_000_000_000))
    return root / f"{prefix}{stamp}{SUFFIX}"


class Writer:
    """Appends records to one file. ``flush`` ends the current zstandard frame (durable up to there)."""

    def __init__(self, f: IO[bytes], source: str, ts_ns: int, level: int = 3) -> None:
        self._file = f
        self._z = zstandard.ZstdCompressor(level=level).stream_writer(f, closefd=False)
        self.records = 0
        self._put(HEADER, ts_ns, msgspec.json.encode({"format": MAGIC_FORMAT, "version": VERSION,
                                                      "source": source}))

    def _put(self, kind: bytes, ts_ns: int, payload: bytes) -> None:
        self._z.write(_REC.pack(kind, ts_ns, len(payload)))
        self._z.write(payload)
        self.records += 1

    def meta(self, ts_ns: int, meta: Meta) -> None:
        self._put(META, ts_ns, _meta_encoder.encode(meta))

    def frame(self, ts_ns: int, data: bytes) -> None:
        self._put(FRAME, ts_ns, data)

    def own(self, ts_ns: int, topic: bytes, msg: BusMessage) -> None:
        self._put(OWN, ts_ns, _TOPIC.pack(len(topic)) + topic + codec.encode_body(msg))

    def flush(self) -> None:
        self._z.flush(zstandard.FLUSH_FRAME)
        self._file.flush()

    def close(self) -> None:
        self._z.flush(zstandard.FLUSH_FRAME)
        self._z.close()
        self._file.flush()


def open_writer(path: Path, source: str, ts_ns: int) -> tuple[IO[bytes], Writer]:
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "ab")  # noqa: SIM115 - the caller closes it
    return f, Writer(f, source, ts_ns)


def read_bytes(path: str | Path) -> bytes:
    """The whole decompressed content (every frame; a frame cut short by a crash ends the data)."""
    with open(path, "rb") as f:
        reader = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)
        chunks: list[bytes] = []
        try:
            while chunk := reader.read(1 << 22):
                chunks.append(chunk)
        except zstandard.ZstdError:
            pass  # a truncated last frame: keep what was decoded
    return b"".join(chunks)


def records(data: bytes) -> Iterator[tuple[bytes, int, memoryview]]:
    """``(kind, ts_ns, payload)`` for every complete record of decompressed ``data``."""
    view = memoryview(data)
    unpack, size, end, pos = _REC.unpack_from, _REC.size, len(data), 0
    while pos + size <= end:
        kind, ts, n = unpack(data, pos)
        pos += size
        if pos + n > end:
            return  # cut short
        yield kind, ts, view[pos:pos + n]
        pos += n


def read_header(payload: bytes | memoryview) -> dict[str, object]:
    doc = msgspec.json.decode(payload)
    if not isinstance(doc, dict) or doc.get("format") != MAGIC_FORMAT:
        raise ValueError("not a pm-record file")
    if doc.get("version") != VERSION:
        raise ValueError(f"pm-record version {doc.get('version')}, expected {VERSION}")
    return doc


def read_meta(payload: bytes | memoryview) -> Meta:
    return _meta_decoder.decode(payload)


def read_own(payload: bytes | memoryview) -> tuple[bytes, BusMessage]:
    raw = bytes(payload)
    (n,) = _TOPIC.unpack_from(raw, 0)
    topic = raw[2:2 + n]
    return topic, codec.decode_body(raw[2 + n:])


class Recording(msgspec.Struct):
    """One or more files loaded: metadata by market, frames and own messages in time order."""

    metas: dict[str, Meta]
    meta_seen: list[tuple[int, Meta]]  # (ts, meta) in file order: when each market was first seen
    frames: list[tuple[int, bytes]]
    own: list[tuple[int, bytes, BusMessage]]
    sources: list[str]


def load(paths: list[str] | list[Path]) -> Recording:
    """Read the files in the order given (hourly files: oldest first); frames are sorted by time
    (stable) in case files overlap."""
    rec = Recording(metas={}, meta_seen=[], frames=[], own=[], sources=[])
    for path in paths:
        first = True
        for kind, ts, payload in records(read_bytes(path)):
            if first:
                if kind != HEADER:
                    raise ValueError(f"{path}: not a pm-record file (no header)")
                rec.sources.append(str(read_header(payload).get("source", "")))
                first = False
            elif kind == FRAME:
                rec.frames.append((ts, bytes(payload)))
            elif kind == META:
                meta = read_meta(payload)
                if meta.market not in rec.metas:
                    rec.meta_seen.append((ts, meta))
                rec.metas[meta.market] = meta
            elif kind == OWN:
                topic, msg = read_own(payload)
                rec.own.append((ts, topic, msg))
            elif kind == HEADER:
                rec.sources.append(str(read_header(payload).get("source", "")))
        if first:
            raise ValueError(f"{path}: empty or not a pm-record file")
    rec.frames.sort(key=lambda r: r[0])
    rec.own.sort(key=lambda r: r[0])
    return rec
