"""Files uploaded into an ingested folder (the page's Library; the HTTP API to come): THE check
of what may be written there, made once, here.

A name is one plain file name: no folder part, no `.`/`..`, no control character, at most 255
bytes in UTF-8 (the limit of Linux file systems). Rule files (`acl.yaml`, `acl.yml` and whatever
`KB_ACL_FILE` names, in any case, in any folder) are never written: access rules change only on
the server's disk, by someone who may change them. The file is written without following a
symbolic link, so an upload cannot overwrite anything outside the folder either."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kb.core.config import Settings
from kb.core.errors import UploadRefused

MAX_NAME_BYTES = 255
RULE_FILES = ("acl.yaml", "acl.yml")


def rule_file_names(settings: Settings) -> frozenset[str]:
    """Case-folded names of the files that hold access rules."""
    return frozenset(n.casefold() for n in (*RULE_FILES, os.path.basename(settings.acl_file)) if n)


def is_rule_file(name: str, settings: Settings) -> bool:
    return name.strip().rstrip(". ").casefold() in rule_file_names(settings)


def check_name(name: str, settings: Settings) -> str:
    """`name` when it may be written into a folder, else UploadRefused (a sentence without any
    server path)."""
    if not name or name.strip() in ("", ".", "..") or "/" in name or "\\" in name:
        raise UploadRefused("bad_name", name, "the name is not a plain file name")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise UploadRefused("bad_name", name, "the name contains a control character")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise UploadRefused("bad_name", name, "the name is not valid text") from None
    if size > MAX_NAME_BYTES:
        raise UploadRefused("name_too_long", name, f"the name is {size} bytes long; file names "
                            f"may have at most {MAX_NAME_BYTES} bytes (UTF-8)")
    if is_rule_file(name, settings):
        raise UploadRefused("rule_file", name, "access rule files cannot be uploaded; they are "
                            "changed on the server by an administrator")
    return name


def target_folder(root: str, sub: str, settings: Settings) -> Path:
    """root/sub when it stays inside root (links resolved) and names no rule file."""
    base = os.path.realpath(root)
    parts = [p for p in sub.replace("\\", "/").strip().split("/") if p not in ("", ".")]
    if any(is_rule_file(p, settings) for p in parts):
        raise UploadRefused("bad_folder", sub, "the sub-folder names an access rule file")
    target = os.path.realpath(os.path.join(base, *parts))
    if target != base and not target.startswith(base.rstrip(os.sep) + os.sep):
        raise UploadRefused("bad_folder", sub, "the sub-folder must stay inside the ingested "
                            "folder")
    return Path(target)


@dataclass(frozen=True)
class UploadResult:
    written: tuple[Path, ...]
    refused: tuple[UploadRefused, ...]


def save(root: str, sub: str, files: Iterable[tuple[str, bytes]], settings: Settings) -> \
        UploadResult:
    """Write each (name, bytes) into root/sub; each file that cannot be written is refused on
    its own, with the reason, and the others are written."""
    folder = target_folder(root, sub, settings)
    written, refused = [], []
    for name, data in files:
        try:
            path = folder / check_name(name, settings)
            folder.mkdir(parents=True, exist_ok=True)
            _write(path, data)
        except UploadRefused as exc:
            refused.append(exc)
        except OSError as exc:  # the sentence only: the server's paths are not the user's
            refused.append(UploadRefused("write_failed", name, "the file could not be written: "
                                         + (exc.strerror or type(exc).__name__).lower()))
        else:
            written.append(path)
    return UploadResult(tuple(written), tuple(refused))


def _write(path: Path, data: bytes) -> None:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise UploadRefused("not_a_file", path.name, "a folder or link of that name is in the way")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
