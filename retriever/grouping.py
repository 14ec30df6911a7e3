"""Keep one document from flooding the top of a result list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kb.core.types import Hit


def limit_per_doc(hits: Iterable[Hit], k: int, per_doc: int) -> list[Hit]:
    """The best `k` hits, at most `per_doc` of them from any one document, in their order."""
    out: list[Hit] = []
    seen: dict[str, int] = {}
    for h in hits:
        n = seen.get(h.chunk.doc_id, 0)
        if n >= per_doc:
            continue
        seen[h.chunk.doc_id] = n + 1
        out.append(h)
        if len(out) >= k:
            break
    return out


def doc_ranking(hits: Sequence[Hit]) -> list[str]:
    """Document ids in the order of their first hit."""
    return list(dict.fromkeys(h.chunk.doc_id for h in hits))
