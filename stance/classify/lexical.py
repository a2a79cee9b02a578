"""TF-IDF + logistic regression on the model input: the baseline, and the encoder's ensemble partner.

Saved as plain data (a JSON vocabulary and label lists, safetensors arrays), never
as a pickle, so loading a model directory cannot run code. No torch here.

A lexical model can also be fitted on word *counts* kept without their text (a shipped
feature set's `counts`, see stance.classify.features) together with texts: the two are
put on one vocabulary and weighed by one IDF, so retraining keeps what the counts taught.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:
    from stance.config import TrainConfig

JSON_FILE = "lexical.json"
ARRAYS_FILE = "lexical.safetensors"


def _vectorizer(vocabulary=None, ngrams: int = 2):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, ngrams), sublinear_tf=True, min_df=1, vocabulary=vocabulary)


def word_counts(texts: Sequence[str], vocabulary: Optional[Sequence[str]] = None):
    """(sparse counts, vocabulary) of single words, tokenized exactly as the TF-IDF vectorizer does."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(vocabulary=list(vocabulary) if vocabulary is not None else None)
    counts = vectorizer.fit_transform(list(texts)) if vocabulary is None else vectorizer.transform(list(texts))
    words = vectorizer.get_feature_names_out().tolist()
    return counts.tocsr(), words


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

    def count_probabilities(self, counts, vocabulary: Sequence[str], task: str, order: Sequence[str]):
        """As probabilities(), for rows given as single-word counts over `vocabulary` (stored features)."""
        import numpy as np
        import scipy.sparse as sp
        from scipy.special import softmax
        from sklearn.feature_extraction.text import TfidfTransformer

        index = self.vectorizer.vocabulary_
        coo = counts.tocoo()
        keep = np.array([vocabulary[c] in index for c in coo.col], dtype=bool)
        cols = np.array([index[vocabulary[c]] for c in coo.col[keep]], dtype=np.int64)
        mapped = sp.csr_matrix((coo.data[keep], (coo.row[keep], cols)), shape=(counts.shape[0], len(index)))
        transformer = TfidfTransformer(sublinear_tf=True)
        transformer.idf_ = self.vectorizer.idf_
        classes, coef, intercept = self.heads[task]
        scores = transformer.transform(mapped) @ coef.T + intercept
        if len(classes) == 2 and coef.shape[0] == 1:
            scores = np.hstack([np.zeros_like(scores), scores])
        probs = softmax(np.asarray(scores, dtype=np.float64), axis=1)
        out = np.zeros((counts.shape[0], len(order)), dtype=np.float32)
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
        meta = {"vocabulary": vocabulary, "ngrams": int(self.vectorizer.ngram_range[1]), "classes": {}}
        for task, (classes, coef, intercept) in self.heads.items():
            meta["classes"][task] = list(classes)
            arrays[f"{task}.coef"] = np.ascontiguousarray(coef, dtype=np.float64)
            arrays[f"{task}.intercept"] = np.asarray(intercept, dtype=np.float64)
        save_file(arrays, str(Path(directory) / ARRAYS_FILE))
        (Path(directory) / JSON_FILE).write_text(json.dumps(meta, ensure_ascii=False) + "\n", encoding="utf-8")


def fit_lexical(texts: Sequence[str], labels: dict[str, Sequence[str]], ngrams: int = 2, counts=None,
                sample_weight: Optional[Sequence[float]] = None) -> LexicalModel:
    """Fit the vectorizer on `texts` and one balanced logistic regression per task in `labels`.

    `counts`: optional (sparse word counts, vocabulary) of further rows, kept without their text; their
    labels follow the texts' in `labels` (and in `sample_weight`). With counts the model reads single words
    (`ngrams` must be 1), on the union of both vocabularies.
    """
    from sklearn.linear_model import LogisticRegression

    if counts is None:
        vectorizer = _vectorizer(ngrams=ngrams)
        features = vectorizer.fit_transform(list(texts))
    else:
        vectorizer, features = _fit_with_counts(texts, counts, ngrams)
    heads = {}
    for task, y in labels.items():
        clf = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced")
        clf.fit(features, list(y), sample_weight=None if sample_weight is None else list(sample_weight))
        heads[task] = ([str(c) for c in clf.classes_], clf.coef_, clf.intercept_)
    return LexicalModel(vectorizer, heads)


def _fit_with_counts(texts: Sequence[str], counts, ngrams: int):
    """A unigram TF-IDF vectorizer over texts and stored counts, and the features of both (texts first)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer

    from stance.errors import StanceError

    if ngrams != 1:
        raise StanceError(f"tfidf_ngrams is {ngrams}, but stored word counts hold single words; set tfidf_ngrams: 1")
    stored, stored_words = counts
    _, text_words = word_counts(texts) if texts else (None, [])
    vocabulary = list(stored_words) + sorted(set(text_words) - set(stored_words))
    text_counts, _ = word_counts(texts, vocabulary)
    widened = sp.csr_matrix((stored.data, stored.indices, stored.indptr), shape=(stored.shape[0], len(vocabulary)))
    every = sp.vstack([text_counts, widened]).tocsr()
    transformer = TfidfTransformer(sublinear_tf=True).fit(every)
    vectorizer = _vectorizer({w: i for i, w in enumerate(vocabulary)}, ngrams=1)
    vectorizer.idf_ = transformer.idf_
    return vectorizer, transformer.transform(every)


def load_lexical(directory: Path) -> LexicalModel:
    """Read a LexicalModel written by LexicalModel.save."""
    from safetensors.numpy import load_file

    meta = json.loads((Path(directory) / JSON_FILE).read_text(encoding="utf-8"))
    arrays = load_file(str(Path(directory) / ARRAYS_FILE))
    vectorizer = _vectorizer({term: i for i, term in enumerate(meta["vocabulary"])}, ngrams=int(meta.get("ngrams", 2)))
    vectorizer.idf_ = arrays["idf"]
    heads = {task: (classes, arrays[f"{task}.coef"], arrays[f"{task}.intercept"]) for task, classes in meta["classes"].items()}
    return LexicalModel(vectorizer, heads)


def fit_tfidf(rows: Sequence[dict], config: "TrainConfig", stored_rows: Sequence[dict] = (), counts=None,
              sample_weight=None) -> Optional[LexicalModel]:
    """The TF-IDF + LR partner of the encoder, on the same model input; None when config.tfidf_weight is 0.

    `stored_rows` (label rows) with `counts` (their word counts and vocabulary): statements kept without
    text, fitted after `rows`; `sample_weight` covers both, rows first.
    """
    if not config.tfidf_weight:
        return None
    from stance.classify.traindata import joined_inputs

    every = list(rows) + list(stored_rows)
    return fit_lexical(joined_inputs(rows, config), {t: [r[t] for r in every] for t in ("target", "stance")},
                       ngrams=config.tfidf_ngrams, counts=counts if stored_rows else None, sample_weight=sample_weight)
