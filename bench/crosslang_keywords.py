"""Keyword evidence across languages: how often the keyword index alone puts the right file
first for questions asked in the other language, with query translation off and on.

    nice -n 5 python bench/crosslang_keywords.py --home /tmp/kb-xl-fake \
        --corpus ../shared/eval/zh/docs --corpus ../shared/eval/en/docs \
        tests/data/crosslang_dev/en_to_zh.jsonl tests/data/crosslang_dev/zh_to_en.jsonl \
        ../shared/eval/zh/questions.jsonl ../shared/eval/en/questions.jsonl

The corpora are ingested through the product's pipeline with the deterministic fake embedder
(kb/core/testing/fakes.py): the keyword side does not depend on the embedding model, and this
keeps the run to the cost of parsing. Then every question set is searched in keyword mode with
`keyword_translation` off and on (and at each --weight): recall@1/5 and MRR@10 (kb/app/evaluate.py
metrics, answerable questions), the ratio of each setting to "off" measured in the same run, and
the median keyword search time of each setting.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/ingest.py would shadow the ingest package: the repository root comes first
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from kb.app.evaluate import load_questions, report, run  # noqa: E402
from kb.app.wiring import build  # noqa: E402
from kb.core.config import Settings  # noqa: E402
from kb.core.lexicon import Lexicon  # noqa: E402
from kb.core.testing.fakes import BagOfWordsEmbeddings  # noqa: E402
from kb.core.types import Principal  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions", nargs="+")
    ap.add_argument("--home", required=True, help="Home to ingest into (reused when present).")
    ap.add_argument("--corpus", action="append", default=[], help="Folder to ingest (repeat).")
    ap.add_argument("--weight", type=float, action="append", default=[],
                    help="keyword_translation_weight values to try (default 0.5).")
    args = ap.parse_args()
    base = Settings(home=Path(args.home))
    lexicon = Lexicon()
    app = build(base, embedder_override=BagOfWordsEmbeddings(), lexicon_override=lexicon)
    if args.corpus:
        rep = app.ingestor().run(args.corpus)
        print(json.dumps({"ingest": {"added": rep.added, "unchanged": rep.unchanged,
                                     "failed": len(rep.failed), "chunks": rep.chunks}}))
    lexicon.warm_up()
    principal = Principal("bench")
    settings = [("off", {"keyword_translation": False})] + [
        (f"on@{w}", {"keyword_translation": True, "keyword_translation_weight": w})
        for w in (args.weight or [0.5])]
    for path in args.questions:
        qs = load_questions(path)
        row = {"set": Path(path).parent.name + "/" + Path(path).name, "answerable":
               sum(q.answerable for q in qs)}
        baseline = None
        for name, update in settings:
            s = base.model_copy(update=update)
            searcher = build(s, embedder_override=app.embedder_override,
                             lexicon_override=lexicon).searcher()
            outcomes = run(lambda text: searcher.search(text, principal, k=10, mode="keyword"), qs)
            r = report(outcomes, 10, "keyword")["retrieval"]
            ms = statistics.median(o.stages_ms.get("keyword_ms", 0.0) for o in outcomes)
            m = {"r@1": r["recall@1"], "r@5": r["recall@5"], "mrr": r["mrr@10"],
                 "keyword_ms_p50": round(ms, 1)}
            if baseline is None:
                baseline = m
            else:
                m["keyword_ms_ratio"] = round(ms / max(baseline["keyword_ms_p50"], 1e-9), 2)
            row[name] = m
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
