"""Pure parts of the tap: output formats, the record file, per-stream statistics."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import msgspec

from bus import codec
from bus.codec import Header
from schemas.units import NS

RECORD_MAGIC = b"PMTAP1\n"
_LEN = struct.Struct(">I")
_json = msgspec.json.Encoder()
_record_encoder = msgspec.msgpack.Encoder()
_record_decoder = msgspec.msgpack.Decoder(tuple[int, bytes, bytes, bytes])


def as_json(topic: bytes, header: Header, msg: Any) -> bytes:
    """The tap's ``--json`` line: ``{"topic","src","seq","ts_ns","type","body"}``."""
    return _json.encode({
        "topic": topic.decode(),
        "src": header.src,
        "seq": header.seq,
        "ts_ns": header.ts_ns,
        "type": codec.tag(msg),
        "body": codec.to_builtins(msg),
    })


def _short(value: Any) -> str:
    text = _json.encode(value).decode() if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def as_text(topic: bytes, header: Header, msg: Any) -> str:
    """One readable line: time, topic, source#seq, type, fields."""
    stamp = time.strftime("%H:%M:%S", time.localtime(header.ts_ns / NS))
    micros = header.ts_ns % NS // 1_000
    fields = " ".join(f"{k}={_short(v)}" for k, v in codec.to_builtins(msg).items())
    return f"{stamp}.{micros:06d} {topic.decode()} {header.src}#{header.seq} {codec.tag(msg)} {fields}"


def write_record(out: IO[bytes], ts_recv: int, frames: list[bytes]) -> None:
    """Append one message, losslessly: the three raw frames and the local receive time."""
    topic, header, body = frames
    blob = _record_encoder.encode((ts_recv, topic, header, body))
    out.write(_LEN.pack(len(blob)) + blob)


def read_records(stream: IO[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    """Yield ``(ts_recv, [topic, header, body])`` from a file written by ``write_record``."""
    if stream.read(len(RECORD_MAGIC)) != RECORD_MAGIC:
        raise ValueError("not a tap recording (bad magic)")
    while True:
        head = stream.read(_LEN.size)
        if not head:
            return
        if len(head) < _LEN.size:
            raise ValueError("truncated recording")
        (size,) = _LEN.unpack(head)
        blob = stream.read(size)
        if len(blob) < size:
            raise ValueError("truncated recording")
        ts_recv, topic, header, body = _record_decoder.decode(blob)
        yield ts_recv, [topic, header, body]


@dataclass(slots=True)
class StreamRate:
    count: int = 0
    window: int = 0
    gaps: int = 0
    last_seq: int = 0
    run: int = 0


@dataclass(slots=True)
class Stats:
    """Per-stream counts, rates and sequence gaps for ``--stats``."""

    streams: dict[tuple[str, str], StreamRate] = field(default_factory=dict)

    def observe(self, topic: bytes, header: Header) -> None:
        key = (topic.decode(), header.src)
        s = self.streams.get(key)
        if s is None or s.run != header.run:
            s = self.streams[key] = StreamRate(run=header.run, last_seq=header.seq - 1)
        if header.seq > s.last_seq + 1:
            s.gaps += header.seq - s.last_seq - 1
        s.last_seq = max(s.last_seq, header.seq)
        s.count += 1
        s.window += 1

    def report(self, elapsed_s: float) -> list[str]:
        """Table lines for the last window, then reset the window counters."""
        lines = [f"{'stream':<48} {'src':<24} {'msgs':>9} {'rate/s':>10} {'gaps':>6}"]
        for (topic, src), s in sorted(self.streams.items()):
            rate = s.window / elapsed_s if elapsed_s > 0 else 0.0
            lines.append(f"{topic:<48} {src:<24} {s.count:>9} {rate:>10.1f} {s.gaps:>6}")
            s.window = 0
        return lines
