"""Random trees, random `acl.yaml` placements and random ingest roots (the folder, a sub-folder,
one file, the parent): every document's labels, in the manifest and on its chunks, equal the
labels computed from the nearest enclosing rules, wherever the ingests started."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ingest.manifest import SqliteManifest
from ingest.pipeline import Ingestor
from kb.core.config import Settings
from kb.core.sqlite import Database
from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

PARTS = ["a b", "x\ny", "人事", "a..", "x..y", "薪 酬", "plain", "#1", "[q]"]
GROUPS = ["g1", "g2", "g3"]


@st.composite
def trees(draw):
    """(folders, files) relative to the corpus folder; folders include '' (the corpus)."""
    folders = [""]
    for _ in range(draw(st.integers(1, 4))):
        parent = draw(st.sampled_from(folders))
        folders.append(os.path.join(parent, draw(st.sampled_from(PARTS))) if parent
                       else draw(st.sampled_from(PARTS)))
    folders = sorted(set(folders))
    files = sorted({os.path.join(draw(st.sampled_from(folders)), draw(st.sampled_from(PARTS))
                                 + ".md") for _ in range(draw(st.integers(1, 6)))})
    return folders, files


def rule_for(draw, under: list[str]):
    """A rule (glob, the oracle's match of a path relative to the rules' folder, groups), often
    naming files of `under` (paths relative to that folder)."""
    kinds = ["all", "md"] + (["dir", "file"] if under else [])
    kind = draw(st.sampled_from(kinds))
    groups = frozenset(draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2,
                                     unique=True)))
    if kind == "all":
        return "**", lambda rel: True, groups
    if kind == "md":
        return "*.md", lambda rel: "/" not in rel and rel.endswith(".md"), groups
    target = draw(st.sampled_from(under))
    top = target.split("/")[0]
    if kind == "file" or top == target:
        return "./" + target, lambda rel, t=target: rel == t, groups
    return top + "/**", lambda rel, t=top: rel.startswith(t + "/"), groups


@st.composite
def scenarios(draw):
    folders, files = draw(trees())
    places = ["..", *folders]  # '..' is the folder above the corpus
    acls = {}
    for place in draw(st.lists(st.sampled_from(places), max_size=3, unique=True)):
        under = (["corpus/" + f for f in files] if place == ".." else
                 [f[len(place) + 1:] if place else f for f in files
                  if not place or f.startswith(place + "/")])
        rules = [rule_for(draw, under) for _ in range(draw(st.integers(0, 2)))]
        default = draw(st.none() | st.sampled_from(GROUPS))
        acls[place] = (rules, default)
    starts = draw(st.lists(st.sampled_from(["corpus", "parent", "folder", "file"]),
                           min_size=1, max_size=3))
    picks = [draw(st.sampled_from(folders)) if s == "folder" else
             draw(st.sampled_from(files)) if s == "file" else None for s in starts]
    return folders, files, acls, list(zip(starts, picks))


def write_acl(folder: Path, rules, default) -> None:
    import yaml

    data = {"rules": [{"path": glob, "groups": sorted(groups)} for glob, _, groups in rules]}
    if default:
        data["default"] = [default]
    (folder / "acl.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def expected(top: Path, acls, abs_path: str) -> frozenset[str]:
    """The oracle: nearest enclosing file with a matching rule, else nearest stated default."""
    enclosing = []
    folder = os.path.dirname(abs_path)
    while folder.startswith(str(top)):
        rel_folder = os.path.relpath(folder, top / "corpus")
        place = ".." if rel_folder == ".." else ("" if rel_folder == "." else rel_folder)
        if place in acls and not rel_folder.startswith("../"):
            enclosing.append((folder, acls[place]))
        folder = os.path.dirname(folder)
    for folder, (rules, _) in enclosing:
        rel = os.path.relpath(abs_path, folder)
        for _glob, match, groups in rules:
            if match(rel):
                return frozenset(f"group:{g}" for g in groups)
    for _folder, (_, default) in enclosing:
        if default:
            return frozenset({f"group:{default}"})
    return frozenset({"public"})


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_labels_come_from_the_nearest_enclosing_rules_wherever_an_ingest_starts(scenario):
    folders, files, acls, starts = scenario
    tmp = Path(tempfile.mkdtemp(prefix="kb-acl-"))
    try:
        top = tmp / "top"
        corpus = top / "corpus"
        for f in folders:
            (corpus / f).mkdir(parents=True, exist_ok=True)
        for f in files:
            (corpus / f).write_text(f"Leave policy text of {f!r}.", encoding="utf-8")
        for place, (rules, default) in acls.items():
            write_acl(top if place == ".." else corpus / place, rules, default)
        settings = Settings(home=tmp / "home", isolate_loaders=False, ocr=False)
        db = Database(":memory:")
        manifest = SqliteManifest(db)
        index = InMemoryIndex()
        ingestor = Ingestor(settings, manifest, [index], index, BagOfWordsEmbeddings())
        covered: set[str] = set()
        for start, pick in starts:
            path = {"corpus": corpus, "parent": top}.get(start) or corpus / pick
            report = ingestor.run([str(path)])
            assert not report.failed, report.failed
            covered |= {str(corpus / f) for f in files
                        if str(corpus / f) == str(path) or str(corpus / f).startswith(f"{path}/")}
            docs = manifest.docs()
            assert {os.path.join(d.root, d.path) for d in docs} == covered
            for d in docs:
                want = expected(top, acls, os.path.join(d.root, d.path))
                assert d.acl == want, (start, pick, d.root, d.path)
                assert {c.acl for c in index.chunks.values() if c.doc_id == d.doc_id} == {want}
        db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
