"""rnnkit from Python: torch.nn-compatible recurrent layers and rnnkit language models.

The work runs in rnnkit's C++ library (the extension module ``rnnkit._rnnkit``), with the GIL
released, so Python threads run models at once (one call at a time per object).

- ``rnnkit.nn.RNN / LSTM / GRU``: torch.nn's layers, on float32 NumPy arrays.
- ``rnnkit.LanguageModel``: a model file written by ``rnnkit train`` or a torch module
  (``from_torch``); generate, stream, perplexity, save, to_torch_state_dict.
- ``rnnkit.Seq2seq.load(path).predict(questions)``, ``rnnkit.Classifier.load(path).predict(texts)``.
- ``rnnkit.Forecaster.load(path)``: ``.predict(series, future=...)`` and ``.evaluate(series)``.
- ``rnnkit.poem(model, start=... | acrostic=...)``: Tang poems.
- ``rnnkit.train(family, **options)`` / ``rnnkit.train_options(family)``: the training engine.
- ``rnnkit.set_num_threads(n)`` / ``rnnkit.num_threads()``.
- ``rnnkit.set_matmul_precision("bf16")`` / ``rnnkit.matmul_precision()`` /
  ``rnnkit.bf16_supported()``: the command line's ``--bf16``, for the whole process.
- ``rnnkit.Error`` (a ValueError) for every bad input, ``rnnkit.UnknownTokenError`` (also a
  KeyError) for text the vocabulary cannot encode.
"""

from ._rnnkit import (Error, UnknownTokenError, bf16_supported, matmul_precision, num_threads,
                      set_matmul_precision, set_num_threads)
from . import nn
from .language_model import LanguageModel, poem
from .models import Classifier, Forecast, Forecaster, Prediction, Seq2seq
from .training import TrainResult, train, train_options

# Shown as rnnkit.Error in tracebacks, where users catch them.
Error.__module__ = UnknownTokenError.__module__ = __name__

__all__ = ["Classifier", "Error", "Forecast", "Forecaster", "LanguageModel", "Prediction",
           "Seq2seq", "TrainResult", "UnknownTokenError", "bf16_supported", "matmul_precision",
           "nn", "num_threads", "poem", "set_matmul_precision", "set_num_threads", "train",
           "train_options"]
