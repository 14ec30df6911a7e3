"""Readers keep answering while an ingest replaces and deletes documents, in both deployments
(embedded Chroma + SQLite; Chroma server + PostgreSQL). The readers use their own App (their
own connections), as a page process does beside the ingest worker.

Checked for every search: no error; all hits of one document come from one version (its
chunk version and the edition written in its text agree); a search that starts after an
ingest reported done never returns a document that ingest deleted."""

from __future__ import annotations

import random
import threading
import time

import pytest

from kb.core.config import Settings
from kb.core.types import Principal
from kb.app.wiring import build
from kb.core.testing.fakes import BagOfWordsEmbeddings

N_READERS = 4
N_DOCS = 10
ROUNDS = 4


def write_doc(root, name: str, edition: int, paragraphs: int) -> None:
    body = "\n\n".join(
        f"{name} edition{edition} paragraph{j}: the {name} policy in edition{edition} says "
        f"rule {j} applies to {name} cases, revision {edition}." for j in range(paragraphs))
    (root / f"{name}.md").write_text(f"# {name}\n\n{body}\n", "utf-8")


@pytest.mark.slow
def test_readers_never_see_errors_mixed_versions_or_deleted_documents(tmp_path, backend):
    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(N_DOCS):
        write_doc(root, f"topic{i}", 0, 3 + i % 3)
    stores = backend("conc")
    base = dict(home=tmp_path / "home", chunk_size=200, chunk_overlap=40, max_per_doc=10,
                query_centering=False, **stores)
    writer = build(Settings(**base), embedder_override=BagOfWordsEmbeddings())
    reader = build(Settings(**base), embedder_override=BagOfWordsEmbeddings())
    assert writer.ingestor().run([str(root)]).added == N_DOCS
    searcher = reader.searcher()

    stop = threading.Event()
    errors: list[str] = []
    searches: list[tuple[float, str, list]] = []  # (started, query, hits)

    def read(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            i = rng.randrange(N_DOCS + ROUNDS)
            q = f"topic{i} edition policy" if i < N_DOCS else f"fresh{i - N_DOCS} policy"
            mode = rng.choice(["hybrid", "dense", "keyword"])
            started = time.monotonic()
            try:
                hits = searcher.search(q, Principal("anyone"), k=20, mode=mode)
            except Exception as exc:  # noqa: BLE001 - the point is that none happens
                errors.append(f"{mode} {q!r}: {exc!r}")
                continue
            searches.append((started, q, hits))

    threads = [threading.Thread(target=read, args=(s,)) for s in range(N_READERS)]
    for t in threads:
        t.start()
    windows: list[tuple[float, float, set[str]]] = []  # (ingest start, done, deleted doc paths)
    deleted: set[str] = set()
    try:
        time.sleep(0.5)
        for r in range(1, ROUNDS + 1):
            for i in range(N_DOCS):
                if f"topic{i}.md" not in deleted and (i + r) % 2 == 0:
                    write_doc(root, f"topic{i}", r, 2 + (i + r) % 4)
            gone = f"topic{r - 1}.md"
            (root / gone).unlink()
            write_doc(root, f"fresh{r - 1}", r, 3)
            started = time.monotonic()
            report = writer.ingestor().run([str(root)])
            done = time.monotonic()
            assert report.deleted == 1 and not report.failed
            deleted.add(gone)
            windows.append((started, done, set(deleted)))
            time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    writer.close()
    reader.close()

    assert errors == []
    during = [s for s in searches if any(a <= s[0] <= b for a, b, _ in windows)]
    assert len(during) >= 10, "the readers hardly ran while the ingests did"
    mixed, stale = [], []
    for started, q, hits in searches:
        by_doc: dict[str, set[tuple[str, str]]] = {}
        for h in hits:
            edition = next(w for w in h.chunk.text.split() if w.startswith("edition"))
            by_doc.setdefault(h.chunk.path, set()).add((h.chunk.version, edition))
        mixed += [(q, p, v) for p, v in by_doc.items() if len(v) > 1]
        gone = set().union(*(d for _, b, d in windows if b < started)) if windows else set()
        stale += [(q, p) for p in by_doc if p in gone]
    assert mixed == [] and stale == []
    # and the searches were not vacuous: they found documents, old and new editions both
    editions = {w for _, _, hits in searches for h in hits for w in h.chunk.text.split()
                if w.startswith("edition")}
    assert {"edition0", f"edition{ROUNDS}"} <= editions
