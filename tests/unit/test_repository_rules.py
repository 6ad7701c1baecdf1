"""Rules the repository keeps about itself.

- It is self-contained: no file a program, benchmark or test might read names a folder beside the
  repository (the design notes and captures that live next to it in development are reading material;
  the captures the tests use are copied into tests/fixtures/).
- Test modules do not import each other: shared helpers live in tests/support/, so every test module
  can be read, run and changed on its own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support.procs import REPO

SCANNED = ("actors", "bus", "clob", "schemas", "venue", "bench", "tests", "deploy")
SKIPPED_DIRS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}

# Built from pieces so that this file does not match its own pattern.
_NAME = "sha" + "red"
OUTSIDE = re.compile(
    rf"\.\./{_NAME}\b"  # ../<name>
    rf"|/{_NAME}/"  # an absolute path through it, or a path joined onto it
    rf"|[\"'`(]{_NAME}/"  # a quoted relative path starting with it
    rf"|/\s*[\"']{_NAME}[\"']"  # Path(...) / "<name>"
    rf"|\b{_NAME}/polymarket\b"  # the captures' folder named in prose
)


def scanned_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*")):
            if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(REPO).parts):
                files.append(path)
    return files


def outside_references(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if OUTSIDE.search(line)]


@pytest.mark.parametrize(("line", "outside"), [
    (f'FIXTURES = Path(__file__).resolve().parents[3] / "{_NAME}/polymarket/fixtures"', True),
    (f'FIXTURES = Path("/work/{_NAME}/polymarket/fixtures")', True),
    (f"see ../{_NAME}/design/ARCHITECTURE.md", True),
    (f"Shapes follow the captures in `{_NAME}/polymarket/fixtures/`", True),
    (f'ROOT = REPO.parent / "{_NAME}"', True),
    (f"the {_NAME}/polymarket captures", True),
    (f"one market's {_NAME} Yes/No book", False),
    (f"a trade {_NAME} by two makers", False),
    (f"``requests.Session`` is not {_NAME} across threads", False),
    (f"self._{_NAME} = False", False),
    ('FIXTURES = REPO / "tests" / "fixtures"', False),
])
def test_the_pattern_finds_paths_not_words(line: str, outside: bool) -> None:
    assert bool(outside_references(line)) == outside


def test_no_file_names_a_folder_outside_the_repository() -> None:
    files = scanned_files()
    assert any(p.name == "SOURCES.md" for p in files)  # the scan does reach tests/fixtures
    found = {}
    for path in files:
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # binary: not a path anyone wrote by hand
        if hits := outside_references(text):
            found[str(path.relative_to(REPO))] = hits
    assert found == {}


def test_every_fixture_has_its_provenance_recorded() -> None:
    fixtures = REPO / "tests" / "fixtures"
    sources = (fixtures / "SOURCES.md").read_text()
    files = sorted(p for p in fixtures.rglob("*.json"))
    assert files
    unlisted = [str(p.relative_to(fixtures)) for p in files if not listed(p, sources)]
    assert unlisted == []


def listed(path: Path, sources: str) -> bool:
    """A file's name is in SOURCES.md, or a pattern there (``ws_user_order_*.json``, ``{a,b}``) covers it."""
    if path.name in sources:
        return True
    for pattern in re.findall(r"[\w{},*-]+\.json", sources):
        regex = re.escape(pattern).replace(r"\*", r"[\w-]*")
        regex = re.sub(r"\\\{(.*?)\\\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", regex)
        if re.fullmatch(regex, path.name):
            return True
    return False


# -- test modules do not import each other -----------------------------------------------------------

TEST_PACKAGES = ("tests.unit", "tests.integration", "tests.e2e")


def imported_test_modules(source: str) -> list[str]:
    """Imports of a test package's modules (or a relative import, which reaches a sibling test module)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                found.append("." * node.level + module)
            elif module.startswith(TEST_PACKAGES) or module in ("tests", *TEST_PACKAGES):
                if module == "tests" and all(alias.name == "support" for alias in node.names):
                    continue
                found.append(module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith(TEST_PACKAGES)]
    return found


@pytest.mark.parametrize(("source", "found"), [
    ("from tests.integration.test_executor_venue import Rig", ["tests.integration.test_executor_venue"]),
    ("from tests.unit import test_executor_core", ["tests.unit"]),
    ("from .test_venue_support import Harness", [".test_venue_support"]),
    ("import tests.e2e.test_chaos", ["tests.e2e.test_chaos"]),
    ("from tests.support.procs import Listener", []),
    ("from tests import support", []),
    ("from venue.app import VenueThread", []),
])
def test_the_import_check_tells_test_modules_from_support(source: str, found: list[str]) -> None:
    assert imported_test_modules(source) == found


def test_no_module_imports_a_test_module() -> None:
    """Test modules, tests/support and the benchmarks import shared helpers from tests/support only."""
    found = {}
    for path in scanned_files():
        if path.suffix == ".py" and (hits := imported_test_modules(path.read_text())):
            found[str(path.relative_to(REPO))] = hits
    assert found == {}
