"""rnnkit.LanguageModel: a model file of `rnnkit train` (safetensors with its vocabulary)."""

import json
import os
from typing import Any, Optional, Union

from ._rnnkit import LanguageModelHandle

Path = Union[str, os.PathLike]


class LanguageModel:
    """A character- or word-level language model. Load one with ``LanguageModel.load(path)``.

    One call at a time per object (the GIL is released while it computes, and a second thread
    waits): threads that should generate at once each load their own.
    """

    def __init__(self, handle: LanguageModelHandle) -> None:
        self._handle = handle

    @classmethod
    def load(cls, path: Path, vocab: Optional[Path] = None) -> "LanguageModel":
        """Reads a .safetensors model file or a run directory (its best.safetensors, else
        last.safetensors). `vocab`: a vocabulary JSON file for a model file that holds none."""
        return cls(LanguageModelHandle.load(str(path), "" if vocab is None else str(vocab)))

    def generate(self, prompt: str, n: int = 200, temperature: float = 0.8, top_k: int = 0,
                 top_p: float = 1.0, seed: Optional[int] = None, beam: int = 0) -> str:
        """The continuation of `prompt` (without the prompt): up to n tokens, fewer when the
        model ends the text (-1: until it does). temperature <= 0 is greedy; top_k > 0 and
        top_p < 1 restrict the draw; the same seed gives the same text (None: a random one).
        beam = W >= 1 returns the most likely continuation by beam search of width W instead."""
        return self._handle.generate(prompt, n, temperature, top_k, top_p, seed, beam)

    def perplexity(self, text: str) -> float:
        """Perplexity of `text` read as one sequence from a zero state: ``rnnkit eval --text``."""
        return self._handle.perplexity(text)

    def save(self, path: Path) -> None:
        """Writes the model and its vocabulary (float32 safetensors), atomically."""
        self._handle.save(str(path))

    @property
    def vocab(self) -> list[str]:
        """The tokens in id order (specials included)."""
        return self._handle.vocab

    @property
    def config(self) -> dict[str, Any]:
        """The model's configuration (cell, sizes, layers) as a dict, as rnnkit.config stores it."""
        return json.loads(self._handle.config_json)

    def __repr__(self) -> str:
        return f"LanguageModel.load({self._handle.path!r})"
