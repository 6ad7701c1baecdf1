"""End to end: the engine trades on the local venue with a private key given to the executor only; then
every log, the tap's ``--json`` output and its ``--record`` file (and every other file the run left) are
scanned for the key, the API secret, the passphrase and any order signature (0x + 130 hex).

Also checked while it runs: no other process has the key in its environment (the executor does: the
check can see it), the ipc directory is 0700 and the derived credentials file 0600, and nothing on the
bus ever comes from the tap.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from actors.executor.wire.signing import OrderSigner, post_body
from clob.signer import Signer
from schemas import FillApplied, OrderPlaced, PlaceOrder
from tests.support.procs import Listener
from tests.support.samples import SAMPLES
from tests.support.stack import CORE, MODULES, Proc, Stack

pytestmark = pytest.mark.e2e

KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"  # Anvil's 3rd account, not ours
VENUE = {"intervals": ["15m"], "assets": ["btc"], "reward_markets": 0, "mined_delay_ms": 300,
         "confirmed_delay_ms": 600, "flow_params": {"noise_rate_per_min": 400.0, "informed_prob": 0.0}}
ENGINE = {"PM_BID_SIZE": "5", "PM_HEARTBEAT_MS": "500"}
SIGNATURE = re.compile(rb"(?i)(?<![0-9a-f])(?:0x)?[0-9a-f]{130}(?![0-9a-f])")


SAMPLE_ORDER = next(m for m in SAMPLES if isinstance(m, PlaceOrder))


def scan(path: Path, secrets: dict[str, bytes]) -> list[str]:
    data = path.read_bytes()
    found = [f"{path.name}: {name}" for name, value in secrets.items() if value.lower() in data.lower()]
    found += [f"{path.name}: order signature {m.group()[:20].decode()}..." for m in SIGNATURE.finditer(data)]
    return found


def test_the_scan_finds_a_real_order_signature_and_the_key() -> None:  # so an empty result means something
    signer = OrderSigner(Signer(KEY))
    _, body = post_body([SAMPLE_ORDER], [signer.sign(SAMPLE_ORDER, 1_700_000_000_000)], "api-key")
    path = Path(tempfile.mkdtemp()) / "leak.log"
    try:
        path.write_bytes(b'{"event":"oops","order":' + body + b',"k":"' + KEY.upper().encode() + b'"}')
        found = scan(path, {"private key": KEY.removeprefix("0x").encode()})
        assert found == ["leak.log: private key", f"leak.log: order signature {found[1].split()[-1]}"]
    finally:
        shutil.rmtree(path.parent)


def test_no_secret_or_signature_in_any_log_or_tap_output() -> None:
    with Stack(venue_config=VENUE, env=ENGINE) as stack:
        stack.start_program("bus", "bus")
        stack.bus = Listener(stack.bus_cfg)
        taps = [Proc("tap-json", ["-m", "actors.tap", "--json"], stack.env(), stack.dir / "tap.jsonl"),
                Proc("tap-record", ["-m", "actors.tap", "--record", str(stack.dir / "bus.rec")], stack.env(),
                     stack.dir / "tap-record.log")]
        for tap in taps:
            stack.procs[tap.name] = tap
            tap.start()
        for name in CORE[1:]:
            extra = {"POLYMARKET_PRIVATE_KEY": KEY} if name == "executor" else {}
            stack.start_program(name, MODULES[name], **extra)
        stack.start_program("market:btc-updown-15m", "actors.coordinator",
                            POLYMARKET_MARKET_SLUG="btc-updown-15m", PM_COORDINATOR_NAME="btc-updown-15m")
        placed = fills = 0
        sources: set[str] = set()
        deadline = time.monotonic() + 120
        try:
            while placed < 2 or fills < 1:
                assert time.monotonic() < deadline, f"placed={placed} fills={fills}\n{stack.logs()}"
                try:
                    _, header, msg = stack.bus.next(timeout=1.0)
                except TimeoutError:
                    continue
                sources.add(header.src)
                placed += isinstance(msg, OrderPlaced)
                fills += isinstance(msg, FillApplied) and msg.action == "applied"

            key = KEY.removeprefix("0x").encode()
            for name, proc in stack.procs.items():
                assert proc.popen is not None and proc.alive(), f"{name} died\n{stack.logs()}"
                environ = Path(f"/proc/{proc.popen.pid}/environ").read_bytes().lower()
                assert (key in environ) == (name == "executor"), f"{name}: key in environment is wrong"
            assert stack.run_dir.stat().st_mode & 0o777 == 0o700
            creds_file = stack.run_dir / "api-creds.json"
            assert creds_file.stat().st_mode & 0o777 == 0o600
            creds = json.loads(creds_file.read_text())
            assert "tap" not in sources and "executor" in sources

            for proc in reversed(list(stack.procs.values())):  # stop all: logs and recordings complete
                proc.stop()
            secrets = {"private key": key, "API secret": creds["secret"].encode(),
                       "passphrase": creds["passphrase"].encode()}
            files = [p for p in stack.dir.rglob("*") if p.is_file() and p != creds_file]
            names = {p.name for p in files}
            assert {"tap.jsonl", "bus.rec", "executor.log", "market:btc-updown-15m.log"} <= names
            assert (stack.dir / "tap.jsonl").stat().st_size > 0 and (stack.dir / "bus.rec").stat().st_size > 0
            leaks = [leak for path in files for leak in scan(path, secrets)]
            assert leaks == []
        except AssertionError:
            print(stack.logs())
            raise
