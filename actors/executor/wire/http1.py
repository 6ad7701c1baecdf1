"""A minimal HTTP/1.1 client connection for the executor's hot path, usable without ever blocking.

Why not ``http.client``: it writes the headers and the body of a request in two ``send`` calls (two TCP
segments, so the server may wake twice) and parses every response's headers with the ``email``
package; together about 90 µs to write a cancel and 130 µs to read its answer on this machine
(loopback micro-benchmark, see ``docs/performance.md``). Here a request is one buffer and one ``send``,
and a response is parsed straight from the socket's bytes. A caller that builds the header lines itself
(``RestClient``'s prebuilt header block) hands them to ``write``; ``send`` builds them from a dict.

The socket is non-blocking once connected (the connect and the TLS handshake block, bounded by the
timeout). A reply can be read two ways over the same parser (``parse_response``): ``receive`` waits for
it (the order heartbeat's and the balance check's threads, the exit cancel), while the executor's loop
calls ``fill`` when the socket is readable and ``take`` to get the response once all of it is in.

What it speaks: requests with a ``Content-Length`` body or none; responses with ``Content-Length``,
``Transfer-Encoding: chunked``, no body (1xx are skipped, 204, 304) or a body up to the close; keep-alive
unless the server says ``Connection: close`` (or is HTTP/1.0 without keep-alive). Plain TCP or TLS.
Every failure is an ``OSError`` (timeouts included) or ``ProtocolError``: the caller treats both as
"no usable response" and drops the connection.
"""

from __future__ import annotations

import select
import socket
import ssl
import time

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
_CHUNK = 65536
_AGAIN = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)

_BODY_METHODS = ("POST", "PUT", "PATCH")  # sent with a Content-Length even without a body


def header_lines(headers: dict[str, str]) -> str:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items())


def end_of_head(method: str, body: bytes | None) -> str:
    """The ``Content-Length`` line (when there is a body, or the method has one) and the blank line."""
    if body is not None:
        return f"Content-Length: {len(body)}\r\n\r\n"
    return "Content-Length: 0\r\n\r\n" if method in _BODY_METHODS else "\r\n"


class ProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response we can read."""


class Response:
    __slots__ = ("body", "headers", "status", "will_close")

    def __init__(self, status: int, headers: dict[str, str], body: bytes, will_close: bool) -> None:
        self.status, self.headers, self.body, self.will_close = status, headers, body, will_close


def parse_response(buf: bytearray, method: str, eof: bool) -> tuple[Response, int] | None:
    """The first response in ``buf`` and how many bytes it took; None while it is not all in. ``eof``: the
    server closed the connection (ends a close-delimited body; anything else incomplete is an error)."""
    start = 0
    while True:
        end = buf.find(b"\r\n\r\n", start)
        if end < 0:
            if len(buf) - start > MAX_HEAD:
                raise ProtocolError("response head too large")
            return _incomplete(eof)
        status, headers, version = _head(bytes(buf[start:end]))
        start = end + 4
        if not (100 <= status < 200 and status != 101):
            break  # 100 Continue and friends are skipped: the real answer follows
    connection = headers.get("connection", "").lower()
    will_close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    if method == "HEAD" or status in (204, 304):
        return Response(status, headers, b"", will_close), start
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunked = _chunked(buf, start)
        if chunked is None:
            return _incomplete(eof)
        return Response(status, headers, chunked[0], will_close), chunked[1]
    length = headers.get("content-length")
    if length is not None:
        try:
            n = int(length)
        except ValueError:
            raise ProtocolError(f"bad Content-Length {length!r}") from None
        if not 0 <= n <= MAX_BODY:
            raise ProtocolError(f"Content-Length {n} out of range")
        if len(buf) - start < n:
            return _incomplete(eof)
        return Response(status, headers, bytes(buf[start:start + n]), will_close), start + n
    if len(buf) - start > MAX_BODY:
        raise ProtocolError("body too large")
    if not eof:
        return None
    return Response(status, headers, bytes(buf[start:]), True), len(buf)


def _incomplete(eof: bool) -> tuple[Response, int] | None:
    """Not all in yet: None, unless the server has closed the connection (then it never will be)."""
    if eof:
        raise ConnectionResetError("the server closed the connection")
    return None


def _head(raw: bytes) -> tuple[int, dict[str, str], str]:
    lines = raw.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise ProtocolError(f"bad status line {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"bad header line {line[:80]!r}")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return int(code), headers, version


def _line(buf: bytearray, pos: int) -> int | None:
    """The end of the line starting at ``pos`` (index of its CRLF), or None while it is not all in."""
    end = buf.find(b"\r\n", pos)
    if end < 0 and len(buf) - pos > MAX_HEAD:
        raise ProtocolError("line too long")
    return end if end >= 0 else None


def _chunked(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    body = bytearray()
    while True:
        end = _line(buf, pos)
        if end is None:
            return None
        size_line = bytes(buf[pos:end]).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size {size_line[:20]!r}") from None
        pos = end + 2
        if size == 0:
            while (end := _line(buf, pos)) is not None:  # trailers, up to the empty line
                blank, pos = end == pos, end + 2
                if blank:
                    return bytes(body), pos
            return None
        if len(body) + size > MAX_BODY:
            raise ProtocolError("chunked body too large")
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos:pos + size]
        if buf[pos + size:pos + size + 2] != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")
        pos += size + 2


class Connection:
    def __init__(self, host: str, port: int, *, timeout: float, tls: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=host)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.sock: socket.socket = sock
        self.host_header = host if port in (80, 443) else f"{host}:{port}"
        self.eof = False  # the server closed its side
        self._buf = bytearray()
        self._tls = tls is not None
        self._poll = select.poll()  # registered once: a wait or the idle check is one syscall, no fd lists
        self._poll.register(sock, select.POLLIN)

    def close(self) -> None:
        self.sock.close()

    def fileno(self) -> int:
        return self.sock.fileno()

    def idle_and_open(self) -> bool:
        """True if nothing arrived since the last response (a close, or stray bytes, would have)."""
        if self._buf or self.eof or self.sock.fileno() < 0:
            return False
        if self._tls and self.sock.pending():  # type: ignore[attr-defined]
            return False
        return not self._poll.poll(0)  # readable (a close, stray bytes), hang-up or error: not idle

    # -- writing --------------------------------------------------------------------------------

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes | None,
             timeout: float) -> None:
        self.write(method, target, header_lines(headers) + end_of_head(method, body), body, timeout)

    def write(self, method: str, target: str, fields: str, body: bytes | None, timeout: float) -> None:
        """Write a request whose header ``fields`` (every line after ``Host``, up to and including the
        blank line: ``header_lines`` + ``end_of_head``) are already built. One ``send`` unless the
        socket's buffer is full (then it waits for room, at most ``timeout``)."""
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host_header}\r\n{fields}".encode("latin-1")
        data = head + body if body else head
        try:
            sent = self.sock.send(data)
        except _AGAIN:
            sent = 0
        if sent < len(data):
            self._send_rest(memoryview(data)[sent:], time.monotonic() + timeout)

    def _send_rest(self, view: memoryview, deadline: float) -> None:
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out writing the request")
            writable = select.poll()
            writable.register(self.sock, select.POLLOUT)
            writable.poll(max(1, int(left * 1000)))
            try:
                view = view[self.sock.send(view):]
            except _AGAIN:
                continue

    # -- reading --------------------------------------------------------------------------------

    def fill(self) -> None:
        """Read whatever has arrived (never blocks); notes the server's close (``eof``). A short read means
        the socket is drained (the loop's poll reports it again when more comes), so one ``recv`` suffices
        for a small reply; TLS may hold decrypted bytes the poll cannot see (``pending``): read those too."""
        sock = self.sock
        while not self.eof:
            try:
                data = sock.recv(_CHUNK)
            except _AGAIN:
                return
            except ssl.SSLZeroReturnError:
                data = b""
            if not data:
                self.eof = True
                return
            self._buf += data
            if len(self._buf) > MAX_BODY + MAX_HEAD:
                raise ProtocolError("response too large")
            if len(data) < _CHUNK and not (self._tls and sock.pending()):  # type: ignore[attr-defined]
                return

    def take(self, method: str = "GET", read: bool = True) -> Response | None:
        """The response, once all of it is in (first reading what has arrived, unless ``read`` is False:
        the caller ``fill``s whenever the socket is readable); None until then."""
        parsed = parse_response(self._buf, method, self.eof) if self._buf else None
        if parsed is None:
            if not read:
                return None
            self.fill()
            parsed = parse_response(self._buf, method, self.eof)
            if parsed is None:
                return None
        response, used = parsed
        del self._buf[:used]
        return response

    def wait(self, timeout: float) -> bool:
        """Block until something may be read (or ``timeout`` seconds passed); False on timeout."""
        if self.eof or (self._tls and self.sock.pending()):  # type: ignore[attr-defined]
            return True
        return bool(self._poll.poll(max(0, int(timeout * 1000))))

    def receive(self, timeout: float, method: str = "GET") -> Response:
        """Wait for the response (at most ``timeout`` seconds between reads): the blocking way."""
        while (response := self.take(method)) is None:
            if not self.wait(timeout):
                raise TimeoutError("timed out")
        return response
