"""Passwords for encrypted files, by path glob under the ingest root.

From the `passwords` setting (KB_PASSWORDS, JSON) and the optional `passwords_file` (YAML):

    "finance/**/*.xlsx": s3cret
    "**/*.pdf": [first-try, second-try]

Every glob that matches a file's path contributes its passwords, settings first, in order.
Passwords are only handed to the loader of a file they match; they are never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingest.acl import glob_to_regex


class PasswordsConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Passwords:
    entries: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()

    def for_path(self, rel_path: str) -> tuple[str, ...]:
        found: list[str] = []
        for regex, passwords in self.entries:
            if regex.match(rel_path):
                found.extend(p for p in passwords if p not in found)
        return tuple(found)

    def __repr__(self) -> str:  # never print the secrets
        return f"Passwords({len(self.entries)} globs)"


def _entries(mapping: object, source: str) -> list[tuple[re.Pattern[str], tuple[str, ...]]]:
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        raise PasswordsConfigError(f"{source}: expected a mapping of path glob to password(s)")
    out = []
    for glob, value in mapping.items():
        values = value if isinstance(value, list) else [value]
        if not isinstance(glob, str) or not all(isinstance(v, (str, int)) for v in values):
            raise PasswordsConfigError(f"{source}: {glob!r} must map to a password or a list")
        out.append((glob_to_regex(glob), tuple(str(v) for v in values)))
    return out


def load_passwords(settings) -> Passwords:
    entries = _entries(dict(settings.passwords), "KB_PASSWORDS")
    if settings.passwords_file:
        path = Path(settings.passwords_file).expanduser()
        if not path.is_file():
            raise PasswordsConfigError(f"passwords file not found: {path} (KB_PASSWORDS_FILE)")
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise PasswordsConfigError(f"{path}: not valid YAML: {exc}") from exc
        entries += _entries(data, str(path))
    return Passwords(tuple(entries))
