"""Candidates for the default classifier, trained on a data mix and scored on realnews `dev`, in one table.

Each candidate is a training config (the default's or mpnet's, with overrides) and a method. It is trained
on the config's data plus the realnews `train` statements (each with its paragraph as context, as the stop-check
gives them) and scored on the `dev` gold statements two ways:

- **gold**: each dev gold statement with its paragraph as context (what the stop-check scores);
- **extracted**: the statements `stance extract` finds in the dev excerpts, matched to gold statements with the
  realnews `score.py` span rule, read as extraction gives them (its text, speaker, sentence context).

Reported per candidate and training seed: target / stance macro-F1 over the gold classes (the definition of
`score.py labels`), per-class F1, ECE per head (10 bins), and prediction statements/s (a second pass over the
dev statements after a first, so model loading and warm-up are not counted; the machine is shared, so read it
as a rough figure: `scripts/bench.py` measures the shipped model). Trained methods run once per seed; frozen-
encoder ones are deterministic and run once, with a bootstrap interval over dev excerpts instead.

The realnews folder is read from a path and never copied: the JSON holds figures, ids and labels only.

    python scripts/realnews_eval.py --realnews ../shared/realnews --candidates minilm-frozen,mpnet-frozen \
        --json docs/measurements/realnews_candidates.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stance.config import load_labels, load_train_config  # noqa: E402
from stance.classify.traindata import load_labelled  # noqa: E402
from stance.evaluate.classifier import scores  # noqa: E402

DEFAULT = ROOT / "configs" / "default.yaml"
MPNET = ROOT / "configs" / "mpnet.yaml"
# name -> (config file, overrides, trained per seed?). The default config's own data and settings, changed only
# where the name says; realnews train is always added (after the config's data).
BASELINE = {"method": "finetune", "features": [], "encoder_delta": "", "tfidf_ngrams": 2, "tfidf_buckets": 0,
            "encoder_layers": 3, "encoder_context": True, "real_weight": 1.0, "calibrate": False, "train_layers": 0}
HASHED = {"tfidf_ngrams": 2, "tfidf_buckets": 65536}


def tuned(layers: int, train_layers: int, real_weight: float, dropout: float = 0.0) -> dict:
    """A fine-tune of the top `train_layers` of `layers` encoder layers, then frozen and read by refitted LR heads
    with a hashed TF-IDF partner: what ships as a delta (see stance.classify.delta)."""
    return {"method": "finetune", "features": [], "encoder_delta": "", "encoder_layers": layers, "encoder_context": True,
            "train_layers": train_layers, "real_weight": real_weight, "speaker_dropout": dropout, "calibrate": True,
            **HASHED}


CANDIDATES = {
    # the default before round 1 (3-layer MiniLM fine-tune + TF-IDF on words and pairs), realnews added at weight 1
    "baseline-finetune": (DEFAULT, BASELINE, True),
    "minilm-frozen-w1": (DEFAULT, {"method": "embed", "features": [], "real_weight": 1.0}, False),
    "minilm-frozen": (DEFAULT, {"method": "embed", "features": []}, False),
    "minilm-frozen-hashed": (DEFAULT, {"method": "embed", "features": [], **HASHED}, False),
    "minilm-frozen-bigrams": (DEFAULT, {"method": "embed", "features": [], "tfidf_ngrams": 2}, False),
    "minilm-frozen-no-tfidf": (DEFAULT, {"method": "embed", "features": [], "tfidf_weight": 0.0}, False),
    "mpnet-frozen": (MPNET, {"method": "embed", "features": [], "tfidf_ngrams": 1}, False),
    "minilm-setfit": (DEFAULT, {"method": "setfit", "features": [], "encoder_layers": 0}, True),
    # tuned-L{layers}T{trained layers}-w{real weight}[-sd{speaker dropout %}]
    "tuned-L3T1-w3": (DEFAULT, tuned(3, 1, 3.0), True),
    "tuned-L3T1-w1": (DEFAULT, tuned(3, 1, 1.0), True),
    "tuned-L3T1-w3-sd30": (DEFAULT, tuned(3, 1, 3.0, 0.3), True),
    "tuned-L3T2-w3": (DEFAULT, tuned(3, 2, 3.0), True),
    "tuned-L6T1-w3": (DEFAULT, tuned(6, 1, 3.0), True),
    "tuned-L6T2-w3": (DEFAULT, tuned(6, 2, 3.0), True),
}
TUNED_SUFFIX = "+ft-heads"  # a tuned candidate's fine-tune scored with its own heads (and a vocabulary TF-IDF)


def paragraph_rows(realnews: Path, split: str) -> list[dict]:
    """The split's gold statements, each with the first paragraph of its excerpt that contains it as context."""
    texts = {a["id"]: a["text"] for a in _read(realnews / "articles.jsonl")}
    rows = []
    for number, g in enumerate(_read(realnews / "statements.jsonl"), 1):
        if g["split"] != split:
            continue
        paragraphs = [p for p in re.split(r"\n+", texts[g["article"]]) if g["text"] in p]
        rows.append({**g, "context": paragraphs[0] if paragraphs else g["text"], "composed": False,
                     "where": f"realnews statements.jsonl:{number}"})
    return rows


