"""Access rules: `acl.yaml` maps path globs, relative to the folder the file is in, to groups and
users. Rules belong to the documents, not to the ingest: a document's labels come from the
`acl.yaml` files of its own folder and every folder above it, wherever an ingest starts.

    default: [public]          # optional; else an enclosing file's default, else the setting
    rules:                     # first matching rule wins
      - path: "hr/**"
        groups: [hr]
      - path: "finance/*.xlsx"
        groups: [finance, managers]
        users: [alice]

Nearest first: the first enclosing file (its own folder's, then its parent's, ...) with a rule
matching the document decides; when none matches, the nearest file stating a `default` does;
else the `default_access` setting. A nested `acl.yaml` thus refines its parents' rules for its
subtree and never loses them when a parent or a sub-folder is ingested instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.discover import FoundFile, display_name, rel_raw
from kb.core.errors import AclConfigError
from kb.core.types import group_token, user_token


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """`*` and `?` stay inside one path part, `**` spans parts; any character in a name (a
    newline too) is matched like any other. A leading `./` or `/` is the rules file's folder;
    `.` and `..` parts anywhere else are refused (they would silently match nothing)."""
    original = pattern
    pattern = pattern.strip()
    while pattern.startswith(("./", "/")):
        pattern = pattern[2:] if pattern.startswith("./") else pattern[1:]
    if pattern.endswith("/"):
        pattern += "**"
    if not pattern or any(part in (".", "..") for part in pattern.split("/")):
        raise AclConfigError(f"path {original!r}: a rule's glob must name files under the folder "
                             "of its acl.yaml ('.' and '..' parts are not allowed)")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


class Labels(Protocol):
    """What a plan labels documents with: `AccessRules` of one file or `EnclosingRules`."""

    def labels(self, f: FoundFile) -> frozenset[str]:
        """The access tokens of a found file (an attachment's are its file's)."""
        ...


@dataclass(frozen=True)
class Rule:
    pattern: str
    regex: re.Pattern[str]
    tokens: frozenset[str]


@dataclass(frozen=True)
class AccessRules:
    """The rules of one file; `stated_default` is None when the file names no default."""

    rules: tuple[Rule, ...]
    default: frozenset[str]
    stated_default: frozenset[str] | None = None

    def match(self, rel_path: str) -> frozenset[str] | None:
        """The tokens of the first rule matching `rel_path`, or None."""
        for rule in self.rules:
            if rule.regex.match(rel_path):
                return rule.tokens
        return None

    def tokens_for(self, rel_path: str) -> frozenset[str]:
        found = self.match(rel_path)
        return self.default if found is None else found

    def labels(self, f: FoundFile) -> frozenset[str]:
        return self.tokens_for(f.rel)


def _tokens(groups, users, where: str) -> frozenset[str]:
    for value in (groups, users):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise AclConfigError(f"{where}: 'groups' and 'users' must be lists of names")
    tokens = {group_token(g) for g in groups} | {user_token(u) for u in users}
    if not tokens:
        raise AclConfigError(f"{where}: a rule must name at least one group or user")
    return frozenset(tokens)


def parse_rules(data: object, default_groups: list[str], source: str = "acl.yaml") -> AccessRules:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AclConfigError(f"{source}: expected a mapping with 'rules'")
    stated = None
    if "default" in data:
        default = data["default"]
        stated = _tokens(list(default) if isinstance(default, list) else default, [],
                         f"{source}: default")
    default_tokens = stated if stated is not None else _tokens(list(default_groups), [],
                                                              f"{source}: default")
    rules = []
    for n, item in enumerate(data.get("rules") or [], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise AclConfigError(f"{source}: rule {n} needs a 'path' glob")
        tokens = _tokens(item.get("groups", []), item.get("users", []), f"{source}: rule {n}")
        try:
            regex = glob_to_regex(item["path"])
        except AclConfigError as exc:
            raise AclConfigError(f"{source}: rule {n}: {exc}") from None
        rules.append(Rule(item["path"], regex, tokens))
    return AccessRules(tuple(rules), default_tokens, stated)


def load_rules(path: Path, default_groups: list[str]) -> AccessRules:
    """Rules from `path`, or only the default when the file does not exist."""
    if not path.exists():
        return parse_rules({}, default_groups, str(path))
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise AclConfigError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise AclConfigError(f"{path}: cannot read the rules: {exc.strerror or exc}") from exc
    return parse_rules(data, default_groups, str(path))


@dataclass
class EnclosingRules:
    """The labels of documents under `root`, from the rules files enclosing each of them: a file
    named `name` in the document's folder and every folder above it (or, when `name` is an
    absolute path, that one file, for the documents under its folder). Files are read once."""

    root: str
    name: str
    default_groups: list[str]
    _cache: dict[str, AccessRules | None] = field(default_factory=dict, repr=False)

    def labels(self, f: FoundFile) -> frozenset[str]:
        return self.tokens_at(f.abs_path)  # an attachment's abs_path is its file's

    def tokens_at(self, abs_path: str) -> frozenset[str]:
        default = None
        for folder, rules in self.enclosing(abs_path):
            found = rules.match(display_name(rel_raw(folder, abs_path)))
            if found is not None:
                return found
            if default is None:
                default = rules.stated_default
        if default is not None:
            return default
        return _tokens(list(self.default_groups), [], "the default_access setting")

    def check(self, start: str) -> None:
        """Read every rules file enclosing `start` (a folder or a file), so that a broken one
        stops the ingest before anything is written, even when no document needs it yet."""
        self.enclosing(os.path.join(start, "_") if os.path.isdir(start) else start)

    def enclosing(self, abs_path: str) -> list[tuple[str, AccessRules]]:
        """(folder, its rules) of every rules file above `abs_path`, nearest first."""
        if os.path.isabs(self.name):
            folder = os.path.dirname(self.name)
            inside = abs_path.startswith(folder.rstrip(os.sep) + os.sep)
            rules = self._rules(self.name) if inside else None
            return [(folder, rules)] if rules is not None else []
        out = []
        folder = os.path.dirname(abs_path)
        while True:
            rules = self._rules(os.path.join(folder, self.name))
            if rules is not None:
                out.append((folder, rules))
            parent = os.path.dirname(folder)
            if parent == folder:
                return out
            folder = parent

    def _rules(self, path: str) -> AccessRules | None:
        if path not in self._cache:
            self._cache[path] = (load_rules(Path(path), self.default_groups)
                                 if os.path.lexists(path) else None)
        return self._cache[path]
