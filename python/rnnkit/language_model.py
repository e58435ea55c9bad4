"""rnnkit.LanguageModel: a model file of `rnnkit train` (safetensors with its vocabulary)."""

import atexit
import json
import operator
import os
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Optional, Union

from . import _arguments
from ._arrays import as_array
from ._paths import _path
from ._rnnkit import Error, LanguageModelHandle

Path = Union[str, os.PathLike]


def _seed(seed: Optional[int]) -> Optional[int]:
    """`seed` as the library takes it: None (a random one) or an integer (a NumPy one too) in
    [0, 2**64), as the command line's --seed; anything else an Error naming it."""
    if seed is None:
        return None
    try:
        value = operator.index(seed)
    except TypeError:
        raise Error(f"seed must be a non-negative integer, got {seed!r}") from None
    if not 0 <= value < 2**64:
        raise Error(f"seed must be in [0, 2**64), got {value}")
    return value


def _generation_arguments(prompt: str, n: int, top_k: int) -> tuple[str, int, int]:
    return (_arguments.text(prompt, "prompt"), _arguments.integer(n, "n", 64),
            _arguments.integer(top_k, "top_k"))


# The streams whose workers are running: stopped and joined at exit, before the interpreter ends
# its daemon threads. A worker ended there, inside the model's C++ loop, aborted the process.
_live_streams: "set[tuple[threading.Event, threading.Thread]]" = set()
_live_streams_lock = threading.Lock()


@atexit.register
def _stop_live_streams() -> None:
    with _live_streams_lock:
        streams = list(_live_streams)
    for stop, worker in streams:
        stop.set()
        worker.join()


