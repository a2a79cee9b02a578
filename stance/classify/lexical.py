"""TF-IDF + logistic regression on the model input: the baseline, and the fine-tune's ensemble partner.

Saved as plain data (a JSON vocabulary and label lists, safetensors arrays), never
as a pickle, so loading a model directory cannot run code. No torch here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

JSON_FILE = "lexical.json"
ARRAYS_FILE = "lexical.safetensors"


def _vectorizer(vocabulary=None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, vocabulary=vocabulary)


@dataclass
class LexicalModel:
    """A fitted TF-IDF vectorizer with one logistic regression per task (target, stance)."""

    vectorizer: object
    heads: dict  # task -> (classes, coef [k x n], intercept [k])

    def probabilities(self, texts: Sequence[str], task: str, order: Sequence[str]):
        """Class probabilities for `task`, columns in `order` (labels never seen in training get 0)."""
        import numpy as np
        from scipy.special import softmax

        classes, coef, intercept = self.heads[task]
        scores = self.vectorizer.transform(list(texts)) @ coef.T + intercept
        if len(classes) == 2 and coef.shape[0] == 1:  # binary regression stores one row: logit of classes[1]
            scores = np.hstack([np.zeros_like(scores), scores])
        probs = softmax(np.asarray(scores, dtype=np.float64), axis=1)
        out = np.zeros((len(texts), len(order)), dtype=np.float32)
        for j, name in enumerate(order):
            if name in classes:
                out[:, j] = probs[:, classes.index(name)]
        return out

    def save(self, directory: Path) -> None:
        """Write lexical.json (vocabulary, classes) and lexical.safetensors (idf, weights) into `directory`."""
        import numpy as np
        from safetensors.numpy import save_file

        vocabulary = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.get)
        arrays = {"idf": np.asarray(self.vectorizer.idf_, dtype=np.float64)}
        meta = {"vocabulary": vocabulary, "classes": {}}
        for task, (classes, coef, intercept) in self.heads.items():
            meta["classes"][task] = list(classes)
            arrays[f"{task}.coef"] = np.ascontiguousarray(coef, dtype=np.float64)
            arrays[f"{task}.intercept"] = np.asarray(intercept, dtype=np.float64)
        save_file(arrays, str(Path(directory) / ARRAYS_FILE))
        (Path(directory) / JSON_FILE).write_text(json.dumps(meta, ensure_ascii=False) + "\n", encoding="utf-8")


def fit_lexical(texts: Sequence[str], labels: dict[str, Sequence[str]]) -> LexicalModel:
    """Fit the vectorizer on `texts` and one balanced logistic regression per task in `labels`."""
    from sklearn.linear_model import LogisticRegression

    vectorizer = _vectorizer()
    features = vectorizer.fit_transform(list(texts))
    heads = {}
    for task, y in labels.items():
        clf = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced")
        clf.fit(features, list(y))
        heads[task] = ([str(c) for c in clf.classes_], clf.coef_, clf.intercept_)
    return LexicalModel(vectorizer, heads)


def load_lexical(directory: Path) -> LexicalModel:
    """Read a LexicalModel written by LexicalModel.save."""
    from safetensors.numpy import load_file

    meta = json.loads((Path(directory) / JSON_FILE).read_text(encoding="utf-8"))
    arrays = load_file(str(Path(directory) / ARRAYS_FILE))
    vectorizer = _vectorizer({term: i for i, term in enumerate(meta["vocabulary"])})
    vectorizer.idf_ = arrays["idf"]
    heads = {task: (classes, arrays[f"{task}.coef"], arrays[f"{task}.intercept"]) for task, classes in meta["classes"].items()}
    return LexicalModel(vectorizer, heads)
