"""Server-to-client WebSocket frames (RFC 6455 §5) parsed out of bulk reads (pure).

Why not ``websocket-client``'s ``recv_data``: it reads each frame with two or three small ``recv``
calls and builds several objects per frame (about 11 µs per frame on this machine, more than the
whole parse -> book -> encode path). Reading whatever the socket holds in one call and slicing
frames here costs well under 1 µs per frame. websocket-client still does the handshake and TLS, and
builds our (masked) client frames; ``venue_client.ws`` writes them.

Handles: FIN/continuation (fragmented messages are reassembled), 7/16/64-bit lengths, a masked
frame (not allowed from a server, but harmless to unmask), and control frames interleaved in a
fragmented message. Reserved bits (no extension was negotiated) are a protocol error.

The common case (a whole unmasked text frame, with nothing fragmented in flight) is sliced straight
out of the received ``bytes``: one copy per message. Only an incomplete frame at the end of a chunk is
kept (``buffered``) and joined with the next chunk.
"""

from __future__ import annotations

from typing import NamedTuple

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
MAX_MESSAGE = 64 << 20  # a single message larger than this is an error, not a memory blow-up
_FIN_TEXT = 0x80 | TEXT


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
    __slots__ = ("_frag", "_frag_op", "_frag_size", "_need", "_rest")

    def __init__(self) -> None:
        self._rest = bytearray()  # the start of an incomplete frame
        self._need = 0  # its whole size, when its header is complete (0: parse again on any byte)
        self._frag: list[bytes] = []  # pieces of a fragmented message
        self._frag_op = 0
        self._frag_size = 0

    def feed(self, data: bytes) -> list[bytes | Control]:
        """Add received bytes; return the complete messages (bytes) and control frames, in order.
        An incomplete frame stays buffered for the next call."""
        rest = self._rest
        if rest:  # appended, and parsed again only once the frame can be whole: linear in its size
            rest += data
            if len(rest) < self._need:
                return []
            data = bytes(rest)
            rest.clear()
        out: list[bytes | Control] = []
        pos, end, need = 0, len(data), 0
        while end - pos >= 2:
            b0 = data[pos]
            n = data[pos + 1]
            head = pos + 2
            if n >= 126:  # a 16- or 64-bit length, or a mask bit (never set by a conforming server)
                masked, n = n & 0x80, n & 0x7F
                if n == 126:
                    if end - head < 2:
                        break
                    n = (data[head] << 8) | data[head + 1]
                    head += 2
                elif n == 127:
                    if end - head < 8:
                        break
                    n = int.from_bytes(data[head:head + 8], "big")
                    head += 8
                    if n > MAX_MESSAGE:
                        raise ProtocolError(f"frame of {n} bytes")
                if masked:
                    if end - head < 4:
                        break
                    key = data[head:head + 4]
                    head += 4
                    stop = head + n
                    if stop > end:
                        need = stop - pos
                        break
                    self._frame(b0, _unmask(data[head:stop], key), out)
                    pos = stop
                    continue
            stop = head + n
            if stop > end:
                need = stop - pos
                break
            if b0 == _FIN_TEXT and not self._frag:
                out.append(data[head:stop])  # the common case: one whole message in one frame
            else:
                self._frame(b0, data[head:stop], out)
            pos = stop
        if pos < end:
            rest += memoryview(data)[pos:]
            self._need = need
        return out

    def _frame(self, b0: int, payload: bytes, out: list[bytes | Control]) -> None:
        if b0 & 0x70:
            raise ProtocolError("reserved bits set")
        opcode = b0 & 0x0F
        if opcode >= CLOSE:
            if opcode not in (CLOSE, PING, PONG):
                raise ProtocolError(f"unknown control opcode {opcode}")
            out.append(Control(opcode, payload))
        elif b0 & 0x80 and opcode in (TEXT, BINARY) and not self._frag:
            out.append(payload)
        else:
            self._fragment(b0 & 0x80, opcode, payload, out)

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
        self._frag_size += len(payload)
        if self._frag_size > MAX_MESSAGE:
            raise ProtocolError("fragmented message too large")
        if fin:
            out.append(b"".join(self._frag))
            self._frag = []
            self._frag_size = 0

    @property
    def buffered(self) -> int:
        return len(self._rest)