def _what_a_module_tells(module: Any, inferred: dict[str, Any]) -> dict[str, Any]:
    """`inferred` (the configuration the tensor shapes give) with what a module says and its
    state_dict cannot: a plain RNN's nonlinearity, the dropout between its layers, and whether
    its output layer shares the embedding's weights."""
    told = dict(inferred)
    rnn = getattr(module, "rnn", None)
    if getattr(rnn, "nonlinearity", None) == "relu":
        told["cell"] = "rnn_relu"
    dropout = getattr(rnn, "dropout", 0)
    if isinstance(dropout, (int, float)) and dropout > 0 and told.get("num_layers", 1) > 1:
        told["dropout"] = float(dropout)
    embedding, fc = getattr(module, "embedding", None), getattr(module, "fc", None)
    shared = getattr(embedding, "weight", None)
    if shared is not None and getattr(fc, "weight", None) is shared:
        told["tie_weights"] = True
    return told


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
        return cls(LanguageModelHandle.load(_path(path), "" if vocab is None else _path(vocab)))

    @classmethod
    def from_torch(cls, module_or_state_dict: Any, vocab: Union[Sequence[str], Mapping[str, Any]],
                   config: Optional[Mapping[str, Any]] = None) -> "LanguageModel":
        """A model from a torch module of DESIGN.md's LM shape (``embedding`` / ``rnn`` / ``fc``)
        or its state_dict. `vocab`: the tokens in id order (a char-level vocabulary), or a dict
        in the rnnkit.vocab metadata format (level, tokens, specials, normalization). `config`:
        as ``LanguageModel.config``; None infers it from the tensor shapes (weights as untied, a
        plain RNN as tanh, no dropout) and, when a module is given, from the module: its plain
        RNN's nonlinearity, its dropout and whether ``fc`` shares ``embedding``'s weight."""
        state = module_or_state_dict
        if hasattr(state, "state_dict"):
            state = state.state_dict()
        if not isinstance(state, Mapping):
            raise Error("from_torch takes a torch module or its state_dict, got "
                        f"{type(module_or_state_dict).__name__}")
        tensors = {name: as_array(value, name) for name, value in state.items()}
        if isinstance(vocab, Mapping):
            vocab_json = json.dumps(dict(vocab))
        elif isinstance(vocab, Sequence) and not isinstance(vocab, str):
            vocab_json = json.dumps({"level": "char", "tokens": list(vocab)})
        else:
            raise Error("vocab is a list of tokens or an rnnkit.vocab dict, got "
                        f"{type(vocab).__name__}")
        config_json = "" if config is None else json.dumps(dict(config))
        handle = LanguageModelHandle.from_tensors(tensors, config_json, vocab_json)
        if config is None and hasattr(module_or_state_dict, "state_dict"):
            inferred = json.loads(handle.config_json)
            told = _what_a_module_tells(module_or_state_dict, inferred)
            if told != inferred:
                handle = LanguageModelHandle.from_tensors(tensors, json.dumps(told), vocab_json)
        return cls(handle)

    def to_torch_state_dict(self) -> dict[str, Any]:
        """The parameters under the torch LM module's state_dict names, as torch tensors (NumPy
        float32 arrays where torch is not installed): ``lm.load_state_dict(..., strict=True)``."""
        arrays = dict(self._handle.state_dict())
        try:
            import torch
        except ImportError:
            return arrays
        return {name: torch.from_numpy(array) for name, array in arrays.items()}

    def generate(self, prompt: str, n: int = 200, temperature: float = 0.8, top_k: int = 0,
                 top_p: float = 1.0, seed: Optional[int] = None, beam: int = 0) -> str:
        """The continuation of `prompt` (without the prompt): up to n tokens, fewer when the
        model ends the text (-1: until it does, at most 100000 tokens as on the command line). temperature <= 0 is greedy; top_k > 0 and
        top_p < 1 restrict the draw; the same seed gives the same text (None: a random one).
        beam = W >= 1 returns the most likely continuation by beam search of width W instead."""
        prompt, n, top_k = _generation_arguments(prompt, n, top_k)
        return self._handle.generate(prompt, n, temperature, top_k, top_p, _seed(seed),
                                     _arguments.integer(beam, "beam"))

    def stream(self, prompt: str, n: int = 200, temperature: float = 0.8, top_k: int = 0,
               top_p: float = 1.0, seed: Optional[int] = None) -> Iterator[str]:
        """As ``generate``, yielding the text piece by piece (a token at a time) as it is drawn.
        Leaving the loop early stops the generation."""
        seed = _seed(seed)
        prompt, n, top_k = _generation_arguments(prompt, n, top_k)
        pieces: "queue.Queue[Any]" = queue.Queue()
        stop = threading.Event()
        done = object()

        def on_piece(piece: str) -> bool:
            pieces.put(piece)
            return not stop.is_set()

        def work() -> None:
            try:
                self._handle.generate(prompt, n, temperature, top_k, top_p, seed, 0, on_piece)
            except BaseException as e:  # handed to the consumer, raised there
                pieces.put(_Failure(e))
            finally:
                pieces.put(done)

        worker = threading.Thread(target=work, name="rnnkit.stream", daemon=True)
        live = (stop, worker)
        with _live_streams_lock:
            _live_streams.add(live)
        worker.start()
        try:
            while (item := pieces.get()) is not done:
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            stop.set()
            worker.join()
            with _live_streams_lock:
                _live_streams.discard(live)

    def perplexity(self, text: str) -> float:
        """Perplexity of `text` read as one sequence from a zero state: ``rnnkit eval --text`` of
        a file of it (a leading byte order mark dropped, CRLF and a lone CR read as LF)."""
        return self._handle.perplexity(_arguments.text(text, "text"))

    def save(self, path: Path) -> None:
        """Writes the model and its vocabulary (float32 safetensors), atomically."""
        self._handle.save(_path(path))

    @property
    def vocab(self) -> list[str]:
        """The tokens in id order (specials included)."""
        return self._handle.vocab

    @property
    def config(self) -> dict[str, Any]:
        """The model's configuration (cell, sizes, layers) as a dict, as rnnkit.config stores it."""
        return json.loads(self._handle.config_json)

    @property
    def vocab_metadata(self) -> dict[str, Any]:
        """The vocabulary as the rnnkit.vocab metadata stores it (level, tokens, specials)."""
        return json.loads(self._handle.vocab_json)

    def __repr__(self) -> str:
        if not self._handle.path:
            return f"<rnnkit.LanguageModel {self.config['cell']} from tensors>"
        return f"LanguageModel.load({self._handle.path!r})"


class _Failure:
    """An exception of stream's worker thread, passed through its queue."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def poem(model: LanguageModel, start: str = "", acrostic: str = "", form: int = 0,
         lines: int = 0, rhyme: bool = False, tones: bool = False, style: str = "",
         temperature: float = 0.8, seed: Optional[int] = None) -> str:
    """A Tang poem by a char-level poem model, as ``rnnkit poem``: continuing `start` (a first
    line, or several lines) or an acrostic whose lines begin with the characters of `acrostic`;
    `form` 5 or 7 characters a line (0: the start's), `lines` (0: the acrostic's length, else
    4); `rhyme` and `tones` impose rhyme and the tonal template of regulated verse; `style`
    sets the mood unprinted. One couplet a line, each line ending in a newline."""
    return model._handle.poem(
        _arguments.text(start, "start"), _arguments.text(acrostic, "acrostic"),
        _arguments.integer(form, "form"), _arguments.integer(lines, "lines"), rhyme, tones,
        _arguments.text(style, "style"), temperature, _seed(seed))
