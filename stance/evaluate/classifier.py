"""`stance evaluate classifier`: leave-one-event-out cross-validation with baselines.

Events are groups of articles whose labelled statements share quotes (found by
text overlap, see traindata.find_events). Each fold tests on one event and trains
on the others plus the composed supplement, which is never tested on. All
methods see the same splits and the same model input.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional, Sequence

from stance.config import PROJECT_ROOT, TrainConfig, load_labels
from stance.errors import StanceError
from stance.classify.traindata import find_events, joined_inputs, load_labelled

METHODS = ("majority", "tfidf", "setfit", "finetune", "embed")
DETERMINISTIC = ("majority", "tfidf", "embed")  # no training seed: run once, whatever --seeds says


def _coherent(targets: list[str], stances: list[str], none: str) -> list[str]:
    return [none if t == none else s for t, s in zip(targets, stances)]


def predict_majority(train, test, config, labels):
    t = Counter(r["target"] for r in train).most_common(1)[0][0]
    s = Counter(r["stance"] for r in train).most_common(1)[0][0]
    return {"majority": ([t] * len(test), [s] * len(test))}


def predict_tfidf(train, test, config, labels):
    from stance.classify.lexical import fit_lexical

    lexical = fit_lexical(joined_inputs(train, config), {key: [r[key] for r in train] for key in ("target", "stance")})
    x_test = joined_inputs(test, config)
    tprobs = lexical.probabilities(x_test, "target", labels.target_names)
    sprobs = lexical.probabilities(x_test, "stance", labels.stance_names)
    return {"tfidf": ([labels.target_names[i] for i in tprobs.argmax(1)], [labels.stance_names[i] for i in sprobs.argmax(1)],
                      tprobs, sprobs)}


def predict_setfit(train, test, config, labels, max_steps: int = 80):
    """SetFit: contrastive fine-tuning of the sentence encoder + a logistic-regression head.

    One model on the joint label "target|stance" (one encoder pass per fold instead of two).
    """
    from stance.classify.basemodel import resolve_base_model
    from stance.classify.modelinput import quiet_transformers

    quiet_transformers()
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    base_dir, _ = resolve_base_model(config.base_model, PROJECT_ROOT)
    x_train, x_test = joined_inputs(train, config), joined_inputs(test, config)

    def accuracy(pred, ref):  # a callable: the string "accuracy" would call the hub
        return {"accuracy": sum(p == r for p, r in zip(pred, ref)) / max(1, len(ref))}

    model = SetFitModel.from_pretrained(str(base_dir), local_files_only=True)
    with tempfile.TemporaryDirectory(prefix="stance-setfit-") as tmp:
        args = TrainingArguments(output_dir=tmp, batch_size=16, num_epochs=1, max_steps=max_steps, seed=config.seed,
                                 body_learning_rate=2e-5, show_progress_bar=False, report_to="none",
                                 save_strategy="no", logging_strategy="no", max_length=config.max_length)
        joint = [f"{r['target']}|{r['stance']}" for r in train]
        Trainer(model=model, args=args, train_dataset=Dataset.from_dict({"text": x_train, "label": joint}), metric=accuracy).train()
    pred = [str(p).split("|", 1) for p in model.predict(x_test, as_numpy=True)]
    return {"setfit": ([p[0] for p in pred], [p[1] for p in pred])}


def predict_finetune(train, test, config, labels):
    """The fine-tune alone and, when config.tfidf_weight > 0, averaged with TF-IDF + LR: what `stance train` saves."""
    from stance.train import fit_classifier

    classifier = fit_classifier(train, config, labels).classifier
    out = {"finetune": _labelled(_alone(classifier), test)}
    if classifier.lexical is not None:
        out["finetune+tfidf"] = _labelled(classifier, test)
    return out


def _alone(classifier):
    """The same fitted classifier without its TF-IDF partner (the encoder's own probabilities)."""
    from stance.classify import Classifier

    return Classifier(classifier.model, classifier.tokenizer, classifier.config, classifier.labels,
                      prior=classifier.prior, temperature=classifier.temperature)


def predict_embed(train, test, config, labels):
    """Frozen encoder + LR heads (embeddings cached across folds), with the TF-IDF average and the
    temperatures fitted on the training fold alone: what `stance train` saves for method embed."""
    from stance.train import fit_classifier

    name = "embed+tfidf" if config.tfidf_weight else "embed"
    return {name: _labelled(fit_classifier(train, config, labels).classifier, test)}


def _labelled(classifier, test) -> tuple:
    """(targets, stances, target probabilities, stance probabilities) of a classifier on test rows."""
    tprobs, sprobs = classifier.probabilities(test)
    preds = classifier.predict(test)
    return [p.target for p in preds], [p.stance for p in preds], tprobs, sprobs


PREDICTORS: dict[str, Callable] = {"majority": predict_majority, "tfidf": predict_tfidf,
                                   "setfit": predict_setfit, "finetune": predict_finetune, "embed": predict_embed}


def scores(gold: Sequence[str], pred: Sequence[str], names: Sequence[str]) -> dict:
    """Per-class P/R/F1 (recall = per-class accuracy), macro-F1 over the classes present in gold, confusions."""
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    present = [n for n in names if n in set(gold)]
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=list(names), zero_division=0)
    matrix = confusion_matrix(gold, pred, labels=list(names)).tolist()
    return {
        "macro_f1": round(float(f1_score(gold, pred, labels=present, average="macro", zero_division=0)), 4),
        "accuracy": round(sum(a == b for a, b in zip(gold, pred)) / max(1, len(gold)), 4),
        "per_class": {n: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                          "f1": round(float(f[i]), 4), "support": int(s[i])} for i, n in enumerate(names)},
        "confusion": {"labels": list(names), "matrix": matrix},
        "confusion_pairs": sorted(({"gold": g, "predicted": q, "count": matrix[i][j]} for i, g in enumerate(names)
                                   for j, q in enumerate(names) if i != j and matrix[i][j]), key=lambda d: -d["count"]),
    }


