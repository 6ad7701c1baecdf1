"""Where the recorded Polymarket frames live: ``tests/fixtures/`` in this repository (see its SOURCES.md).

Every test that reads a captured message takes its path from here, so the repository tests on its own.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
NT_WS = FIXTURES / "nautilus_trader" / "py_ws_messages"
NT_HTTP = FIXTURES / "nautilus_trader" / "py_http_responses"
NT_CRATES = FIXTURES / "nautilus_trader" / "crates_test_data"
POLYOXIDE = FIXTURES / "polyoxide"
DOCS = FIXTURES / "docs_examples"
LIVE = FIXTURES / "live_captures_rust_client"
