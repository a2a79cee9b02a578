"""Ingest: articles streamed from folders and files (text, JSONL, CSV, gzip, Parquet), cleaned, dated and
checked, with errors naming file and line."""

from stance.ingest.corpus import CorpusReader, load_corpus, make_article

__all__ = ["CorpusReader", "load_corpus", "make_article"]
