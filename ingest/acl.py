"""Access rules: `acl.yaml` maps path globs under an ingest root to groups and users.

    default: [public]          # optional; else the `default_access` setting
    rules:                     # first matching rule wins
      - path: "hr/**"
        groups: [hr]
      - path: "finance/*.xlsx"
        groups: [finance, managers]
        users: [alice]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kb.core.errors import AclConfigError
from kb.core.types import group_token, user_token


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip().lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
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
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class Rule:
    pattern: str
    regex: re.Pattern[str]
    tokens: frozenset[str]


@dataclass(frozen=True)
class AccessRules:
    rules: tuple[Rule, ...]
    default: frozenset[str]

    def tokens_for(self, rel_path: str) -> frozenset[str]:
        for rule in self.rules:
            if rule.regex.match(rel_path):
                return rule.tokens
        return self.default


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
    default = data.get("default", default_groups)
    default_tokens = _tokens(list(default) if isinstance(default, list) else default, [],
                             f"{source}: default")
    rules = []
    for n, item in enumerate(data.get("rules") or [], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise AclConfigError(f"{source}: rule {n} needs a 'path' glob")
        tokens = _tokens(item.get("groups", []), item.get("users", []), f"{source}: rule {n}")
        rules.append(Rule(item["path"], glob_to_regex(item["path"]), tokens))
    return AccessRules(tuple(rules), default_tokens)


def load_rules(path: Path, default_groups: list[str]) -> AccessRules:
    """Rules from `path`, or only the default when the file does not exist."""
    if not path.exists():
        return parse_rules({}, default_groups, str(path))
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise AclConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_rules(data, default_groups, str(path))
