"""Server-to-client WebSocket frames (RFC 6455 §5) parsed out of bulk reads (pure).

Why not ``websocket-client``'s ``recv_data``: it reads each frame with two or three small ``recv``
calls and builds several objects per frame (about 11 µs per frame on this machine, more than the
whole parse -> book -> encode path). Reading whatever the socket holds in one call and slicing
frames here costs about 1 µs per frame. websocket-client still does the handshake, TLS, sending
(client frames must be masked) and closing.

Handles: FIN/continuation (fragmented messages are reassembled), 7/16/64-bit lengths, a masked
frame (not allowed from a server, but harmless to unmask), and control frames interleaved in a
fragmented message. Reserved bits (no extension was negotiated) are a protocol error.
"""

from __future__ import annotations

from typing import NamedTuple

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
MAX_MESSAGE = 64 << 20  # a single message larger than this is an error, not a memory blow-up


class ProtocolError(ValueError):
    pass


class Control(NamedTuple):
    opcode: int  # CLOSE, PING or PONG
    payload: bytes


def _unmask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    mask = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")


class FrameParser:
    __slots__ = ("_buf", "_frag", "_frag_op")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._frag: list[bytes] = []  # pieces of a fragmented message
        self._frag_op = 0

    def feed(self, data: bytes) -> list[bytes | Control]:
        """Add received bytes; return the complete messages (bytes) and control frames, in order.
        An incomplete frame stays buffered for the next call."""
        buf = self._buf
        buf += data
        out: list[bytes | Control] = []
        pos, end = 0, len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n = b1 & 0x7F
            head = pos + 2
            if n == 126:
                if end - head < 2:
                    break
                n = int.from_bytes(buf[head:head + 2], "big")
                head += 2
            elif n == 127:
                if end - head < 8:
                    break
                n = int.from_bytes(buf[head:head + 8], "big")
                head += 8
            if n > MAX_MESSAGE:
                raise ProtocolError(f"frame of {n} bytes")
            key = b""
            if b1 & 0x80:
                if end - head < 4:
                    break
                key = bytes(buf[head:head + 4])
                head += 4
            if end - head < n:
                break
            payload = bytes(buf[head:head + n])
            pos = head + n
            if key:
                payload = _unmask(payload, key)
            if b0 & 0x70:
                raise ProtocolError("reserved bits set")
            opcode = b0 & 0x0F
            if b0 & 0x80 and opcode in (TEXT, BINARY) and not self._frag:
                out.append(payload)  # the common case: one whole message in one frame
            elif opcode >= CLOSE:
                if opcode not in (CLOSE, PING, PONG):
                    raise ProtocolError(f"unknown control opcode {opcode}")
                out.append(Control(opcode, payload))
            else:
                self._fragment(b0 & 0x80, opcode, payload, out)
        if pos:
            del buf[:pos]
        return out

    def _fragment(self, fin: int, opcode: int, payload: bytes, out: list[bytes | Control]) -> None:
        if opcode == CONT:
            if not self._frag:
                raise ProtocolError("continuation without a start")
        elif opcode in (TEXT, BINARY):
            if self._frag:
                raise ProtocolError("new message inside a fragmented one")
            self._frag_op = opcode
        else:
            raise ProtocolError(f"unknown data opcode {opcode}")
        self._frag.append(payload)
        if sum(len(p) for p in self._frag) > MAX_MESSAGE:
            raise ProtocolError("fragmented message too large")
        if fin:
            out.append(b"".join(self._frag))
            self._frag = []

    @property
    def buffered(self) -> int:
        return len(self._buf)
