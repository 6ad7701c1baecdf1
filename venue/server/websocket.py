"""RFC 6455 server side: frame parsing (masked client frames, fragmentation, ping/pong, close) and framing.

A `WebSocket` is fed raw bytes by the HTTP connection after the upgrade and calls its handler's
`on_text(ws, text)` for each complete text message and `on_close(ws)` exactly once at the end.
Outgoing frames are built by `text_frame` so a broadcaster can build one frame per event and write
the same bytes to every subscriber.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
from typing import Any, Protocol

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE_BYTES = 1 << 20
# a subscriber whose unsent bytes pass this is too slow: it is dropped rather than buffered forever
MAX_PENDING_BYTES = 16 << 20
CLOSE_TIMEOUT_S = 1.0


class WsHandler(Protocol):
    def on_text(self, ws: WebSocket, text: str) -> None: ...
    def on_close(self, ws: WebSocket) -> None: ...


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("latin-1") + _GUID).digest()).decode()


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, final server frame."""
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x80 | opcode, 126, n) + payload
    return struct.pack("!BBQ", 0x80 | opcode, 127, n) + payload


def text_frame(payload: bytes | str) -> bytes:
    return encode_frame(OP_TEXT, payload.encode() if isinstance(payload, str) else payload)


def unmask(data: bytes, key: bytes) -> bytes:
    n = len(data)
    if n == 0:
        return b""
    mask = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(mask, "little")).to_bytes(n, "little")


class WebSocket:
    __slots__ = ("_buf", "_frag", "_frag_op", "_handler", "_sent_close", "closed", "state", "transport")

    def __init__(self, transport: asyncio.Transport, handler: WsHandler) -> None:
        self.transport: asyncio.Transport | None = transport
        self._handler = handler
        self._buf = bytearray()
        self._frag: list[bytes] = []
        self._frag_op = -1
        self._sent_close = False
        self.closed = False
        self.state: Any = None  # owned by the handler (subscription state)

    # ---- outgoing -------------------------------------------------------------------------
    def send_frame(self, frame: bytes) -> bool:
        """Write prebuilt frame bytes; False if the socket is gone (or was dropped as too slow)."""
        transport = self.transport
        if self.closed or transport is None:
            return False
        if transport.get_write_buffer_size() > MAX_PENDING_BYTES:
            self.abort()
            return False
        transport.write(frame)
        return True

    def send_frames(self, frames: list[bytes]) -> bool:
        return self.send_frame(frames[0] if len(frames) == 1 else b"".join(frames))

    def send_text(self, text: str | bytes) -> bool:
        return self.send_frame(text_frame(text))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Polite close: send a close frame, then close TCP when the peer's close frame arrives
        (or after CLOSE_TIMEOUT_S), so the peer's reply never hits a closed socket."""
        transport = self.transport
        if transport is None or self.closed:
            return
        transport.write(encode_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:120]))
        self.closed = True
        self._sent_close = True
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, transport.close)

    def abort(self) -> None:
        """Abrupt drop: no close frame, TCP reset (the "WS drop" fault)."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    # ---- incoming -------------------------------------------------------------------------
    def connection_lost(self) -> None:
        self.closed = True
        self.transport = None
        handler, self._handler = self._handler, _NullHandler
        handler.on_close(self)

    def feed(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        while self.transport is not None and (not self.closed or self._sent_close):
            n = len(buf)
            if n < 2:
                return
            b0, b1 = buf[0], buf[1]
            length = b1 & 0x7F
            pos = 2
            if length == 126:
                if n < 4:
                    return
                length = (buf[2] << 8) | buf[3]
                pos = 4
            elif length == 127:
                if n < 10:
                    return
                length = int.from_bytes(buf[2:10], "big")
                pos = 10
            if b0 & 0x70 or not b1 & 0x80:
                self.close(1002, "protocol error")  # reserved bits, or an unmasked client frame
                return
            if length > MAX_MESSAGE_BYTES:
                self.close(1009, "message too big")
                return
            end = pos + 4 + length
            if n < end:
                return
            payload = unmask(bytes(buf[pos + 4:end]), bytes(buf[pos:pos + 4]))
            del buf[:end]
            self._on_frame(bool(b0 & 0x80), b0 & 0x0F, payload)

    def _on_frame(self, fin: bool, opcode: int, payload: bytes) -> None:
        if self._sent_close:  # closing: wait for the peer's close frame, ignore everything else
            if opcode == OP_CLOSE and self.transport is not None:
                self.transport.close()
            return
        if opcode >= OP_CLOSE:
            if not fin or len(payload) > 125:
                self.close(1002, "bad control frame")
            elif opcode == OP_PING:
                self.send_frame(encode_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:  # the peer closes: echo its code, then close TCP right away
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000
                self.close(code if 1000 <= code < 5000 else 1000)
                if self.transport is not None:
                    self.transport.close()
            return
        if opcode == OP_CONT:
            if self._frag_op < 0:
                self.close(1002, "unexpected continuation")
                return
            self._frag.append(payload)
            if sum(map(len, self._frag)) > MAX_MESSAGE_BYTES:
                self.close(1009, "message too big")
                return
            if not fin:
                return
            opcode, payload = self._frag_op, b"".join(self._frag)
            self._frag, self._frag_op = [], -1
        elif opcode in (OP_TEXT, OP_BINARY):
            if self._frag_op >= 0:
                self.close(1002, "expected continuation")
                return
            if not fin:
                self._frag_op, self._frag = opcode, [payload]
                return
        else:
            self.close(1002, "unknown opcode")
            return
        if opcode == OP_TEXT:
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                self.close(1007, "invalid utf-8")
                return
            self._handler.on_text(self, text)


class _Null:
    def on_text(self, ws: WebSocket, text: str) -> None:
        pass

    def on_close(self, ws: WebSocket) -> None:
        pass


_NullHandler: WsHandler = _Null()
