"""A minimal HTTP/1.1 client connection for the executor's hot path.

Why not ``http.client``: it writes the headers and the body of a request in two ``send`` calls (two TCP
segments, so the server may wake twice) and parses every response's headers with the ``email``
package; together about 90 µs to write a cancel and 130 µs to read its answer on this machine
(loopback micro-benchmark, see ``docs/performance.md``). Here a request is one buffer and one ``sendall``,
and a response is parsed straight from the socket's bytes. A caller that builds the header lines itself
(``RestClient``'s prebuilt header block) hands them to ``write``; ``send`` builds them from a dict.

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

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
_CHUNK = 65536


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


class Connection:
    def __init__(self, host: str, port: int, *, timeout: float, tls: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        self.sock: socket.socket = sock
        self.host_header = host if port in (80, 443) else f"{host}:{port}"
        self._buf = bytearray()
        self._tls = tls is not None
        self._timeout = sock.gettimeout()  # settimeout is a syscall (ioctl): only when it changes
        self._poll = select.poll()  # registered once: the idle check is one syscall, no fd lists
        self._poll.register(sock, select.POLLIN)

    def close(self) -> None:
        self.sock.close()

    def fileno(self) -> int:
        return self.sock.fileno()

    def idle_and_open(self) -> bool:
        """True if nothing arrived since the last response (a close, or stray bytes, would have)."""
        if self._buf or self.sock.fileno() < 0:
            return False
        if self._tls and self.sock.pending():  # type: ignore[attr-defined]
            return False
        return not self._poll.poll(0)  # readable (a close, stray bytes), hang-up or error: not idle

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes | None,
             timeout: float) -> None:
        self.write(method, target, header_lines(headers) + end_of_head(method, body), body, timeout)

    def write(self, method: str, target: str, fields: str, body: bytes | None, timeout: float) -> None:
        """Write a request whose header ``fields`` (every line after ``Host``, up to and including the
        blank line: ``header_lines`` + ``end_of_head``) are already built."""
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host_header}\r\n{fields}".encode("latin-1")
        if timeout != self._timeout:
            self.sock.settimeout(timeout)
            self._timeout = timeout
        self.sock.sendall(head + body if body else head)

    def receive(self, timeout: float, method: str = "GET") -> Response:
        if timeout != self._timeout:
            self.sock.settimeout(timeout)
            self._timeout = timeout
        while True:
            status, headers, version = self._head()
            if 100 <= status < 200 and status != 101:
                continue  # 100 Continue and friends: the real answer follows
            break
        connection = headers.get("connection", "").lower()
        will_close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        if method == "HEAD" or status in (204, 304):
            return Response(status, headers, b"", will_close)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return Response(status, headers, self._chunked(), will_close)
        length = headers.get("content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                raise ProtocolError(f"bad Content-Length {length!r}") from None
            if not 0 <= n <= MAX_BODY:
                raise ProtocolError(f"Content-Length {n} out of range")
            return Response(status, headers, self._exactly(n), will_close)
        return Response(status, headers, self._until_close(), True)

    # -- reading ------------------------------------------------------------------------------------

    def _fill(self) -> None:
        data = self.sock.recv(_CHUNK)
        if not data:
            raise ConnectionResetError("the server closed the connection")
        self._buf += data

    def _line(self, limit: int = MAX_HEAD) -> bytes:
        while True:
            end = self._buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[:end + 2]
                return line
            if len(self._buf) > limit:
                raise ProtocolError("line too long")
            self._fill()

    def _head(self) -> tuple[int, dict[str, str], str]:
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self._buf) > MAX_HEAD:
                raise ProtocolError("response head too large")
            self._fill()
        lines = bytes(self._buf[:end]).decode("latin-1").split("\r\n")
        del self._buf[:end + 4]
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

    def _exactly(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        body = bytes(self._buf[:n])
        del self._buf[:n]
        return body

    def _chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_line = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size {size_line[:20]!r}") from None
            if size == 0:
                while self._line():  # trailers, up to the empty line
                    pass
                return bytes(body)
            if len(body) + size > MAX_BODY:
                raise ProtocolError("chunked body too large")
            body += self._exactly(size)
            if self._line():
                raise ProtocolError("chunk not followed by CRLF")

    def _until_close(self) -> bytes:
        while len(self._buf) <= MAX_BODY:
            try:
                data = self.sock.recv(_CHUNK)
            except ssl.SSLZeroReturnError:
                data = b""
            if not data:
                body = bytes(self._buf)
                self._buf.clear()
                return body
            self._buf += data
        raise ProtocolError("body too large")
