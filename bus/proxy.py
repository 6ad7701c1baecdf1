"""The bus: an XSUB/XPUB proxy (program ``bus``).

Publishers connect to the XSUB end, subscribers to the XPUB end. The proxy runs in a thread; the
main thread runs a ``Node`` (so the bus has a heartbeat like every program) and stops the proxy
through a control socket on SIGTERM, in well under a second.

    python -m bus.proxy
"""

from __future__ import annotations

import threading

import zmq

from bus import curve
from bus.config import ConfigError, load_or_exit
from bus.endpoints import BusConfig, ensure_run_dir
from bus.logs import Logger
from bus.node import Node

PROGRAM = "bus"
CONTROL = "inproc://bus-proxy-control"


class Proxy:
    def __init__(self, cfg: BusConfig, ctx: zmq.Context[zmq.Socket[bytes]] | None = None,
                 log: Logger | None = None) -> None:
        self.ctx = ctx or zmq.Context.instance()
        self.xsub = self.ctx.socket(zmq.XSUB)
        self.xpub = self.ctx.socket(zmq.XPUB)
        for sock in (self.xsub, self.xpub):
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.SNDHWM, 200_000)
            sock.setsockopt(zmq.RCVHWM, 200_000)
            curve.secure_server(sock, cfg.keys_dir, log or Logger(PROGRAM))  # both ends: CURVE servers
        self.xsub.bind(cfg.publish_endpoint)
        self.xpub.bind(cfg.subscribe_endpoint)
        self.control = self.ctx.socket(zmq.PAIR)
        self.control.bind(CONTROL)
        self._ctl_peer = self.ctx.socket(zmq.PAIR)
        self._ctl_peer.connect(CONTROL)
        self.thread = threading.Thread(target=self._run, name="bus-proxy", daemon=True)

    def _run(self) -> None:
        zmq.proxy_steerable(self.xsub, self.xpub, None, self.control)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._ctl_peer.send(b"TERMINATE")
        self.thread.join(timeout=1.0)
        for sock in (self.xsub, self.xpub, self.control, self._ctl_peer):
            sock.close()


def main() -> int:
    log = Logger(PROGRAM)
    cfg = load_or_exit(BusConfig, PROGRAM)
    ensure_run_dir(cfg.run_dir)
    try:
        proxy = Proxy(cfg, log=log)
    except ConfigError as exc:
        log.error("config_error", variable=exc.variable, error=exc.message)
        return 2
    proxy.start()
    log.info("bus_listening", publish=cfg.publish_endpoint, subscribe=cfg.subscribe_endpoint)
    node = Node(PROGRAM, cfg, log=log)
    try:
        return node.run(lambda topic, header, msg: None)
    finally:
        node.close()
        proxy.stop()


if __name__ == "__main__":
    raise SystemExit(main())
