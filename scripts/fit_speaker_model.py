#!/usr/bin/env python3
"""Fit the learned speaker step (stance/extract/speaker_model.json) on the train splits of PolNeAR and the
realnews set, reproducibly (no randomness beyond fixed folds).

  python scripts/fit_speaker_model.py --polnear ../shared/polnear --realnews ../shared/realnews \\
      --out stance/extract/speaker_model.json [--report docs/measurements/speaker_model_fit.json]

For each train article the extractor runs with the rules alone and keeps every statement's speaker
candidates (stance.extract.attribution). A statement that overlaps a gold one (half the shorter span, the
judging definition) is labelled: in PolNeAR, when the attribution's source span is a capitalised name,
a candidate is right when it shares a name word with it (the named-speaker definition) or is the body,
outlet or group the article's own resolution makes of the span (`the White House`, whose words score.py
counts as generic: without this no body is ever right in PolNeAR and the step learns that bodies never
speak); in realnews, when it is the gold speaker (names compared without case and diacritics). A logistic regression scores the
candidates; out-of-fold scores (5 folds by article) fit the calibration of the chosen candidate's
probability and choose the threshold below which the speaker is `unknown` (a wrong speaker costs twice an
unknown one). Only weights, figures and counts are written: no text of either corpus.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stance.evaluate.polnear import load_export, named_source_words, norm, overlap, span_in, speaker_matches  # noqa: E402
from stance.evaluate.realnews import load_realnews, same_speaker  # noqa: E402
from stance.extract import Extractor  # noqa: E402
from stance.extract.speakers import UNKNOWN, ArticleSpeakers  # noqa: E402
from stance.ingest.corpus import METADATA_FIELDS, make_article  # noqa: E402

REALNEWS_WEIGHT = 3.0  # realnews statements count three times: the hidden set is real news of that kind
C = 1.0
WRONG_COST, UNKNOWN_COST = 1.0, 0.5


def _best_statement(gold_span, statements):
    best, best_overlap = None, 0.0
    for span, statement, candidates in statements:
        value = overlap(gold_span, span)
        if value >= 0.5 and value > best_overlap:
            best, best_overlap = (statement, candidates), value
    return best


def _run(extractor, article_id, row, where):
    article = make_article(article_id, row["text"], where, {k: row.get(k) for k in METADATA_FIELDS})
    keep: list = []
    extractor.extract_with_candidates(article, keep)
    normalised = norm(row["text"])
    return [(span_in(s.text, normalised), s, c) for s, c in keep], normalised, article


def source_body(source: str, speakers: ArticleSpeakers) -> Optional[str]:
    """The body, outlet or group a PolNeAR source span names (`the White House`, `the Clinton campaign`,
    `Reuters`), as the article's own resolution gives it; None for a person, a pronoun or nothing known.
    Their words are often all generic (score.py's list), so without this a body is never a right candidate
    and the step learns that bodies never speak, which real news contradicts."""
    resolved = speakers.resolve(source.strip(" ,.")) if source.strip() else UNKNOWN
    if resolved == UNKNOWN or speakers.is_person(resolved):
        return None
    return resolved


def polnear_examples(directory: Path, extractor) -> list[dict]:
    export = load_export(directory, "train")
    by_article: dict[str, list] = {}
    for g in export.attributions:
        by_article.setdefault(g["article"], []).append(g)
    examples = []
    for article_id, row in export.articles.items():
        statements, normalised, article = _run(extractor, article_id, row, str(directory / "articles.jsonl"))
        speakers = ArticleSpeakers(extractor.registry, article.text, article.date)
        for g in by_article.get(article_id, []):
            source = (g.get("source") or {}).get("text", "")
            names = named_source_words(source)
            if names is None:
                continue
            body = source_body(source, speakers)
            if not names and body is None:
                continue
            gold_span = span_in(g["content"]["text"].strip("\u201c\u201d\" ,."), normalised)
            best = _best_statement(gold_span, statements)
            if best is not None:
                right = [speaker_matches(names, c.speaker) or c.speaker == body for c in best[1]]
                examples.append({"article": "p:" + article_id, "statement": best[0], "candidates": best[1],
                                 "right": right,
                                 "rule_right": speaker_matches(names, best[0].speaker) or best[0].speaker == body,
                                 "corpus": "polnear", "direct": g["quoted"], "named": bool(names)})
    return examples


def realnews_examples(directory: Path, extractor) -> list[dict]:
    data = load_realnews(directory, "train")
    examples = []
    by_article: dict[str, list] = {}
    for g in data.statements:
        by_article.setdefault(g["article"], []).append(g)
    for article_id, row in data.articles.items():
        statements, normalised, _ = _run(extractor, article_id, row, str(directory / "articles.jsonl"))
        for g in by_article.get(article_id, []):
            if g["speaker"] == UNKNOWN:
                continue
            best = _best_statement(span_in(g["text"], normalised), statements)
            if best is not None:
                examples.append({"article": "r:" + article_id, "statement": best[0], "candidates": best[1],
                                 "right": [same_speaker(g["speaker"], c.speaker) for c in best[1]],
                                 "rule_right": same_speaker(g["speaker"], best[0].speaker), "corpus": "realnews",
                                 "direct": g["kind"] == "direct", "named": True})
    # one gold statement may be matched by one prediction twice (a quote split by its tag): keep it once
    return examples


def design(examples: list[dict]):
    names = sorted({k for e in examples for c in e["candidates"] for k in c.features})
    index = {n: i for i, n in enumerate(names)}
    rows, labels, groups, weights, owners = [], [], [], [], []
    for number, example in enumerate(examples):
        for candidate, right in zip(example["candidates"], example["right"]):
            vector = np.zeros(len(names))
            for key, value in candidate.features.items():
                vector[index[key]] = value
            rows.append(vector)
            labels.append(int(right))
            groups.append(example["article"])
            weights.append(REALNEWS_WEIGHT if example["corpus"] == "realnews" else 1.0)
            owners.append(number)
    return names, np.array(rows), np.array(labels), np.array(groups), np.array(weights), np.array(owners)


def fit_scorer(X, y, w, owners, rows, objective: str):
    """(coefficients, intercept) of a linear candidate scorer fitted on the candidates `rows`.

    pointwise: logistic regression on each candidate (right or not). pairwise: logistic regression on the
    feature differences between each right and each wrong candidate of a statement (in both orders, no
    intercept), every statement weighted as one, so the score ranks a statement's candidates."""
    if objective == "pointwise":
        model = LogisticRegression(C=C, max_iter=2000).fit(X[rows], y[rows], sample_weight=w[rows])
        return model.coef_[0], float(model.intercept_[0])
    diffs, labels, weights = [], [], []
    chosen = np.zeros(len(y), dtype=bool)
    chosen[rows] = True
    for owner in np.unique(owners[rows]):
        mine = np.where((owners == owner) & chosen)[0]
        right, wrong = mine[y[mine] == 1], mine[y[mine] == 0]
        if not len(right) or not len(wrong):
            continue
        share = w[mine[0]] / (len(right) * len(wrong))
        for r in right:
            for q in wrong:
                diffs += [X[r] - X[q], X[q] - X[r]]
                labels += [1, 0]
                weights += [share, share]
    model = LogisticRegression(C=C, max_iter=4000, fit_intercept=False).fit(
        np.array(diffs), np.array(labels), sample_weight=np.array(weights))
    return model.coef_[0], 0.0


def choices(scores: np.ndarray, owners: np.ndarray, examples: list[dict]):
    """Per example: (top score, margin, whether the top candidate is right); None without candidates."""
    out = []
    for number, example in enumerate(examples):
        mine = np.where(owners == number)[0]
        if not len(mine):
            out.append(None)
            continue
        order = mine[np.argsort(-scores[mine])]
        top = scores[order[0]]
        margin = top - scores[order[1]] if len(order) > 1 else 5.0
        out.append((float(top), float(margin), bool(example["right"][int(order[0] - mine[0])])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, required=True)
    parser.add_argument("--realnews", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "stance" / "extract" / "speaker_model.json")
    parser.add_argument("--report", type=Path, default=None, help="Write the fit's figures (no text) here.")
    parser.add_argument("--unknown-cost", type=float, default=UNKNOWN_COST,
                        help="Cost of an `unknown` speaker against 1 for a wrong one (sets the threshold).")
    parser.add_argument("--objective", choices=["pointwise", "pairwise"], default="pointwise",
                        help="pointwise: each candidate right or not; pairwise: right against wrong within a statement.")
    args = parser.parse_args()
    unknown_cost = args.unknown_cost

    extractor = Extractor(speaker_model=None)
    examples = polnear_examples(args.polnear, extractor) + realnews_examples(args.realnews, extractor)
    names, X, y, groups, w, owners = design(examples)
    oof = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=5).split(X, y, groups):
        coef, intercept = fit_scorer(X, y, w, owners, train, args.objective)
        oof[test] = X[test] @ coef + intercept
    picked = choices(oof, owners, examples)
    usable = [(p, e) for p, e in zip(picked, examples) if p is not None]
    calibrator = LogisticRegression(C=100.0, max_iter=2000).fit(
        np.array([[p[0], p[1]] for p, _ in usable]), np.array([p[2] for p, _ in usable]),
        sample_weight=np.array([REALNEWS_WEIGHT if e["corpus"] == "realnews" else 1.0 for _, e in usable]))
    probability = calibrator.predict_proba(np.array([[p[0], p[1]] for p, _ in usable]))[:, 1]
    threshold, best_cost, curve = 0.0, None, []
    for t in np.arange(0.0, 0.95, 0.05):
        cost = sum(WRONG_COST * (not p[2]) if q >= t else unknown_cost for (p, _), q in zip(usable, probability))
        curve.append({"threshold": round(float(t), 2), "cost": round(float(cost), 1)})
        if best_cost is None or cost < best_cost - 1e-9:
            threshold, best_cost = float(t), cost
    final_coef, final_intercept = fit_scorer(X, y, w, owners, np.arange(len(y)), args.objective)
    figures = {}
    subsets = {"polnear": lambda e: e["corpus"] == "polnear" and e["named"],
               "polnear_bodies": lambda e: e["corpus"] == "polnear" and not e["named"],
               "polnear_direct_named": lambda e: e["corpus"] == "polnear" and e["named"] and e["direct"],
               "realnews": lambda e: e["corpus"] == "realnews"}
    for corpus, member in subsets.items():
        mine = [(p, e) for p, e in zip(picked, examples) if member(e)]
        figures[corpus] = {
            "statements": len(mine), "candidates": int(sum(len(e["candidates"]) for _, e in mine)),
            "rule_speaker_right": round(sum(e["rule_right"] for _, e in mine) / max(1, len(mine)), 4),
            "model_speaker_right_out_of_fold": round(sum(bool(p and p[2]) for p, _ in mine) / max(1, len(mine)), 4),
            "some_candidate_right": round(sum(any(e["right"]) for _, e in mine) / max(1, len(mine)), 4),
        }
    metadata = {
        "fitted": datetime.date.today().isoformat(), "script": "scripts/fit_speaker_model.py",
        "data": {"polnear": f"{args.polnear.name} (PolNeAR export), split train, attributions with a named source "
                            "or a source that resolves to a body, outlet or group",
                 "realnews": f"{args.realnews.name} (realnews set), split train, statements with a known speaker"},
        "examples": dict(Counter(e["corpus"] for e in examples)), "rows": int(len(y)), "positives": int(y.sum()),
        "model": f"sklearn LogisticRegression(C={C}), {args.objective} objective, realnews weight {REALNEWS_WEIGHT}",
        "features": len(names),
        "calibration": "logistic on (top score, margin over the runner-up), out-of-fold scores, 5 folds by article",
        "threshold_rule": f"minimise {WRONG_COST} per wrong speaker + {unknown_cost} per unknown, out of fold",
        "out_of_fold": figures, "threshold_curve": curve,
    }
    weights = {n: round(float(v), 5) for n, v in zip(names, final_coef)}
    data = {"weights": weights, "intercept": round(float(final_intercept), 5),
            "calibration": [round(float(calibrator.coef_[0][0]), 5), round(float(calibrator.coef_[0][1]), 5),
                            round(float(calibrator.intercept_[0]), 5)],
            "threshold": round(threshold, 2), "metadata": metadata}
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if args.report:
        args.report.write_text(json.dumps(metadata, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"threshold": data["threshold"], **figures}, indent=1))


if __name__ == "__main__":
    main()
