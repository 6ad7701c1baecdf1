"""The executor's modules import each other as a tree (a DAG): no cycle, ``TYPE_CHECKING`` imports
included. The graph is read from the source with ``ast``; an import of ``a.b.c`` also counts as an
import of its packages ``a.b`` and ``a`` (Python runs their ``__init__`` first)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.procs import REPO

ROOT = "actors.executor"


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (a directory under ``root``): dotted name -> file."""
    names = {}
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imports_of(name: str, source: str, known: set[str], is_package: bool) -> set[str]:
    """The modules of ``known`` that ``source`` (module ``name``) imports, wherever the import statement
    stands (``if TYPE_CHECKING:``, inside a function...), each with its parent packages."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package up
                package = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            parts = target.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {m for m in found & known if m != name}


def graph(root: Path, package: str) -> dict[str, set[str]]:
    names = module_names(root, package)
    known = set(names)
    return {name: imports_of(name, path.read_text(), known, path.name == "__init__.py")
            for name, path in names.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle (``[a, b, ..., a]``), or [] if there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.mark.parametrize(("files", "cycle"), [
    ({"p/__init__.py": "", "p/a.py": "from p import b\n", "p/b.py": "import p.c\n", "p/c.py": ""}, []),
    ({"p/__init__.py": "", "p/a.py": "from p.b import X\n", "p/b.py": "from p.a import Y\n"},
     ["p.a", "p.b", "p.a"]),
    ({"p/__init__.py": "", "p/a.py": "from p.b import X\n",
      "p/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from p.a import Y\n"},
     ["p.a", "p.b", "p.a"]),  # an import only for the type checker is a cycle all the same
    ({"p/__init__.py": "from p.a import X\n", "p/a.py": "from p.b import X\n", "p/b.py": ""},
     ["p", "p.a", "p"]),  # a package's __init__ runs before its modules
    ({"p/__init__.py": "", "p/q/__init__.py": "", "p/q/a.py": "from . import b\n",
      "p/q/b.py": "def f():\n    from .a import X\n"}, ["p.q.a", "p.q.b", "p.q.a"]),
], ids=["tree", "cycle", "type-checking cycle", "package init", "relative, inside a function"])
def test_the_checker_finds_cycles(tmp_path: Path, files: dict[str, str], cycle: list[str]) -> None:
    write(tmp_path, files)
    assert find_cycle(graph(tmp_path, "p")) == cycle


def test_the_executors_modules_import_each_other_without_a_cycle() -> None:
    edges = graph(REPO, ROOT)
    assert len(edges) > 30 and edges[f"{ROOT}.main"]  # the whole package was read
    assert f"{ROOT}.core.order_state" in edges[f"{ROOT}.core.executor_core"]
    assert find_cycle(edges) == []


def test_the_core_imports_nothing_of_the_shell() -> None:
    """``core/`` is pure: it imports no module of the executor outside ``core/`` (no wire, no store)."""
    edges = graph(REPO, ROOT)
    outside = {name: sorted(m for m in deps if not m.startswith(f"{ROOT}.core") and m not in (ROOT, "actors"))
               for name, deps in edges.items() if name.startswith(f"{ROOT}.core")}
    assert {name: deps for name, deps in outside.items() if deps} == {}
