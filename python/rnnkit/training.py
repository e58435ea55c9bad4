"""rnnkit.train: the training engine of ``rnnkit train`` (and seq2seq / classify / forecast)."""

import atexit
import json
import math
import os
import pathlib
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional, Union

from . import _arguments, _rnnkit
from ._paths import _path
from ._rnnkit import Error

Path = Union[str, os.PathLike]
FAMILIES = ("lm", "seq2seq", "classify", "forecast")
# What a resumed run may change; everything else is the run's own (stored in state.bin).
RESUME_KEYS = ("epochs", "steps", "time_limit", "threads")

# The runs training now (on any thread), each an Event set when its call returns.
_live_runs: set[threading.Event] = set()
_live_runs_lock = threading.Lock()


# How long exit waits for runs left in daemon threads to stop: a step, and its checkpoint.
_EXIT_WAIT_S = 60.0


@atexit.register
def _stop_live_runs() -> None:
    """A run in a daemon thread outlives the main thread: stopped (with its checkpoint) and
    awaited here, as the interpreter would otherwise end it inside the engine (an abort). A run
    whose callback blocks (on the main thread that has ended) is waited for a minute, no more."""
    with _live_runs_lock:
        runs = list(_live_runs)
    if runs:
        _rnnkit.stop_training()
    deadline = time.monotonic() + _EXIT_WAIT_S
    for ended in runs:
        ended.wait(max(0.0, deadline - time.monotonic()))


def _forget_the_parents_runs() -> None:
    """A forked child trains none of its parent's runs (and must not wait for them at exit)."""
    global _live_runs_lock
    _live_runs.clear()
    _live_runs_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_the_parents_runs)


def train_options(family: str = "lm") -> list[dict[str, Any]]:
    """The options ``rnnkit.train(family, ...)`` takes, as dicts with the keys flag (on the
    command line), key (the keyword argument), default, help, group and choices."""
    return json.loads(_rnnkit.options_json(family))


@dataclass
class TrainResult:
    """What a training run left in its run directory."""

    run_dir: pathlib.Path
    steps: int  # optimiser steps in all (a resumed run counts those before it)
    epochs: int  # completed epochs
    interrupted: bool  # stopped by a signal; resume=run_dir continues it
    metrics: list[dict[str, Any]]  # metrics.jsonl, one dict a line

    @property
    def last(self) -> pathlib.Path:
        return self.run_dir / "last.safetensors"

    @property
    def best(self) -> Optional[pathlib.Path]:
        """best.safetensors, None when no validation ran."""
        path = self.run_dir / "best.safetensors"
        return path if path.exists() else None

    @property
    def state(self) -> pathlib.Path:
        return self.run_dir / "state.bin"


def _option_value(key: str, value: Any, where: str) -> Any:
    """An option as the engine's JSON takes it: a path as its text, a NumPy scalar (np.int64(8))
    as the number it holds, a list or tuple of names or numbers (covariates=["a", "b"]; NumPy
    numbers, as they print, and 1-D arrays too) as the comma-separated text the command line
    takes; Error for anything else that is not a finite number, a string or a bool, and
    ValueError for a NUL in a text (it would end a path early, as Python's open() refuses it)."""
    if isinstance(value, os.PathLike):
        value = _path(value)
    if hasattr(value, "dtype") and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if hasattr(value, "dtype") and hasattr(value, "tolist") and getattr(value, "ndim", 0) == 1:
        value = list(value)  # a 1-D NumPy array as the list of its NumPy numbers
    if isinstance(value, (list, tuple)):  # NumPy scalars as they print: np.float32(0.1) is 0.1
        value = [str(v) if getattr(getattr(v, "dtype", None), "kind", "b") in "iuf" else v
                 for v in value]
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        value = ",".join(str(v) for v in value)
    if isinstance(value, str) and "\0" in value:
        raise ValueError(f"{where}: embedded null byte in option {key!r}: {value!r}")
    valid = isinstance(value, (str, bool)) or (
        isinstance(value, (int, float)) and math.isfinite(value))
    if not valid:
        raise Error(f"{where}: option {key!r} must be a finite number, a string or a bool, got "
                    f"{value!r}")
    return value


