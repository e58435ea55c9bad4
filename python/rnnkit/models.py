"""rnnkit.Seq2seq, rnnkit.Classifier and rnnkit.Forecaster: model files of ``rnnkit seq2seq`` /
``classify`` / ``forecast train``."""

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import numpy as np

from . import _arguments
from ._paths import _path
from ._rnnkit import ClassifierHandle, Error, ForecasterHandle, Seq2seqHandle
from .training import _options

Path = Union[str, os.PathLike]


class Seq2seq:
    """An encoder-decoder that answers questions (e.g. "16+75" -> "91"). One call at a time per
    object (the GIL is released while it computes)."""

    def __init__(self, handle: Seq2seqHandle) -> None:
        self._handle = handle

    @classmethod
    def load(cls, path: Path) -> "Seq2seq":
        """Reads a model file or a run directory (its best.safetensors, else last)."""
        return cls(Seq2seqHandle.load(_path(path)))

    def predict(self, questions: Iterable[str], beam: int = 1) -> list[str]:
        """The answer to each question, as ``rnnkit seq2seq predict``: greedy decoding for
        beam 1, else the most probable answer a beam of that width finds."""
        return self._handle.predict(_arguments.texts(questions, "questions"),
                                    _arguments.integer(beam, "beam", 64))


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
        return cls(ClassifierHandle.load(_path(path)))

    @property
    def labels(self) -> list[str]:
        """The class names in id order."""
        return self._handle.labels

    def predict(self, texts: Iterable[str]) -> list[Prediction]:
        """The label of each text with the probabilities of all labels, as ``rnnkit classify
        predict --probabilities``."""
        labels = self.labels
        predictions = []
        for best, row in self._handle.predictions(_arguments.texts(texts, "texts")):
            predictions.append(Prediction(labels[best], dict(zip(labels, row))))
        return predictions


# Series for a Forecaster: a CSV file (as ``--data``) or a mapping from series names to 1-D
# values, such as a dict of lists or NumPy arrays or a pandas DataFrame (NaN: a missing value).
Series = Union[Path, Any]


def _float_column(values: Any) -> np.ndarray:
    """`values` as float64, a pandas missing value (pd.NA of a nullable column, NaT) as NaN."""
    to_numpy = getattr(values, "to_numpy", None)
    if to_numpy is not None:
        try:
            return np.asarray(to_numpy(dtype=np.float64, na_value=np.nan))
        except TypeError:  # a to_numpy without na_value (NumPy-like, not pandas)
            pass
    return np.asarray(values, dtype=np.float64)


def _series(data: Series, names: list[str], what: str) -> Union[str, list[np.ndarray]]:
    """A CSV path as it is, else the values of `names` from the mapping, in that order."""
    if isinstance(data, (str, bytes, os.PathLike)):
        return _path(data)
    if not hasattr(data, "keys"):  # a dict, a pandas DataFrame
        raise Error(f"{what} is a CSV file's path or a mapping from series names to values, "
                    f"not {type(data).__name__}")
    columns = []
    for name in names:
        try:
            values = data[name]
        except (KeyError, IndexError):
            raise Error(f"{what} has no series {name!r} (the model reads "
                        f"{', '.join(names)})") from None
        if np.iscomplexobj(values):
            raise Error(f"{what} series {name!r} is complex; a series is real numbers")
        try:
            column = _float_column(values)
        except (TypeError, ValueError) as e:
            raise Error(f"{what} series {name!r} is not numbers: {e}") from None
        if column.ndim != 1:
            raise Error(f"{what} series {name!r} must be one-dimensional, got shape "
                        f"{column.shape}")
        columns.append(column)
    return columns


@dataclass
class Forecast:
    steps: np.ndarray  # [H] the row index of each forecast step (the series' rows are 0..n-1)
    point: dict[str, np.ndarray]  # each target's point forecast [H], in the series' units
    # Quantile models: each target's quantiles by name ("p10": [H]); else empty.
    quantiles: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


class Forecaster:
    """A time-series forecaster (``rnnkit forecast train``). One call at a time per object."""

    def __init__(self, handle: ForecasterHandle) -> None:
        self._handle = handle

    @classmethod
    def load(cls, path: Path) -> "Forecaster":
        """Reads a model file or a run directory (its best.safetensors, else last)."""
        return cls(ForecasterHandle.load(_path(path)))

    @property
    def targets(self) -> list[str]:
        """The series forecast, in order."""
        return self._handle.targets

    @property
    def covariates(self) -> list[str]:
        """The series known in advance that the model reads (predict needs their future)."""
        return self._handle.covariates

    @property
    def context(self) -> int:
        """How many past steps a forecast reads."""
        return self._handle.context

    @property
    def horizon(self) -> int:
        """How many steps a forecast has."""
        return self._handle.horizon

    @property
    def quantile_names(self) -> list[str]:
        """The names of a quantile model's quantiles ("p10", ...); empty for other losses."""
        return self._handle.quantile_names

    def predict(self, data: Series, future: Optional[Series] = None,
                fill: str = "none") -> Forecast:
        """The `horizon` steps after the last row of `data`, as ``rnnkit forecast predict``.
        `data` holds the targets and covariates (a CSV path or a mapping from names to values);
        `future` the covariates of the forecast steps, for a model that reads some. `fill`
        ("none", "previous" or "linear") fills the missing values of both."""
        names = self.targets + self.covariates
        if self.covariates and future is None:
            raise Error(f"the model reads the covariates {', '.join(self.covariates)}: future= "
                        f"must give them for the {self.horizon} forecast steps")
        if not self.covariates and future is not None:
            raise Error("the model reads no covariates: future= is not needed")
        source = _series(data, names, "data")
        ahead = None if future is None else _series(future, self.covariates, "future")
        first, point, quantiles = self._handle.predict(source, ahead, fill)
        H, K, q_names = self.horizon, len(self.targets), self.quantile_names
        points = np.asarray(point).reshape(H, K)
        forecast = Forecast(np.arange(first, first + H),
                            {name: points[:, k].copy() for k, name in enumerate(self.targets)})
        if q_names:
            values = np.asarray(quantiles).reshape(H, K, len(q_names))
            forecast.quantiles = {name: {q: values[:, k, i].copy()
                                         for i, q in enumerate(q_names)}
                                  for k, name in enumerate(self.targets)}
        return forecast

    def evaluate(self, data: Series, fill: str = "none", *,
                 valid_fraction: Optional[float] = None, test_fraction: Optional[float] = None,
                 season: Optional[int] = None, origin_step: Optional[int] = None) -> dict:
        """Rolling-origin test scores of the model and of the naive, seasonal naive and drift
        baselines, as ``rnnkit forecast eval --json`` prints them: {"origins": [...],
        "forecasters": [{"forecaster": "model", "series": [{"series", "count", "mae", "rmse",
        "smape", "mase", "coverage"}]}, ...]} (None for a score that is undefined). The split,
        season and origin step are the training run's unless given."""
        given = {key: value for key, value in (("valid_fraction", valid_fraction),
                                                ("test_fraction", test_fraction),
                                                ("season", season), ("origin_step", origin_step))
                 if value is not None}
        source = _series(data, self.targets + self.covariates, "data")
        scoring = json.dumps(_options(given, "Forecaster.evaluate"))
        try:
            return json.loads(self._handle.evaluate(source, fill, scoring))
        except Error as e:
            keywords = {"--" + key.replace("_", "-"): key for key in
                        ("valid_fraction", "test_fraction", "season", "origin_step")}
            raise _arguments.in_python_terms(e, keywords)