def extracted_rows(realnews: Path, split: str, gold: list[dict], work: Path) -> tuple[list[dict], int]:
    """Gold statements as `stance extract` gives them (its best-overlapping statement, gold labels), and how many
    gold statements extraction missed; matched with the span rule of realnews score.py."""
    score = _score_module(realnews)
    articles = [a for a in _read(realnews / "articles.jsonl") if a["split"] == split]
    corpus = work / "dev_articles.jsonl"
    corpus.write_text("".join(json.dumps({k: a[k] for k in ("id", "text", "date") if a.get(k)}) + "\n" for a in articles),
                      encoding="utf-8")
    out = work / "dev_extracted.jsonl"
    subprocess.run([sys.executable, "-c", "from stance.cli import app; app()", "extract", str(corpus), "--out", str(out)],
                   check=True, capture_output=True, cwd=str(work))
    predicted = _read(out)
    texts = {a["id"]: a["text"] for a in articles}
    spans = [score.span(p.get("text", ""), texts[p["article"]]) for p in predicted]
    rows, missed = [], 0
    for g in gold:
        gold_span = score.span(g["text"], texts[g["article"]])
        best, best_overlap = None, 0.0
        for p, s in zip(predicted, spans):
            o = score.overlap(gold_span, s) if p["article"] == g["article"] else 0.0
            if o >= 0.5 and o > best_overlap:
                best, best_overlap = p, o
        if best is None:
            missed += 1
            continue
        rows.append({**best, "target": g["target"], "stance": g["stance"], "gold_where": g["where"]})
    return rows, missed


def run_candidate(name: str, base_rows: list[dict], train_rows: list[dict], tests: dict, labels, seeds: list[int],
                  log, keep: Path | None = None) -> dict:
    """Train `name` per seed (once when deterministic) and score it on each test set.

    A tuned candidate (fine-tune with train_layers, then method embed on its delta) also reports the fine-tune
    itself under `name + TUNED_SUFFIX`; returns {candidate name: result}."""
    config_path, overrides, per_seed = CANDIDATES[name]
    config = load_train_config(config_path)
    runs: dict = {}
    for seed in (seeds if per_seed else seeds[:1]):
        settings = replace(config, **overrides, seed=seed)
        settings.source = config.source
        log(f"{name} seed {seed}: training on {len(base_rows)} + {len(train_rows)} statements")
        started = time.perf_counter()
        keep_delta = keep / f"{name}-s{seed}.delta.safetensors" if keep else None
        variants = _fit(settings, labels, base_rows + train_rows, tuned_to=keep_delta if settings.train_layers else None)
        seconds = time.perf_counter() - started
        for variant, predict in variants.items():
            label = name if variant == "main" else name + TUNED_SUFFIX
            probe = predict(SPEAKER_PROBE)
            runs.setdefault(label, {})[str(seed)] = {
                "train_seconds": round(seconds, 1),
                "speaker_probe": {r["speaker"]: [t, s] for r, t, s in zip(SPEAKER_PROBE, probe[0], probe[1])},
                **{test: _score(predict, rows, labels) for test, rows in tests.items()}}
            got = runs[label][str(seed)]
            log(f"{label} seed {seed}: " + "; ".join(f"{t} {got[t]['target']['macro_f1']:.3f} / {got[t]['stance']['macro_f1']:.3f}"
                                                   for t in tests) + f"; probe {got['speaker_probe']}")
    return {label: {"config": str(config_path.relative_to(ROOT)), "overrides": overrides, "runs": by_seed,
                    "median": {test: {task: round(statistics.median(r[test][task]["macro_f1"] for r in by_seed.values()), 4)
                                      for task in ("target", "stance")} for test in tests},
                    "median_ece": {task: round(statistics.median(r["gold"]["ece"][task] for r in by_seed.values()), 4)
                                   for task in ("target", "stance")} if all("ece" in r["gold"] for r in by_seed.values()) else None}
            for label, by_seed in runs.items()}