def cross_validate(config: TrainConfig, data: Optional[Sequence[Path]] = None, methods: Sequence[str] = METHODS,
                   log: Optional[Callable[[str], None]] = None, seeds: Optional[Sequence[int]] = None) -> dict:
    """Leave-one-event-out CV of every method, once per training seed; returns the JSON report.

    The detailed results (per class, confusions, per-statement predictions) are those
    of the first seed; `seeds` in each result gives every seed's macro-F1 with the
    median and range. Methods in DETERMINISTIC run once.
    """
    unknown = [m for m in methods if m not in PREDICTORS]
    if unknown:
        raise StanceError(f"unknown method(s) {unknown}; expected some of {list(PREDICTORS)}")
    seeds = list(seeds) if seeds else [config.seed]
    labels = load_labels(config.resolve(config.labels))
    paths = [Path(p) for p in data] if data else [config.resolve(p) for p in config.data]
    rows = load_labelled(paths, labels)
    gold = [r for r in rows if not r["composed"]]
    supplement = [r for r in rows if r["composed"]]
    events = find_events(gold)
    names = sorted(set(events.values()))
    if len(names) < 2:
        raise StanceError(f"{', '.join(map(str, paths))}: found {len(names)} event(s) among the non-composed labels; "
                          "leave-one-event-out needs at least two (rows need an 'article' field)")
    log = log or (lambda message: None)
    tested = [r for event in names for r in gold if events.get(r.get("article")) == event]
    gold_t, gold_s = [r["target"] for r in tested], [r["stance"] for r in tested]
    runs: dict[int, dict] = {}
    folds: list[dict] = []
    for seed in seeds:
        seeded = replace(config, seed=seed)
        if hasattr(config, "source"):  # not a field: the config's file, which relative paths resolve against
            seeded.source = config.source
        todo = [m for m in methods if seed == seeds[0] or m not in DETERMINISTIC]
        preds, seconds = _run_folds(seeded, labels, gold, supplement, events, names, todo, log, folds if seed == seeds[0] else [])
        runs[seed] = {"preds": preds, "seconds": seconds}
    first = runs[seeds[0]]["preds"]
    results = {}
    for m, pr in first.items():
        results[m] = {"target": scores(gold_t, pr["target"], labels.target_names),
                      "stance": scores(gold_s, pr["stance"], labels.stance_names),
                      "seconds": round(runs[seeds[0]]["seconds"][m], 1)}
        if pr["tprobs"] is not None:
            results[m]["ece"] = {"target": _ece(pr["tprobs"], gold_t, labels.target_names),
                                 "stance": _ece(pr["sprobs"], gold_s, labels.stance_names)}
        per_seed = {seed: runs[seed]["preds"][m] for seed in seeds if m in runs[seed]["preds"]}
        results[m]["seeds"] = _seed_summary({seed: (scores(gold_t, v["target"], labels.target_names)["macro_f1"],
                                                    scores(gold_s, v["stance"], labels.stance_names)["macro_f1"])
                                             for seed, v in per_seed.items()})
    return {
        "cv": "event", "data": [str(p) for p in paths], "evaluated": len(gold), "supplement": len(supplement),
        "events": {e: sorted(a for a, v in events.items() if v == e) for e in names}, "seeds": seeds,
        "config": config.to_dict(), "folds": folds, "results": results,
        "predictions": [{"where": r["where"], "event": events.get(r.get("article")), "speaker": r.get("speaker"), "text": r["text"],
                         "gold": [r["target"], r["stance"]],
                         **{m: [first[m]["target"][i], first[m]["stance"][i]] for m in first}}
                        for i, r in enumerate(tested)],
        "note": "macro-F1 over the classes present in the gold labels; composed supplement always in training, never tested; "
                "per class and confusions from the first seed; methods " + ", ".join(DETERMINISTIC) + " have no training seed",
    }


