"""The two documents that list every setting, written from `kb.core.config.Settings`:
the settings table of README.md and `.env.example`. `python -m kb.core.settings_docs` rewrites both;
tests/unit/test_settings_docs.py fails when either is out of date."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

from pydantic import SecretStr

from kb.core.config import Settings

REPO = Path(__file__).resolve().parents[2]
TABLE_HEAD = "| variable | default | meaning |\n|---|---|---|\n"
ENV_HEAD = """\
# Every setting of the product (kb/core/config.py), with its default. Copy to .env and edit.
# `kb` reads .env from its working directory; docker-compose passes it to the app and the
# worker (env_file) and takes POSTGRES_PASSWORD and CORPUS_DIR from it too; in
# docker-compose the store settings (KB_HOME, KB_CHROMA_URL, KB_DATABASE_URL) are set by
# docker-compose.yml itself. Written by `python -m kb.core.settings_docs`; a test keeps it current.

# docker-compose only: the PostgreSQL password and the folder the worker ingests
POSTGRES_PASSWORD=change-me
CORPUS_DIR=./corpus
"""


def _default(name: str):
    field = Settings.model_fields[name]
    return field.default_factory() if field.default_factory else field.default


def sections() -> dict[str, str]:
    """Setting name -> the `# Section` comment above it in kb/core/config.py ('Home' before any)."""
    source = (REPO / "kb" / "core" / "config.py").read_text("utf-8").splitlines()
    tree = ast.parse("\n".join(source))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    out, current, line_of = {}, "Home", {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            line_of[node.lineno] = node.target.id
    for lineno, text in enumerate(source, start=1):
        stripped = text.strip()
        if text.startswith("    # ") and not text.startswith("     "):
            current = stripped[2:]
        if lineno in line_of:
            out[line_of[lineno]] = current
    return out


def env_value(value) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def env_example() -> str:
    parts, last = [ENV_HEAD], None
    for name, section in sections().items():
        if section != last:
            parts.append(f"\n# {section}\n")
            last = section
        description = Settings.model_fields[name].description or ""
        for line in textwrap.wrap(description, 97):
            parts.append(f"# {line}\n")
        parts.append(f"KB_{name.upper()}={env_value(_default(name))}\n")
    return "".join(parts)


def readme_table() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        default = _default(name)
        shown = "''" if isinstance(default, SecretStr) else default
        rows.append(f"| `KB_{name.upper()}` | `{shown}` | {field.description} |")
    return TABLE_HEAD + "\n".join(rows) + "\n"


def readme(text: str) -> str:
    """README text with its settings table replaced by the current one."""
    start = text.index(TABLE_HEAD)
    end = text.find("\n\n", start)
    end = len(text) if end < 0 else end + 1
    return text[:start] + readme_table() + text[end:]


def main() -> None:
    (REPO / ".env.example").write_text(env_example(), "utf-8")
    path = REPO / "README.md"
    path.write_text(readme(path.read_text("utf-8")), "utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