def _fit(config, labels, rows, tuned_to: Path | None = None) -> dict:
    """{variant: predict(rows) -> (targets, stances, target probs, stance probs, statements/s)} for the fitted method.

    With train_layers (a tuned candidate): "main" is the frozen tuned encoder (its delta written to `tuned_to`, or a
    temporary file) with refitted heads; "ft" the fine-tune as trained."""
    if config.method == "setfit":
        from stance.evaluate.classifier import predict_setfit

        def predict(test):
            t, s = predict_setfit(rows, test, config, labels)["setfit"]
            return t, s, None, None, None  # SetFit trains inside its predictor: no prediction-only rate
        return {"main": predict}
    from stance.train import fit_classifier

    if not config.train_layers:
        return {"main": _predictor(fit_classifier(rows, config, labels).classifier)}
    from stance.classify.delta import save_delta

    fine = fit_classifier(rows, replace(config, calibrate=False, tfidf_buckets=0), labels)
    holder = tempfile.TemporaryDirectory(prefix="stance-delta-")
    path = tuned_to or Path(holder.name) / "tuned.delta.safetensors"
    save_delta(fine.classifier.model, path, fine.info["base_model"]["sha256"]["model.safetensors"],
               {"trained_on": f"{len(rows)} statements (config data + realnews train)", "seed": config.seed})
    frozen = replace(config, method="embed", encoder_delta=str(path), train_layers=0, speaker_dropout=config.speaker_dropout)
    frozen.source = config.source
    main = fit_classifier(rows, frozen, labels).classifier
    holder.cleanup()  # the delta is in the encoder now
    return {"main": _predictor(main), "ft": _predictor(fine.classifier)}


def _predictor(classifier):
    def predict(test):
        classifier.predict(test)  # warm-up: the timed pass below is the marginal rate
        started = time.perf_counter()
        predictions = classifier.predict(test)
        rate = len(test) / max(1e-9, time.perf_counter() - started)
        tprobs, sprobs = classifier.probabilities(test)
        return [p.target for p in predictions], [p.stance for p in predictions], tprobs, sprobs, round(rate, 1)
    return predict


# issue 26's probe, in its wording: the words must decide the stance, not the speaker's name
SPEAKER_PROBE = [{"speaker": speaker, "text": "I believe in NATO", "context": f'"I believe in NATO," {surname} said.'}
                 for speaker, surname in (("Donald Trump", "Trump"), ("Mark Rutte", "Rutte"))]


