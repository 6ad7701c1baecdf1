"""The Prometheus side: a ``Snapshot`` as metric families, and the ``/metrics`` HTTP server.

The server is prometheus-client's WSGI app and threading server (a thread per scrape) on a daemon thread
of ours, polled every 50 ms so that a stop takes no longer (``start_http_server`` polls every 0.5 s).
Its collector holds one reference to the newest snapshot, which the loop replaces (``publish``); a scrape
reads that reference once and formats it, so it never sees a half-updated state and the loop never
waits for a scrape. Heartbeat ages are the only values computed at scrape time, from the clock and the
receive times in the snapshot.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer

from actors.metrics import catalogue as c
from actors.metrics.snapshot import EMPTY, Snapshot
from schemas.units import NS


def families(snapshot: Snapshot, now: int) -> list[Metric]:
    """Every metric of ``snapshot`` as Prometheus families; heartbeat ages as of ``now`` (ns)."""
    out: list[Metric] = []
    for family in snapshot.families:
        spec = family.spec
        cls = CounterMetricFamily if spec.kind == "counter" else GaugeMetricFamily
        metric = cls(spec.name, spec.help, labels=list(spec.labels))
        for labels, value in family.samples:
            metric.add_metric(list(labels), value)
        out.append(metric)
    ages = GaugeMetricFamily(c.HEARTBEAT_AGE.name, c.HEARTBEAT_AGE.help, labels=list(c.HEARTBEAT_AGE.labels))
    for program, received in snapshot.heartbeats:
        ages.add_metric([program], max(0, now - received) / NS)
    out.append(ages)
    hist = snapshot.tick_to_order
    out.append(HistogramMetricFamily(
        c.TICK_TO_ORDER.name, c.TICK_TO_ORDER.help, sum_value=hist.sum_s,
        buckets=[("+Inf" if bound == float("inf") else repr(bound), count) for bound, count in hist.buckets]))
    return out


class SnapshotCollector:
    """A prometheus-client collector over the newest snapshot (replaced whole by ``publish``)."""

    def __init__(self, clock: Callable[[], int]) -> None:
        self._clock = clock
        self._snapshot = EMPTY

    def publish(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot  # one reference assignment: atomic for the scraping threads

    def collect(self) -> Iterator[Metric]:
        snapshot = self._snapshot  # read once: everything below comes from one picture
        yield from families(snapshot, self._clock())


class _Server(ThreadingWSGIServer):
    address_family = socket.AF_INET


class _Server6(ThreadingWSGIServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no stderr line per scrape
        pass


class MetricsServer:
    """``/metrics`` on ``host:port`` (port 0: any free one, see ``port``) until ``close``."""

    POLL_S = 0.05

    def __init__(self, collector: SnapshotCollector, host: str, port: int) -> None:
        registry = CollectorRegistry()
        registry.register(collector)
        server_class = _Server6 if ":" in host else _Server
        self._server = make_server(host, port, make_wsgi_app(registry), server_class,
                                   handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-http", daemon=True,
                                        kwargs={"poll_interval": self.POLL_S})
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(1.0)
