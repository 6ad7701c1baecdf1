"""The recorder as a real process against the local venue (bus: ipc, venue: loopback): a lease from a fake
coordinator -> its own market WebSocket -> frames, the market's metadata (rewards from the CLOB) and our
own stream in the hourly file; ``PM_RECORD`` off -> it exits 0; ``--markets`` records without the bus.
Every wait is for an expected log line or file content, with a deadline."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backtest import recfile
from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import CancelMarket, Lease, Settlement, SettlementApplied
from tests.support.procs import Program, program_env, proxied_bus
from tests.support.quiet import Quiet
from tests.support.waits import wait_until
from venue.app import VenueThread
from venue.config import VenueConfig


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(reward_markets=1), seed=11, flow=True) as v:
        yield v


@pytest.fixture
def bus() -> Iterator[BusConfig]:
    with proxied_bus() as cfg:
        yield cfg


def reward_market(venue: VenueThread) -> Any:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    return venue.call(lambda: next(m for m in catalogue.all() if m.is_reward))


def loaded(root: Path) -> recfile.Recording | None:
    files = sorted(root.glob("*" + recfile.SUFFIX))
    try:
        return recfile.load(files) if files else None
    except ValueError:
        return None


class Engine:
    """A fake coordinator (its lease every 100 ms) and a fake executor (one command echo)."""

    def __init__(self, bus: BusConfig, lease: Lease) -> None:
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(bus, lease), daemon=True)
        self.thread.start()

    def _run(self, bus: BusConfig, lease: Lease) -> None:
        node = Node("market:t", bus, log=Quiet("t"))
        echo = CancelMarket(cmd_id="t-1", holder="t", market=lease.market, reason="test", ts=1)
        merged = SettlementApplied(settlement=Settlement(
            key="merge:t", kind="merge", market=lease.market, yes_asset=lease.yes_asset,
            no_asset=lease.no_asset, yes=5_000_000, no=5_000_000, usdc=5_000_000, tx="0x1",
            source="executor"),
            action="applied", ts=2)
        try:
            while not self.done.wait(0.1):
                node.publish(topics.coord_lease("t"), lease)
                node.publish(topics.exec_cmd("t"), echo)
                node.publish(topics.inv_settle(lease.market), merged)
        finally:
            node.close()

    def stop(self) -> None:
        self.done.set()
        self.thread.join(2)


def test_records_frames_metadata_and_our_stream(bus: BusConfig, venue: VenueThread) -> None:
    m = reward_market(venue)
    root = Path(bus.run_dir) / "rec"
    prog = Program(["-m", "actors.recorder"], program_env(
        Path(bus.run_dir), PM_RECORD="true", PM_RECORD_DIR=str(root), PM_RECORD_FLUSH_S="0.2",
        PM_LOCAL_VENUE_URL=venue.urls["clob"], PM_MD_CHECK_MS="50"))
    engine = Engine(bus, Lease(holder="t", market=m.condition_id, yes_asset=m.token_ids[0],
                               no_asset=m.token_ids[1], ttl_ms=2000, ts=0))
    try:
        prog.read_until(lambda line: '"event":"record_market"' in line, timeout=20)

        def complete() -> bool:
            rec = loaded(root)
            return bool(rec and rec.frames and m.condition_id in rec.metas and
                        {type(msg) for _, _, msg in rec.own} == {CancelMarket, SettlementApplied} and
                        any(b'"book"' in f for _, f in rec.frames))
        wait_until(complete, "frames, metadata and our stream in the file", timeout=30)
        rec = loaded(root)
        assert rec is not None and rec.sources[0] == "local"
        meta = rec.metas[m.condition_id]
        assert (meta.yes_asset, meta.no_asset) == tuple(m.token_ids)
        assert meta.tick == m.tick and meta.min_size == m.min_size
        assert meta.rewards.daily_rate == m.rewards_daily_rate * 1_000_000
        assert meta.rewards.max_spread_cents > 0
        # our stream: the exec.cmd echoes and inventory's merge / redemption echoes (the merge latency)
        topic = {type(msg): t for _, t, msg in rec.own}
        assert topic[CancelMarket].startswith(b"exec.cmd.")
        assert topic[SettlementApplied].startswith(b"inv.settle.")
    finally:
        engine.stop()
        prog.terminate_and_time(10)
        prog.kill()


def test_record_off_exits_at_once(bus: BusConfig) -> None:
    prog = Program(["-m", "actors.recorder"], program_env(Path(bus.run_dir)))
    try:
        prog.read_until(lambda line: '"event":"record_off"' in line, timeout=20)
        assert prog.proc.wait(timeout=10) == 0
    finally:
        prog.kill()


def test_markets_records_without_the_bus(venue: VenueThread, tmp_path: Path) -> None:
    m = reward_market(venue)
    prog = Program(["-m", "actors.recorder", "--markets", m.slug, "--hours", "0.001", "--out", str(tmp_path)],
                   program_env(tmp_path, PM_LOCAL_VENUE_URL=venue.urls["clob"]))
    try:
        prog.read_until(lambda line: '"event":"record_done"' in line, timeout=40)
        assert prog.proc.wait(timeout=10) == 0
    finally:
        prog.kill()
    rec = loaded(tmp_path)
    assert rec is not None and rec.metas[m.condition_id].slug == m.slug
    assert any(b'"book"' in f for _, f in rec.frames)
