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


def hashed_counts(texts: Sequence[str], buckets: int, ngrams: int = 2):
    """Counts of words (and word pairs) hashed into `buckets` columns, tokenized as the TF-IDF vectorizer does:
    a fixed feature space with no vocabulary, so what is kept holds no fragment of the text."""
    from sklearn.feature_extraction.text import HashingVectorizer

    hasher = HashingVectorizer(n_features=buckets, ngram_range=(1, ngrams), alternate_sign=False, norm=None)
    return hasher.transform(list(texts)).tocsr()


@dataclass
class HashedTfidf:
    """TF-IDF over hashed words (and pairs): sklearn's HashingVectorizer counts weighed by a fitted IDF."""

    buckets: int
    ngrams: int
    idf_: object

    def transform_counts(self, counts):
        from sklearn.feature_extraction.text import TfidfTransformer

        transformer = TfidfTransformer(sublinear_tf=True)
        transformer.idf_ = self.idf_
        return transformer.transform(counts)

    def transform(self, texts: Sequence[str]):
        return self.transform_counts(hashed_counts(texts, self.buckets, self.ngrams))


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

        if isinstance(self.vectorizer, HashedTfidf):  # stored bucket counts are in the model's own columns
            features = self.vectorizer.transform_counts(counts)
        else:
            index = self.vectorizer.vocabulary_
            coo = counts.tocoo()
            keep = np.array([vocabulary[c] in index for c in coo.col], dtype=bool)
            cols = np.array([index[vocabulary[c]] for c in coo.col[keep]], dtype=np.int64)
            mapped = sp.csr_matrix((coo.data[keep], (coo.row[keep], cols)), shape=(counts.shape[0], len(index)))
            transformer = TfidfTransformer(sublinear_tf=True)
            transformer.idf_ = self.vectorizer.idf_
            features = transformer.transform(mapped)
        classes, coef, intercept = self.heads[task]
        scores = features @ coef.T + intercept
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

        if isinstance(self.vectorizer, HashedTfidf):
            # only the buckets some training statement filled carry weight: keep those columns (float32)
            active = np.flatnonzero(sum(np.abs(np.asarray(coef)).sum(0) for _, coef, _ in self.heads.values()))
            arrays = {"idf": np.asarray(self.vectorizer.idf_, dtype=np.float32)[active], "active": active.astype(np.int32)}
            meta = {"hashed": {"buckets": self.vectorizer.buckets, "ngrams": self.vectorizer.ngrams,
                               "idf_default": float(np.max(self.vectorizer.idf_))}, "classes": {}}
            for task, (classes, coef, intercept) in self.heads.items():
                meta["classes"][task] = list(classes)
                arrays[f"{task}.coef"] = np.ascontiguousarray(np.asarray(coef)[:, active], dtype=np.float32)
                arrays[f"{task}.intercept"] = np.asarray(intercept, dtype=np.float64)
            save_file(arrays, str(Path(directory) / ARRAYS_FILE))
            (Path(directory) / JSON_FILE).write_text(json.dumps(meta, ensure_ascii=False) + "\n", encoding="utf-8")
            return
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
                sample_weight: Optional[Sequence[float]] = None, buckets: int = 0) -> LexicalModel:
    """Fit the vectorizer on `texts` and one balanced logistic regression per task in `labels`.

    `counts`: optional (sparse word counts, vocabulary) of further rows, kept without their text; their
    labels follow the texts' in `labels` (and in `sample_weight`). With counts the model reads single words
    (`ngrams` must be 1), on the union of both vocabularies. `buckets` > 0: words (and pairs) hashed into that
    many columns instead of a vocabulary (stored counts must be bucket counts of the same hashing).
    """
    from sklearn.linear_model import LogisticRegression

    if buckets:
        vectorizer, features = _fit_hashed(texts, counts, ngrams, buckets)
    elif counts is None:
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


def _fit_hashed(texts: Sequence[str], counts, ngrams: int, buckets: int):
    """A hashed TF-IDF fitted on texts and stored bucket counts, and the features of both (texts first)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer

    from stance.errors import StanceError

    blocks = [hashed_counts(texts, buckets, ngrams)] if texts else []
    if counts is not None:
        stored = counts[0]
        if stored.shape[1] != buckets:
            raise StanceError(f"stored counts have {stored.shape[1]} hash buckets, the config {buckets} (tfidf_buckets); "
                              "expected feature sets hashed like the config")
        blocks.append(stored)
    every = sp.vstack(blocks).tocsr()
    transformer = TfidfTransformer(sublinear_tf=True).fit(every)
    return HashedTfidf(buckets, ngrams, transformer.idf_), transformer.transform(every)


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
    if "hashed" in meta:
        return _load_hashed(meta, arrays)
    vectorizer = _vectorizer({term: i for i, term in enumerate(meta["vocabulary"])}, ngrams=int(meta.get("ngrams", 2)))
    vectorizer.idf_ = arrays["idf"]
    heads = {task: (classes, arrays[f"{task}.coef"], arrays[f"{task}.intercept"]) for task, classes in meta["classes"].items()}
    return LexicalModel(vectorizer, heads)


def _load_hashed(meta: dict, arrays: dict) -> LexicalModel:
    """A hashed LexicalModel from its active columns (the others weigh nothing)."""
    import numpy as np

    buckets, active = int(meta["hashed"]["buckets"]), arrays["active"].astype(np.int64)
    idf = np.full(buckets, float(meta["hashed"]["idf_default"]), dtype=np.float64)
    idf[active] = arrays["idf"]
    heads = {}
    for task, classes in meta["classes"].items():
        coef = np.zeros((arrays[f"{task}.coef"].shape[0], buckets), dtype=np.float64)
        coef[:, active] = arrays[f"{task}.coef"]
        heads[task] = (classes, coef, arrays[f"{task}.intercept"])
    return LexicalModel(HashedTfidf(buckets, int(meta["hashed"]["ngrams"]), idf), heads)


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
                       ngrams=config.tfidf_ngrams, counts=counts if stored_rows else None, sample_weight=sample_weight,
                       buckets=config.tfidf_buckets)
