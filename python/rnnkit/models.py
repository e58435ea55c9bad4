"""rnnkit.Seq2seq and rnnkit.Classifier: model files of ``rnnkit seq2seq`` / ``classify train``."""

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Union

from ._rnnkit import ClassifierHandle, Error, Seq2seqHandle

Path = Union[str, os.PathLike]


def _strings(values: Iterable[str], what: str) -> list[str]:
    if isinstance(values, str):
        raise Error(f"{what} is a list of strings, not one string")
    return list(values)


class Seq2seq:
    """An encoder-decoder that answers questions (e.g. "16+75" -> "91"). One call at a time per
    object (the GIL is released while it computes)."""

    def __init__(self, handle: Seq2seqHandle) -> None:
        self._handle = handle

    @classmethod
    def load(cls, path: Path) -> "Seq2seq":
        """Reads a model file or a run directory (its best.safetensors, else last)."""
        return cls(Seq2seqHandle.load(os.fspath(path)))

    def predict(self, questions: Iterable[str], beam: int = 1) -> list[str]:
        """The answer to each question, as ``rnnkit seq2seq predict``: greedy decoding for
        beam 1, else the most probable answer a beam of that width finds."""
        return self._handle.predict(_strings(questions, "questions"), beam)


@dataclass
class Prediction:
    label: str  # the most probable label
    probabilities: dict[str, float]  # every label's probability, in label order


class Classifier:
    """A many-to-one sequence classifier. One call at a time per object."""

    def __init__(self, handle: ClassifierHandle) -> None:
        self._handle = handle

    @classmethod
    def load(cls, path: Path) -> "Classifier":
        """Reads a model file or a run directory (its best.safetensors, else last)."""
        return cls(ClassifierHandle.load(os.fspath(path)))

    @property
    def labels(self) -> list[str]:
        """The class names in id order."""
        return self._handle.labels

    def predict(self, texts: Iterable[str]) -> list[Prediction]:
        """The label of each text with the probabilities of all labels, as ``rnnkit classify
        predict --probabilities``."""
        labels = self.labels
        predictions = []
        for row in self._handle.probabilities(_strings(texts, "texts")):
            best = max(range(len(row)), key=row.__getitem__)  # the first of equals, as the CLI
            predictions.append(Prediction(labels[best], dict(zip(labels, row))))
        return predictions