def _speaker_swap(predict, rows: list[dict], predicted: list) -> dict:
    """Share of statements whose stance (target) changes when only the speaker field is replaced by the speaker of
    a statement from another excerpt: how much the name, rather than the words, decides (0 = not at all)."""
    by_excerpt = sorted({r["article"] for r in rows})
    speakers = {a: next(r["speaker"] for r in rows if r["article"] == a) for a in by_excerpt}
    other = {a: speakers[by_excerpt[(i + len(by_excerpt) // 2) % len(by_excerpt)]] for i, a in enumerate(by_excerpt)}
    swapped = [{**r, "speaker": other[r["article"]]} for r in rows]
    targets, stances = predict(swapped)[:2]
    changed = [(t != p[0], s != p[1]) for t, s, p in zip(targets, stances, predicted)]
    return {"statements": len(rows), "target_changed": round(sum(c[0] for c in changed) / len(rows), 3),
            "stance_changed": round(sum(c[1] for c in changed) / len(rows), 3)}


def _score(predict, rows: list[dict], labels) -> dict:
    from stance.classify.calibration import expected_calibration_error

    targets, stances, tprobs, sprobs, rate = predict(rows)
    gold_t, gold_s = [r["target"] for r in rows], [r["stance"] for r in rows]
    out = {"statements": len(rows), "statements_per_s": rate,
           "target": _brief(scores(gold_t, targets, labels.target_names)),
           "stance": _brief(scores(gold_s, stances, labels.stance_names)),
           "bootstrap_90": _bootstrap(rows, targets, stances, labels)}
    if tprobs is not None:
        out["ece"] = {"target": expected_calibration_error(tprobs, [labels.target_names.index(g) for g in gold_t]),
                      "stance": expected_calibration_error(sprobs, [labels.stance_names.index(g) for g in gold_s])}
    out["predicted"] = [[t, s] for t, s in zip(targets, stances)]
    out["speaker_swap"] = _speaker_swap(predict, rows, out["predicted"])
    return out


def _brief(result: dict) -> dict:
    return {"macro_f1": result["macro_f1"], "accuracy": result["accuracy"],
            "f1": {c: v["f1"] for c, v in result["per_class"].items()}, "confusion_pairs": result["confusion_pairs"][:8]}


def _bootstrap(rows, targets, stances, labels, draws: int = 300) -> dict:
    """5th and 95th percentiles of macro-F1 over excerpts resampled with replacement (the noise of a dev this size)."""
    import random

    from sklearn.metrics import f1_score

    by_article: dict = {}
    for i, r in enumerate(rows):
        by_article.setdefault(r["article"], []).append(i)
    groups = list(by_article.values())
    rng = random.Random(0)
    found = {"target": [], "stance": []}
    for _ in range(draws):
        idx = [i for g in rng.choices(groups, k=len(groups)) for i in g]
        for task, pred in (("target", targets), ("stance", stances)):
            gold = [rows[i][task] for i in idx]
            found[task].append(f1_score(gold, [pred[i] for i in idx], labels=sorted(set(gold)), average="macro"))
    return {task: [round(sorted(v)[int(0.05 * draws)], 3), round(sorted(v)[int(0.95 * draws)], 3)] for task, v in found.items()}


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _score_module(realnews: Path):
    spec = importlib.util.spec_from_file_location("realnews_score", realnews / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def to_markdown(report: dict) -> str:
    trained = (f"Trained on the config's data + realnews train ({report['train_statements']} statements)"
               if report.get("train_statements") else f"The saved model(s) {report.get('model')}")
    lines = ["# Candidates on realnews dev", "", f"{trained}; dev: {report['tests']['gold']} gold statements with their paragraph; extracted: "
             f"{report['tests'].get('extracted', 0)} gold statements found by `stance extract` "
             f"({report.get('extraction_missed', 0)} missed). Median over seeds {report['seeds']} for trained methods.", "",
             "| candidate | gold target | gold stance | per seed (target / stance) | 90% interval, first seed (excerpt bootstrap) | ECE target / stance | extracted target / stance | probe Trump / Rutte | speaker swap changes stance | statements/s | runs |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, result in report["candidates"].items():
        first = next(iter(result["runs"].values()))
        gold = first["gold"]
        ece = result.get("median_ece") or gold.get("ece")
        ext = result["median"].get("extracted")
        per_seed = ", ".join(f"{r['gold']['target']['macro_f1']:.3f} / {r['gold']['stance']['macro_f1']:.3f}"
                             for r in result["runs"].values())
        probe = first.get("speaker_probe") or {}
        lines.append(f"| {name} | {result['median']['gold']['target']:.3f} | {result['median']['gold']['stance']:.3f} | "
                     f"{per_seed} | {gold['bootstrap_90']['target']} / {gold['bootstrap_90']['stance']} | "
                     f"{(str(ece['target']) + ' / ' + str(ece['stance'])) if ece else '–'} | "
                     f"{(format(ext['target'], '.3f') + ' / ' + format(ext['stance'], '.3f')) if ext else '–'} | "
                     f"{' / '.join(v[1] for v in probe.values()) or '–'} | "
                     f"{gold.get('speaker_swap', {}).get('stance_changed', '–')} | "
                     f"{gold['statements_per_s'] or '–'} | {len(result['runs'])} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--realnews", type=Path, default=ROOT.parent / "shared" / "realnews")
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated names: " + ", ".join(CANDIDATES))
    parser.add_argument("--seeds", default="13,14,15", help="training seeds for trained methods")
    parser.add_argument("--no-extracted", action="store_true", help="score only the gold statements")
    parser.add_argument("--keep-deltas", type=Path, help="keep each tuned candidate's encoder delta in this folder")
    parser.add_argument("--model", type=Path, action="append", help="score this saved model (e.g. the shipped "
                        "one) instead of training candidates; repeat to compare several in one run")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    if not (args.realnews / "statements.jsonl").is_file():
        parser.error(f"{args.realnews}: no statements.jsonl; expected the realnews folder")
    names = [n for n in args.candidates.split(",") if n]
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidate(s) {unknown}; expected some of {list(CANDIDATES)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    config = load_train_config(DEFAULT)
    labels = load_labels(config.resolve(config.labels))
    base_rows = load_labelled([config.resolve(p) for p in config.data], labels)
    train_rows, dev_rows = paragraph_rows(args.realnews, "train"), paragraph_rows(args.realnews, "dev")
    tests = {"gold": dev_rows}
    report = {"realnews": str(args.realnews), "train_statements": len(base_rows) + len(train_rows),
              "realnews_train": len(train_rows), "seeds": seeds, "candidates": {}}
    if not args.no_extracted:
        with tempfile.TemporaryDirectory(prefix="stance-realnews-") as tmp:
            tests["extracted"], report["extraction_missed"] = extracted_rows(args.realnews, "dev", dev_rows, Path(tmp))
    report["tests"] = {k: len(v) for k, v in tests.items()}
    if args.model:
        return score_saved(args.model, tests, labels, report, args.json)
    for name in names:
        report["candidates"].update(run_candidate(name, base_rows, train_rows, tests, labels, seeds,
                                                  lambda m: print(m, file=sys.stderr, flush=True), args.keep_deltas))
        _write(args.json, report)  # after each candidate: a long run keeps what it measured
    print(to_markdown(report))
    return 0


def score_saved(models: list[Path], tests: dict, labels, report: dict, json_path: Path) -> int:
    """Score saved models on the test sets (each as a candidate with one run): what ships, measured as it ships."""
    from stance.classify import load_classifier

    report.update(train_statements=None, model=", ".join(map(str, models)), candidates={})
    for model in models:
        classifier = load_classifier(model)
        predict = _predictor(classifier)
        probe = predict(SPEAKER_PROBE)
        run = {"speaker_probe": {r["speaker"]: [t, s] for r, t, s in zip(SPEAKER_PROBE, probe[0], probe[1])},
               **{test: _score(predict, rows, labels) for test, rows in tests.items()}}
        report["candidates"][classifier.model_id] = {
            "model": str(model), "runs": {"saved": run}, "median_ece": run["gold"].get("ece"),
            "median": {t: {task: run[t][task]["macro_f1"] for task in ("target", "stance")} for t in tests}}
        _write(json_path, report)
    print(to_markdown(report))
    return 0


def _write(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    path.with_suffix(".md").write_text(to_markdown(report), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