def _run_folds(config, labels, gold, supplement, events, names, methods, log, folds_out: list) -> tuple[dict, dict]:
    """One pass over the folds for one training seed: pooled predictions (and probabilities) per method."""
    import numpy as np

    preds: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    for number, event in enumerate(names, 1):
        test = [r for r in gold if events.get(r.get("article")) == event]
        train = [r for r in gold if events.get(r.get("article")) != event] + supplement
        fold = {"event": event, "test": len(test), "train": len(train), "seed": config.seed, "methods": {}}
        for method in methods:
            log(f"seed {config.seed} fold {number}/{len(names)} ({event}, {len(test)} test): {method}")
            started = time.perf_counter()
            results = PREDICTORS[method](train, test, config, labels)  # one method may report variants
            for name, result in results.items():
                t, s = result[0], _coherent(result[0], result[1], labels.none_label)
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started  # variants share one training
                entry = preds.setdefault(name, {"target": [], "stance": [], "tprobs": [], "sprobs": []})
                entry["target"] += t
                entry["stance"] += s
                if len(result) == 4 and entry["tprobs"] is not None:
                    entry["tprobs"].append(result[2])
                    entry["sprobs"].append(result[3])
                else:
                    entry["tprobs"] = entry["sprobs"] = None
                fold["methods"][name] = {
                    "target_macro_f1": scores([r["target"] for r in test], t, labels.target_names)["macro_f1"],
                    "stance_macro_f1": scores([r["stance"] for r in test], s, labels.stance_names)["macro_f1"],
                }
        folds_out.append(fold)
        log(f"fold {number} results: " + json.dumps(fold["methods"]))
    for entry in preds.values():
        if entry["tprobs"] is not None:
            entry["tprobs"], entry["sprobs"] = np.vstack(entry["tprobs"]), np.vstack(entry["sprobs"])
    return preds, seconds


def _ece(probs, gold: Sequence[str], names: Sequence[str]) -> float:
    from stance.classify.calibration import expected_calibration_error

    return expected_calibration_error(probs, [list(names).index(g) for g in gold])


def _seed_summary(values: dict) -> dict:
    """Each seed's (target, stance) macro-F1 with the median and the range over seeds."""
    from statistics import median

    t = [v[0] for v in values.values()]
    s = [v[1] for v in values.values()]
    return {"per_seed": {str(k): {"target_macro_f1": v[0], "stance_macro_f1": v[1]} for k, v in values.items()},
            "median": {"target_macro_f1": round(median(t), 4), "stance_macro_f1": round(median(s), 4)},
            "range": {"target_macro_f1": [min(t), max(t)], "stance_macro_f1": [min(s), max(s)]}}


