"""Calibration shared by every method: class priors, temperatures fitted out of fold, expected calibration error.

A classifier's probabilities carry its training data's class shares and its own over- or
under-confidence. `prior_factors` / `apply_prior` move the stance shares to those expected in
news; `calibrate` fits one temperature per task (p -> p^(1/T), renormalised) on out-of-fold
probabilities of the statements from real articles, so that the confidences the reports show
mean what they say. No torch here.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from stance.config import LabelSet, TrainConfig
from stance.errors import StanceError

TASKS = ("target", "stance")


def fit_temperature(probs, gold: Sequence[int], floor: float = 1e-6) -> float:
    """The temperature T minimising the negative log-likelihood of p^(1/T) (renormalised) on held-out rows."""
    import numpy as np
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    logp = np.log(np.clip(np.asarray(probs, dtype=np.float64), floor, 1.0))
    gold = np.asarray(gold)

    def nll(log_t: float) -> float:
        return float(-log_softmax(logp / np.exp(log_t), axis=1)[np.arange(len(gold)), gold].mean())

    return round(float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x)), 4)


def apply_temperature(probs, temperature: Optional[float], floor: float = 1e-6):
    """p^(1/T), renormalised per row (T = 1 or None: unchanged)."""
    import numpy as np
    from scipy.special import softmax

    if not temperature or temperature == 1.0:
        return probs
    return softmax(np.log(np.clip(probs, floor, 1.0)) / temperature, axis=1).astype(np.float32)


def expected_calibration_error(probs, gold: Sequence[int], bins: int = 10) -> float:
    """ECE: the |accuracy - confidence| gap of equal-width confidence bins, weighted by their size."""
    import numpy as np

    probs = np.asarray(probs)
    confidence, correct = probs.max(1), probs.argmax(1) == np.asarray(gold)
    total = 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return round(float(total), 4)


def prior_factors(rows: Sequence[dict], labels: LabelSet, config: TrainConfig) -> Optional[dict]:
    """Per-label factors that move the training data's stance shares to config.stance_prior's.

    A classifier's probabilities carry the training shares; multiplying by
    (expected share / training share) and renormalising corrects them for news
    where the shares differ. Labels not named keep their training proportions
    within the remaining share. None when no prior is configured.
    """
    if not config.stance_prior:
        return None
    names = labels.stance_names
    unknown = sorted(set(config.stance_prior) - set(names))
    if unknown:
        raise StanceError(f"config: stance_prior names {unknown}, not stance labels; expected some of {names}")
    counts = {n: sum(r["stance"] == n for r in rows) for n in names}
    total = sum(counts.values())
    rest = sum(c for n, c in counts.items() if n not in config.stance_prior)
    remaining = 1.0 - sum(config.stance_prior.values())
    factors = {}
    for n in names:
        share = counts[n] / total if total else 0.0
        wanted = config.stance_prior.get(n, remaining * counts[n] / rest if rest else 0.0)
        factors[n] = round(wanted / share, 4) if share else 1.0
    return {"stance": factors}


def apply_prior(probs, factors: Optional[dict], names: Sequence[str]):
    """probs x factors (label -> factor), renormalised per row; unchanged without factors."""
    import numpy as np

    if not factors:
        return probs
    scaled = probs * np.array([factors.get(n, 1.0) for n in names], dtype=np.float64)
    return (scaled / scaled.sum(1, keepdims=True)).astype(np.float32)


def grouped_folds(rows: Sequence[dict], folds: int = 5) -> list[int]:
    """A fold number per row: rows from articles grouped by event (no event split across folds), stored feature
    rows by their excerpt (`group`), others round-robin."""
    from stance.classify.traindata import find_events

    events = find_events([r for r in rows if "text" in r])
    groups = sorted({events[r["article"]] for r in rows if r.get("article") in events} | {r["group"] for r in rows if r.get("group")})
    where = {g: i for i, g in enumerate(groups)}
    out = []
    for i, r in enumerate(rows):
        event = r.get("group") or (events.get(r.get("article")) if not r.get("composed") else None)
        out.append(where[event] % folds if event else i % folds)
    return out


def calibrate(rows: Sequence[dict], labels: LabelSet, config: TrainConfig,
              fit_predict: Callable[[Sequence[int], Sequence[int]], dict], folds: int = 5, min_real: int = 30) -> dict:
    """Temperatures fitted on out-of-fold probabilities; `fit_predict(train_idx, test_idx)` -> {task: probs}.

    `fit_predict` fits the method on the rows at train_idx and returns its probabilities (the
    prior applied, as predicted) for the rows at test_idx. The temperature is fitted on the
    statements from real articles when there are at least `min_real`: composed ones are easier
    than news, so a temperature fitted on them would leave the model over-confident on what it
    will read. Returns the temperatures and the out-of-fold ECE before and after.
    """
    import numpy as np

    fold_of = np.array(grouped_folds(rows, folds))
    probs = {task: np.zeros((len(rows), len(names))) for task, names in zip(TASKS, (labels.target_names, labels.stance_names))}
    for k in range(folds):
        train, test = np.where(fold_of != k)[0], np.where(fold_of == k)[0]
        if not len(test) or any(len({rows[i][task] for i in train}) < 2 for task in TASKS):
            continue  # nothing to test, or too little to fit: these rows keep zero probabilities and are left out
        out = fit_predict(train, test)
        for task in TASKS:
            probs[task][test] = out[task]
    scored = np.array([p.sum() > 0 for p in probs["target"]])
    real = np.array([not r.get("composed") for r in rows]) & scored
    use = real if real.sum() >= min_real else scored
    result = {"fitted_on": int(use.sum()), "composed_included": use is not real}
    for task, names in zip(TASKS, (labels.target_names, labels.stance_names)):
        gold = [names.index(r[task]) for r, keep in zip(rows, use) if keep]
        temperature = fit_temperature(probs[task][use], gold)
        result[task] = {"temperature": temperature, "ece_before": expected_calibration_error(probs[task][use], gold),
                        "ece_after": expected_calibration_error(apply_temperature(probs[task][use], temperature), gold)}
    return result
