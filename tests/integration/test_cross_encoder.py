"""The real cross-encoder path of the reranker, on a tiny randomly initialised model folder
written by the test (no weights are downloaded; none exist offline on PyPI)."""

from __future__ import annotations

import pytest

from kb.core.config import Settings
from kb.core.types import Principal


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("sentence_transformers")
    folder = tmp_path_factory.mktemp("tiny-ce")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "annual", "leave", "days", "vpn",
             "password", "expenses", "receipt", "the", "is", "of", "年", "假", "密", "码"]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    tokenizer.save_pretrained(folder)
    config = transformers.BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, num_labels=1,
                                     max_position_embeddings=128)
    transformers.set_seed(7)
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_cross_encoder_scores_pairs_offline(tiny_cross_encoder):
    from retriever.rerank import CrossEncoderReranker, Reranker

    reranker = CrossEncoderReranker(tiny_cross_encoder)
    assert isinstance(reranker, Reranker)
    scores = reranker.score("annual leave days", ["annual leave is 15 days", "vpn password", "年假"])
    assert len(scores) == 3 and all(isinstance(s, float) for s in scores)
    assert reranker.score("q", []) == []
    again = reranker.score("annual leave days", ["annual leave is 15 days", "vpn password", "年假"])
    assert again == pytest.approx(scores)  # deterministic


@pytest.mark.slow
def test_searcher_reranks_with_the_configured_folder(tiny_cross_encoder, tmp_path, fake_embedder):
    from kb.app.wiring import build
    from tests.conftest import SAMPLES

    settings = Settings(home=tmp_path / "home", reranker=str(tiny_cross_encoder), rerank_depth=5)
    kb = build(settings, embedder_override=fake_embedder)
    kb.ingestor().run([str(SAMPLES)])
    hits = kb.searcher().search("annual leave days", Principal("u"), k=5)
    assert hits and all("rerank" in h.signals for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert "rerank_ms" in hits.timings
    kb.close()


def test_a_folder_that_is_not_a_model_is_refused(tmp_path):
    from kb.app.wiring import make_reranker

    with pytest.raises(ValueError, match="not a local model folder"):
        make_reranker(Settings(reranker=str(tmp_path)))
    assert make_reranker(Settings()) is None
