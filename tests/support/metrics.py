"""Scraping the metrics program's ``/metrics`` from tests, parsed with prometheus-client's own parser.

    page = wait_scrape(url, lambda p: p.value("pm_inventory_net", market="btc") == 10.0, "net exported")
    page.value("pm_rejections_total", **{"class": "balance"})   # one sample, by its exact labels
    page.series("pm_coordinator_mode")                         # {(("market", "btc"), ("mode", "hedge")): 1.0}

``metrics_url(log_path)`` reads the port a program started with ``PM_METRICS_ADDR=127.0.0.1:0`` chose
from its ``metrics_listening`` log line (supervised or stack runs).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs


class Page:
    """One scrape: every sample by name and labels."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: dict[str, dict[Labels, float]] = {}
        self.types: dict[str, str] = {}  # family name -> its TYPE
        for family in text_string_to_metric_families(text):
            self.types[family.name] = family.type
            for sample in family.samples:
                labels = tuple(sorted(sample.labels.items()))
                self.samples.setdefault(sample.name, {})[labels] = sample.value

    def names(self) -> set[str]:
        return set(self.samples)

    def series(self, name: str) -> dict[Labels, float]:
        return dict(self.samples.get(name, {}))

    def value(self, name: str, **labels: str) -> float | None:
        """The sample with exactly these labels, or None."""
        return self.samples.get(name, {}).get(tuple(sorted(labels.items())))

    def by(self, name: str, label: str) -> dict[str, float]:
        """``{label value: value}`` of a metric with one varying label (the others ignored)."""
        out: dict[str, float] = {}
        for labels, value in self.series(name).items():
            named = dict(labels)
            if label in named:
                out[named[label]] = value
        return out


def scrape(url: str, timeout: float = 5.0) -> Page:
    """GET ``url`` (``http://host:port`` or ``.../metrics``) and parse it."""
    full = url if url.endswith("/metrics") else url.rstrip("/") + "/metrics"
    with urllib.request.urlopen(full, timeout=timeout) as reply:
        return Page(reply.read().decode())


def wait_scrape(url: str, predicate: Callable[[Page], bool], what: str, *, timeout: float = 10.0) -> Page:
    """Scrape until ``predicate(page)`` (a refused connection counts as not yet: the program may still be
    starting); fail after ``timeout`` with the last page or error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            page: Page | OSError = scrape(url)
        except OSError as error:  # refused, reset, timed out (urllib's URLError is an OSError)
            page = error
        if isinstance(page, Page) and predicate(page):
            return page
        if time.monotonic() > deadline:
            last = page.text if isinstance(page, Page) else repr(page)
            raise AssertionError(f"{what}: not seen within {timeout}s; last scrape:\n{last}")
        time.sleep(0.02)  # poll interval of a bounded wait


def metrics_url(log_path: Path, *, timeout: float = 10.0) -> str:
    """``http://host:port`` of a running metrics program, from its ``metrics_listening`` log line."""
    deadline = time.monotonic() + timeout
    while True:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        for line in text.splitlines():
            if '"event":"metrics_listening"' in line:
                return url_from_line(line)
        if time.monotonic() > deadline:
            raise AssertionError(f"no metrics_listening line in {log_path} within {timeout}s")
        time.sleep(0.05)  # poll interval of a bounded wait


def url_from_line(line: str) -> str:
    """``http://host:port`` from a ``metrics_listening`` log line."""
    record = json.loads(line)
    host = f"[{record['host']}]" if ":" in record["host"] else record["host"]
    return f"http://{host}:{record['port']}"
