"""Outlook .msg files for tests: a small Compound File Binary (CFB v3) writer and the MAPI
property streams Outlook writes (MS-CFB, MS-OXMSG). No Outlook file of our own exists, and no
permissive library writes them."""

from __future__ import annotations

import struct
from pathlib import Path

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF

Tree = dict  # name -> bytes (a stream) or Tree (a storage)


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b"") -> None:
        self.name, self.kind, self.data = name, kind, data  # kind: 1 storage, 2 stream, 5 root
        self.kids: list[_Entry] = []
        self.left = self.right = self.child = NOSTREAM
        self.start, self.size = END, len(data)


def _flatten(tree: Tree, parent: _Entry, entries: list[_Entry]) -> None:
    for name, value in tree.items():
        entry = _Entry(name, 1) if isinstance(value, dict) else _Entry(name, 2, value)
        entries.append(entry)
        parent.kids.append(entry)
        if isinstance(value, dict):
            _flatten(value, entry, entries)


def _bst(kids: list[_Entry], index: dict[int, int]) -> int:
    """A balanced tree of siblings in CFB order (shorter names first, then upper-case)."""
    if not kids:
        return NOSTREAM
    mid = len(kids) // 2
    node = kids[mid]
    node.left = _bst(kids[:mid], index)
    node.right = _bst(kids[mid + 1:], index)
    return index[id(node)]


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else END


def write_cfb(path: Path, tree: Tree) -> Path:
    root = _Entry("Root Entry", 5)
    entries = [root]
    _flatten(tree, root, entries)
    index = {id(e): i for i, e in enumerate(entries)}
    for e in entries:
        e.kids.sort(key=lambda k: (len(k.name), k.name.upper()))
        e.child = _bst(e.kids, index)
    mini = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for e in entries:
        if e.kind != 2 or not e.data:
            continue
        if len(e.data) < CUTOFF:
            e.start = len(minifat)
            n = -(-len(e.data) // MINI)
            minifat += [0] * n
            _chain(minifat, e.start, n)
            mini += e.data.ljust(n * MINI, b"\0")
        else:
            big.append(e)
    sectors: list[bytes] = []
    fat: list[int] = []

    def place(blob: bytes) -> int:
        n = max(1, -(-len(blob) // SECTOR))
        first = len(sectors)
        for i in range(n):
            sectors.append(blob[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\0"))
        fat.extend([0] * n)
        _chain(fat, first, n)
        return first

    for e in big:
        e.start = place(e.data)
    if mini:
        root.start, root.size = place(bytes(mini)), len(mini)
    minifat_first, minifat_n = END, 0
    if minifat:
        raw = struct.pack(f"<{len(minifat)}I", *minifat)
        raw += struct.pack("<I", FREE) * ((-len(minifat)) % (SECTOR // 4))
        minifat_first, minifat_n = place(raw), len(raw) // SECTOR
    dir_raw = b"".join(_dir_entry(e) for e in entries)
    dir_raw += _empty_entry() * ((-len(entries)) % (SECTOR // 128))
    dir_first = place(dir_raw)
    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    fat_first = len(sectors)
    fat += [FATSECT] * n_fat
    fat += [FREE] * (n_fat * (SECTOR // 4) - len(fat))
    raw_fat = struct.pack(f"<{len(fat)}I", *fat)
    for i in range(n_fat):
        sectors.append(raw_fat[i * SECTOR:(i + 1) * SECTOR])
    difat = [fat_first + i for i in range(n_fat)] + [FREE] * (109 - n_fat)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, n_fat, dir_first, 0, CUTOFF, minifat_first,
                            minifat_n, END, 0)
              + struct.pack("<109I", *difat))
    path.write_bytes(header + b"".join(sectors))
    return path


def _dir_entry(e: _Entry) -> bytes:
    name = e.name.encode("utf-16-le")[:62] + b"\0\0"
    return (name.ljust(64, b"\0") + struct.pack("<HBB", len(name), e.kind, 1)
            + struct.pack("<III", e.left, e.right, e.child) + b"\0" * 16 + b"\0" * 4
            + b"\0" * 16 + struct.pack("<IQ", e.start if e.size else END, e.size))


def _empty_entry() -> bytes:
    return b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NOSTREAM, NOSTREAM,
                                                                   NOSTREAM) + b"\0" * 52


def _unicode(pid: int, text: str) -> tuple[str, bytes]:
    return f"__substg1.0_{pid:04X}001F", text.encode("utf-16-le")


def _props(header: int, fixed: list[tuple[int, int, bytes]] = ()) -> bytes:
    """The property stream: a header of `header` bytes, then (type, id, 8-byte value) entries."""
    out = b"\0" * header
    for ptype, pid, value in fixed:
        out += struct.pack("<II", (pid << 16) | ptype, 6) + value.ljust(8, b"\0")
    return out


def message_tree(subject: str, body: str, sender: str, to: str, *, cc: str = "",
                 html: str = "", attachments: list[tuple[str, bytes]] = (),
                 embedded: list[Tree] = (), filetime: int = 0, header: int = 32,
                 codepage: int = 0) -> Tree:
    """The storages and streams of one message (top level: header 32; embedded: 24).
    `codepage`: write the strings as 8-bit (PT_STRING8) in that code page, as old Outlook did."""
    def string(pid: int, text: str) -> tuple[str, bytes]:
        if codepage:
            return f"__substg1.0_{pid:04X}001E", text.encode(f"cp{codepage}")
        return _unicode(pid, text)

    tree: Tree = dict([string(0x001A, "IPM.Note"), string(0x0037, subject),
                       string(0x0C1A, sender), string(0x0E04, to)])
    if cc:
        tree.update([string(0x0E03, cc)])
    if body:
        tree.update([string(0x1000, body)])
    if html:
        tree["__substg1.0_10130102"] = html.encode("utf-8")
    fixed = [(0x0040, 0x0039, struct.pack("<Q", filetime))] if filetime else []
    if codepage:
        fixed.append((0x0003, 0x3FFD, struct.pack("<I", codepage)))
    tree["__properties_version1.0"] = _props(header, fixed)
    n = 0
    for name, data in attachments:
        tree[f"__attach_version1.0_#{n:08X}"] = dict(
            [_unicode(0x3707, name), ("__substg1.0_37010102", data),
             ("__properties_version1.0", _props(8))])
        n += 1
    for inner in embedded:
        tree[f"__attach_version1.0_#{n:08X}"] = {
            "__substg1.0_3701000D": inner, "__properties_version1.0": _props(8)}
        n += 1
    return tree


def write_msg(path: Path, subject: str, body: str, sender: str = "李雷 <li.lei@example.com>",
              to: str = "HR <hr@example.com>", **kwargs) -> Path:
    tree = message_tree(subject, body, sender, to, **kwargs)
    tree["__nameid_version1.0"] = {  # the (empty) named-property map every .msg carries
        f"__substg1.0_{n:04X}0102": b"" for n in (2, 3, 4)}
    return write_cfb(path, tree)
