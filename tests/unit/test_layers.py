"""The four floors of DESIGN.md §1, kept by an import walk over every module of the product.

ground (kb/core)            imports nothing of the project outside itself
roles (ingest, retriever,   import the ground and themselves, never another role
       assistant)
service (kb/app)            imports the ground, the roles and itself
front ends (kb/cli, ui,      import the service layer, the ground and themselves; never a role
  kb/api, kb/mcp, kb/langchain)
bench/, data/               import the product and its testing helpers, never tests/

Every import counts, module-level or inside a function; relative imports are resolved."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECT = ("kb", "ingest", "retriever", "assistant", "ui", "tests", "bench", "data")
ROLES = ("ingest", "retriever", "assistant")
FRONT_ENDS = ("kb.cli", "ui", "kb.api", "kb.mcp", "kb.langchain")


def floor(module: str) -> str:
    """Which floor a dotted module name is on."""
    top = module.split(".")[0]
    if module == "kb.core" or module.startswith("kb.core."):
        return "ground"
    if module == "kb.app" or module.startswith("kb.app."):
        return "service"
    if any(module == f or module.startswith(f + ".") for f in FRONT_ENDS):
        return "front end"
    if top in ROLES:
        return top  # each role is its own floor: roles never import each other
    if module == "kb":
        return "ground"  # the package marker
    return top  # tests, bench, data


ALLOWED = {
    "ground": {"ground"},
    "service": {"ground", "service", *ROLES},
    "front end": {"ground", "service", "front end"},
    **{role: {"ground", role} for role in ROLES},
    "bench": {"ground", "service", "bench", *ROLES},
    "data": {"ground", "service", "data", *ROLES},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every project import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names = [mod] + [f"{mod}.{a.name}" for a in node.names if mod]
        for name in names:
            if name.split(".")[0] in PROJECT:
                out.append((node.lineno, name))
    return out


def product_files() -> list[Path]:
    files = []
    for top in ("kb", "ingest", "retriever", "assistant", "ui", "bench", "data"):
        files += [p for p in (REPO / top).rglob("*.py") if "samples" not in p.parts]
    return sorted(files)


def violations() -> list[str]:
    out = []
    for path in product_files():
        here = floor(module_name(path))
        for line, name in imports(path):
            there = floor(name)
            if there not in ALLOWED.get(here, set()):
                out.append(f"{path.relative_to(REPO)}:{line} ({here}) imports {name} ({there})")
    return out


def test_every_import_keeps_to_its_floor():
    found = violations()
    assert not found, "imports across the floors of DESIGN.md §1:\n" + "\n".join(found)


@pytest.mark.parametrize("module, expected", [
    ("kb.core.text", "ground"), ("kb.core.testing.fakes", "ground"), ("kb.app.service", "service"),
    ("kb.cli", "front end"), ("ui.views.ask", "front end"), ("retriever.hybrid", "retriever"),
    ("tests.conftest", "tests"), ("bench.query", "bench"),
])
def test_floors_are_named_as_designed(module, expected):
    assert floor(module) == expected


def test_the_walk_sees_imports_inside_functions_and_relative_ones(tmp_path, monkeypatch):
    """A role importing another role inside a function, or through a relative import, is caught."""
    pkg = tmp_path / "retriever"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "x.py").write_text("def f():\n    from assistant.passages import Passage\n"
                              "from . import y\nfrom ..ingest import chunking\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    found = [name for _, name in imports(pkg / "x.py")]
    assert "assistant.passages" in found and "retriever.y" in found and "ingest.chunking" in found
    assert floor("assistant.passages") not in ALLOWED["retriever"]
    assert floor("ingest.chunking") not in ALLOWED["retriever"]