def evaluate_model(model_dir: Path, data: Path) -> dict:
    """Score a trained model directory on a labelled JSONL file (no training)."""
    from stance.classify import load_classifier

    classifier = load_classifier(model_dir)
    rows = load_labelled([Path(data)], classifier.labels)
    preds = classifier.predict(rows)
    names = classifier.labels
    return {"cv": "none", "model": str(model_dir), "model_id": classifier.model_id, "data": [str(data)], "evaluated": len(rows),
            "results": {"model": {"target": scores([r["target"] for r in rows], [p.target for p in preds], names.target_names),
                                  "stance": scores([r["stance"] for r in rows], [p.stance for p in preds], names.stance_names)}}}


def to_markdown(report: dict) -> str:
    """A readable Markdown version of a report."""
    lines = ["# Classifier evaluation", ""]
    if report.get("cv") == "event":
        lines += [f"Leave-one-event-out CV on {report['evaluated']} labelled statements "
                  f"(+{report['supplement']} composed, always in training, never tested).", "", "Events:"]
        lines += [f"- {e}: {len(a)} article(s)" for e, a in report["events"].items()]
        lines.append("")
    else:
        lines += [f"Model {report.get('model_id')} on {report['evaluated']} statements of {', '.join(report['data'])}.", ""]
    seeds = report.get("seeds") or []
    if len(seeds) > 1:
        lines += [f"Training seeds {', '.join(map(str, seeds))}: the first table gives each method's median macro-F1 over the "
                  "seeds with the range; per class and confusions below are from the first seed.", "",
                  "| method | target macro-F1 median (range) | stance macro-F1 median (range) | seeds |", "|---|---|---|---|"]
        for name, res in report["results"].items():
            sd = res["seeds"]
            rt, rs = sd["range"]["target_macro_f1"], sd["range"]["stance_macro_f1"]
            lines.append(f"| {name} | {sd['median']['target_macro_f1']:.3f} ({rt[0]:.3f}–{rt[1]:.3f}) | "
                         f"{sd['median']['stance_macro_f1']:.3f} ({rs[0]:.3f}–{rs[1]:.3f}) | {len(sd['per_seed'])} |")
        lines.append("")
    lines += ["| method | target macro-F1 | stance macro-F1 | target acc | stance acc | ECE target | ECE stance | seconds |",
              "|---|---|---|---|---|---|---|---|"]
    for name, res in report["results"].items():
        ece = res.get("ece") or {}
        cells = [f"{ece[t]:.3f}" if t in ece else "–" for t in ("target", "stance")]
        lines.append(f"| {name} | {res['target']['macro_f1']:.3f} | {res['stance']['macro_f1']:.3f} | "
                     f"{res['target']['accuracy']:.3f} | {res['stance']['accuracy']:.3f} | {cells[0]} | {cells[1]} | {res.get('seconds', '')} |")
    if report.get("folds"):
        lines += ["", "## Per fold (target / stance macro-F1)", ""]
        methods = list(report["results"])
        lines += ["| event | test | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
        for fold in report["folds"]:
            cells = [f"{fold['methods'][m]['target_macro_f1']:.2f} / {fold['methods'][m]['stance_macro_f1']:.2f}" for m in methods]
            lines.append(f"| {fold['event']} | {fold['test']} | " + " | ".join(cells) + " |")
    for name, res in report["results"].items():
        lines += ["", f"## {name}"]
        for task in ("target", "stance"):
            sc = res[task]
            lines += ["", f"### {task}", "", "| class | precision | recall (accuracy on the class) | F1 | support |", "|---|---|---|---|---|"]
            lines += [f"| {c} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} | {v['support']} |" for c, v in sc["per_class"].items()]
            labels = sc["confusion"]["labels"]
            lines += ["", "Confusion (rows gold, columns predicted):", "", "| gold \\ pred | " + " | ".join(labels) + " |",
                      "|---|" + "---|" * len(labels)]
            lines += [f"| {g} | " + " | ".join(str(x) for x in row) + " |" for g, row in zip(labels, sc["confusion"]["matrix"])]
            if sc.get("confusion_pairs"):
                lines += ["", "Errors, most frequent first: " + "; ".join(
                    f"{d['gold']} → {d['predicted']} {d['count']}" for d in sc["confusion_pairs"])]
    return "\n".join(lines) + "\n"


def write_reports(report: dict, json_path: Optional[Path], markdown_path: Optional[Path]) -> None:
    for path, text in ((json_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n"), (markdown_path, to_markdown(report))):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text, encoding="utf-8")
