"""rnnkit.LanguageModel: a model file of `rnnkit train` (safetensors with its vocabulary)."""

import json

from ._rnnkit import LanguageModelHandle


class LanguageModel:
    """A character- or word-level language model. Load one with ``LanguageModel.load(path)``.

    One call at a time per object (the GIL is released while it computes, and a second thread
    waits): threads that should generate at once each load their own.
    """

    def __init__(self, handle):
        self._handle = handle

    @classmethod
    def load(cls, path, vocab=None):
        """Reads a .safetensors model file or a run directory (its best.safetensors, else
        last.safetensors). `vocab`: a vocabulary JSON file for a model file that holds none."""
        return cls(LanguageModelHandle.load(str(path), "" if vocab is None else str(vocab)))

    def generate(self, prompt, n=200, temperature=0.8, top_k=0, top_p=1.0, seed=None, beam=0):
        """The continuation of `prompt` (without the prompt): up to n tokens, fewer when the
        model ends the text (-1: until it does). temperature <= 0 is greedy; top_k > 0 and
        top_p < 1 restrict the draw; the same seed gives the same text (None: a random one).
        beam = W >= 1 returns the most likely continuation by beam search of width W instead."""
        return self._handle.generate(prompt, n, temperature, top_k, top_p, seed, beam)

    def perplexity(self, text):
        """Perplexity of `text` read as one sequence from a zero state: ``rnnkit eval --text``."""
        return self._handle.perplexity(text)

    def save(self, path):
        """Writes the model and its vocabulary (float32 safetensors), atomically."""
        self._handle.save(str(path))

    @property
    def vocab(self):
        """The tokens in id order (specials included)."""
        return self._handle.vocab

    @property
    def config(self):
        """The model's configuration (cell, sizes, layers) as a dict, as rnnkit.config stores it."""
        return json.loads(self._handle.config_json)

    def __repr__(self):
        return f"LanguageModel.load({self._handle.path!r})"
