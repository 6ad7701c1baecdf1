"""Rules the repository keeps about itself.

- It is self-contained: no file a program, benchmark or test might read names a folder beside the
  repository (the design notes and captures that live next to it in development are reading material;
  the captures the tests use are copied into tests/fixtures/).
- Test modules do not import each other: shared helpers live in tests/support/, so every test module
  can be read, run and changed on its own.
- The unit constants (1e-6 units, ns per ms and per s, the int64 limit) are defined once, in
  schemas/units.py: no other module of the programs, libraries, venue or benchmarks defines its own.
"""

from __future__ import annotations

import ast
import operator
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


# -- the unit constants have one home ---------------------------------------------------------------

UNITS_HOME = "schemas/units.py"
CODE = ("actors", "bus", "clob", "schemas", "venue", "bench")
UNIT_VALUES = {10**6, 10**9, 2**63 - 1}  # MICRO / MS, NS, MAX_INT64
UNIT_NAMES = {"MICRO", "ONE", "MS", "NS", "NANO", "S", "UNIT", "SCALE", "MAX_INT", "MAX_UNITS", "MAX_INT64"}
ALLOWED: dict[str, str] = {}  # "path:NAME" -> why it must stay (none today)
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
        ast.LShift: operator.lshift, ast.Pow: operator.pow}


def _int_value(node: ast.expr) -> int | None:
    """The value of a constant integer expression (``1_000_000``, ``10**9``, ``(1 << 63) - 1``,
    ``Decimal(1_000_000)``), else None."""
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is int else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_value(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.func, ast.Name):
        return _int_value(node.args[0]) if node.func.id in ("Decimal", "int") else None
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _int_value(node.left), _int_value(node.right)
        huge = isinstance(node.op, ast.Pow | ast.LShift) and not 0 <= (right or 0) <= 64
        if left is None or right is None or huge:
            return None
        try:
            return int(_OPS[type(node.op)](left, right))
        except ZeroDivisionError:
            return None
    return None


def unit_constants(source: str) -> list[str]:
    """Module-level constants that duplicate a unit: a unit's name, a unit's value, or a unit's value
    written inside the expression (``GTD_HEADROOM_NS = 60 * 1_000_000_000``)."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        literal = any(_int_value(n) in UNIT_VALUES for n in ast.walk(value) if isinstance(n, ast.expr))
        if literal or any(name in UNIT_NAMES for name in names):
            found += names
    return found


@pytest.mark.parametrize(("source", "found"), [
    ("MICRO = 1_000_000", ["MICRO"]),
    ("MICRO = Decimal(1_000_000)", ["MICRO"]),
    ("NANO = 10**9", ["NANO"]),
    ("S = 1_000_000_000", ["S"]),
    ("MAX_UNITS = (1 << 63) - 1", ["MAX_UNITS"]),
    ("SCALE = MICRO", ["SCALE"]),  # an alias is a second home too
    ("GTD_HEADROOM_NS = 60 * 1_000_000_000", ["GTD_HEADROOM_NS"]),
    ("_MAX_VALUE = Decimal((1 << 63) - 1) / MICRO", ["_MAX_VALUE"]),
    ("TICK: int = 1_000_000", ["TICK"]),
    ("from schemas.units import MICRO, NS", []),
    ("SAMPLE_NS = 1_000 * MS", []),
    ("PRICE_MIN = 1_000", []),
    ("NOW = 1_000_000_000_000", []),
    ("def f(x):\n    return x * 1_000_000", []),  # module-level constants only
])
def test_the_unit_scan_finds_duplicated_constants(source: str, found: list[str]) -> None:
    assert unit_constants(source) == found


def test_no_module_defines_its_own_unit_constants() -> None:
    found = {}
    for top in CODE:
        for path in sorted((REPO / top).rglob("*.py")):
            where = str(path.relative_to(REPO))
            if where == UNITS_HOME or SKIPPED_DIRS.intersection(path.parts):
                continue
            names = [n for n in unit_constants(path.read_text()) if f"{where}:{n}" not in ALLOWED]
            if names:
                found[where] = names
    assert found == {}
