"""The ingest keeps the model busy: the next batch is embedded while the last one is written."""

from __future__ import annotations

import threading

from kb.app.wiring import build
from kb.core.testing.fakes import BagOfWordsEmbeddings


class SignallingEmbeddings(BagOfWordsEmbeddings):
    def __init__(self) -> None:
        super().__init__()
        self.second_call = threading.Event()

    def embed_documents(self, texts):
        if self.calls == 1:
            self.second_call.set()
        return super().embed_documents(texts)


def test_next_batch_embeds_while_the_last_is_written(settings, corpus):
    """Writes used to run between embedding calls, leaving the model idle while Chroma wrote."""
    for i in range(4):
        (corpus / f"d{i}.txt").write_text(f"Policy {i} says annual leave is {i} days.",
                                          encoding="utf-8")
    model = SignallingEmbeddings()
    app = build(settings.model_copy(update={"embedding_batch_size": 1, "ingest_workers": 1}),
                embedder_override=model)
    index = app.vector_index
    real = index.upsert
    overlapped = []

    def upsert(chunks, vectors):
        if not overlapped:  # the first write waits until the model is on the second batch
            overlapped.append(model.second_call.wait(30))
        return real(chunks, vectors)

    index.upsert = upsert
    try:
        r = app.ingestor().run([str(corpus)])
    finally:
        app.close()
    assert r.added == 4
    assert overlapped == [True], "the model waited for the write of the previous batch"