def _options(options: dict[str, Any], where: str) -> dict[str, Any]:
    return {key: _option_value(key, value, where) for key, value in options.items()}


def train(family: str = "lm", *, resume: Optional[Path] = None,
          callback: Optional[Callable[[dict[str, Any]], Any]] = None,
          **options: Any) -> TrainResult:
    """Trains a model of `family` ("lm", "seq2seq", "classify" or "forecast") as the command
    line does; the keyword arguments are the option table's keys (``train_options(family)``),
    e.g. ``rnnkit.train("lm", text_path="a.txt", out_dir="run", steps=100)``. `resume`: a run
    directory to continue exactly where it stopped; only epochs, steps, time_limit and threads
    may then be given. `callback(record)` is called with every record written to
    metrics.jsonl, as it is written. The engine prints its progress on stderr (a live line when
    stderr is a terminal). Ctrl-C stops the run as it stops ``rnnkit train``: after the step,
    with a checkpoint, and the result's `interrupted` is True; so does a KeyboardInterrupt of
    the callback (for this run only); any other exception of the callback stops it at once,
    its last checkpoint kept. Either way `resume` continues it from that
    checkpoint; a run stopped before its first (``checkpoint_every`` steps, ``checkpoint_minutes``
    or the first epoch) has none, and its directory must be deleted to train into it again.
    Under mpirun every process trains its share (docs/DISTRIBUTED.md): the callback runs on
    rank 0, an exception of it stops every rank after the step and is then raised, and the
    result of a rank whose machine lacks the run directory holds no metrics."""
    if family not in FAMILIES:
        raise Error(f"unknown model family {family!r} (one of {', '.join(FAMILIES)})")
    options = _options(options, "rnnkit.train")
    allowed = RESUME_KEYS if resume is not None else [o["key"] for o in train_options(family)]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        what = "a resumed run takes only " + ", ".join(RESUME_KEYS) if resume is not None \
            else f"see rnnkit.train_options({family!r})"
        raise Error(f"unknown option{'s' if len(unknown) > 1 else ''} for {family}: "
                    f"{', '.join(unknown)} ({what})")
    if resume is not None:
        for key, value in options.items():
            number = (int, float) if key == "time_limit" else int
            if not isinstance(value, number) or isinstance(value, bool) or not 0 <= value < 2**63:
                raise Error(f"{key} of a resumed run is a non-negative number below 2**63, "
                            f"got {value!r}")
    if callback is not None and not callable(callback):
        raise Error(f"rnnkit.train: callback must be callable (or None), got {callback!r}")
    options_json = json.dumps(options)
    on_record = None if callback is None else (lambda line: callback(json.loads(line)))
    ended = threading.Event()
    with _live_runs_lock:
        _live_runs.add(ended)
    try:
        # Ctrl-C stops the run where Python's default SIGINT handling would raise
        # KeyboardInterrupt: on the main thread, the program's own handler (or SIG_IGN) absent.
        ctrl_c_stops = (threading.current_thread() is threading.main_thread()
                        and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        summary = json.loads(_rnnkit.train(family, options_json,
                                           "" if resume is None else _path(resume), on_record,
                                           ctrl_c_stops))
    except Error as e:
        keywords = {o["flag"]: o["key"] for o in train_options(family)}
        raise _arguments.in_python_terms(e, {**keywords, "--resume": "resume"})
    finally:
        with _live_runs_lock:
            _live_runs.discard(ended)
        ended.set()
    run_dir = pathlib.Path(summary["run_dir"])
    metrics_path = run_dir / "metrics.jsonl"
    # Under mpirun only rank 0 writes the run directory (docs/DISTRIBUTED.md): another rank's
    # machine may have none, and its result then holds no records.
    metrics = ([json.loads(line) for line in metrics_path.read_text().splitlines() if line]
               if metrics_path.exists() else [])
    return TrainResult(run_dir=run_dir, steps=summary["steps"], epochs=summary["epochs"],
                       interrupted=summary["stop_signal"] != 0, metrics=metrics)
