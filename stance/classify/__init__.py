"""Classification: the fine-tunable two-head transformer (target and stance), its model input, the
off-topic relevance gate, the lexical and embedding heads, and loading a trained model for prediction.

Importing this package does not import torch; loading a model does.
"""

from stance.classify.predict import Classifier, load_classifier, predict_file, read_meta

__all__ = ["Classifier", "load_classifier", "predict_file", "read_meta"]
