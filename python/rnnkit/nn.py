"""torch.nn.RNN, LSTM and GRU over float32 NumPy arrays, computed by rnnkit.

Same constructor arguments, parameter names and shapes, initialisation range, formulas and
output shapes as torch.nn, so torch's state_dict loads unchanged (rnnkit's holds NumPy arrays:
``{k: torch.from_numpy(v) for k, v in m.state_dict().items()}`` for torch) and the outputs agree
to float32 rounding. Modules start in training mode as torch's do (dropout between layers
applies); ``eval()`` turns it off.
"""

import numbers
import operator
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional, Union

import numpy as np
import numpy.typing as npt

from . import _arguments
from ._arrays import as_array
from ._rnnkit import Error, RecurrentStack

__all__ = ["RNN", "LSTM", "GRU"]

FloatArray = npt.NDArray[np.float32]
# An LSTM's state is (h, c); the other cells' is h.
State = Union[FloatArray, tuple[FloatArray, FloatArray]]


class IncompatibleKeys(NamedTuple):
    """What load_state_dict returns, as torch's: the module's names the state_dict lacked and
    the state_dict's names the module has not."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        # As torch's: an interactive session prints the same text for the same outcome.
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, "
                f"unexpected_keys={self.unexpected_keys!r})")


def _is_bias(name: str) -> bool:
    return name.startswith("bias_")


def _on_the_cpu_in_float32(device: Any, dtype: Any) -> None:
    """torch.nn's factory arguments, as code written for torch passes them: the CPU and float32
    are what these modules are; another device or dtype is an Error naming it."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise Error(f"device={device!r}: rnnkit's modules run on the CPU (device='cpu' or None)")
    if dtype is not None and dtype is not np.float32 and str(dtype) not in ("torch.float32",
                                                                            "float32"):
        raise Error(f"dtype={dtype!r}: rnnkit's modules hold float32 parameters (torch.float32, "
                    f"numpy.float32 or None)")


class _RNNBase:
    _name = ""

    def __init__(self, cell, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                 bidirectional, proj_size, device, dtype):
        _on_the_cpu_in_float32(device, dtype)
        input_size = _arguments.integer(input_size, "input_size", 64)
        hidden_size = _arguments.integer(hidden_size, "hidden_size", 64)
        proj_size = _arguments.integer(proj_size, "proj_size", 64)
        # torch's rule (a number, bool excluded), and its range but 1: a dropout of 1 would make
        # every layer above the first read zeros.
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            raise Error(f"dropout must be a number in [0, 1), got {dropout!r}")
        try:
            num_layers = operator.index(num_layers)  # an int, or a NumPy integer
        except TypeError:
            raise Error(f"num_layers must be an integer >= 1, got {num_layers!r}") from None
        if num_layers < 1:
            raise Error(f"num_layers must be an integer >= 1, got {num_layers!r}")
        if not 0.0 <= dropout < 1.0:
            raise Error(f"dropout must be in [0, 1), got {dropout!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = proj_size
        self.training = True
        self._cell = cell
        self._stack = RecurrentStack(cell, input_size, hidden_size, num_layers,
                                     self.bidirectional, self.dropout, proj_size)
        self.bias = bool(bias)
        if not self.bias:
            # rnnkit's layers always add b_ih and b_hh; these modules only run forward, so biases
            # held at zero compute exactly torch's bias=False formulas.
            self._stack.load_state_dict(
                {name: np.zeros_like(value) if _is_bias(name) else value
                 for name, value in self._stack.state_dict()})

    def __getstate__(self) -> dict[str, Any]:
        """pickle and copy.deepcopy carry the settings, the training flag and every parameter
        (a bias=False module's zero biases too); the engine is built again on unpickling. The
        dropout mask's random stream is not carried: a copy draws its own, as a new module."""
        state = {k: v for k, v in self.__dict__.items() if k != "_stack"}
        state["_parameters"] = dict(self._stack.state_dict())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        parameters = state.pop("_parameters")
        self.__dict__.update(state)
        self._stack = RecurrentStack(self._cell, self.input_size, self.hidden_size,
                                     self.num_layers, self.bidirectional, self.dropout,
                                     self.proj_size)
        self._stack.load_state_dict(parameters)

    def train(self, mode: bool = True) -> "_RNNBase":
        """Training mode (dropout between layers applies) or not; returns self, as torch."""
        self.training = bool(mode)
        return self

    def eval(self) -> "_RNNBase":
        """Inference mode: no dropout. Returns self."""
        return self.train(False)

    def state_dict(self) -> dict[str, FloatArray]:
        """{name: float32 array} with torch's names (weight_ih_l0, ..._reverse), in its order;
        without biases for bias=False, as torch."""
        return {name: value for name, value in self._stack.state_dict()
                if self.bias or not _is_bias(name)}

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> IncompatibleKeys:
        """Copies a state_dict in (NumPy arrays or torch tensors), as torch's: with `strict`
        (the default) a missing or unexpected entry is an rnnkit.Error naming them all; without,
        the entries this module has are copied and the others are left. A misshapen entry is
        an Error either way, and nothing changes. Returns the missing and unexpected keys."""
        if not isinstance(state_dict, Mapping):
            raise Error(f"{self._name}.load_state_dict takes a mapping of names to arrays, not "
                        f"{type(state_dict).__name__}")
        if not all(isinstance(name, str) for name in state_dict):
            raise Error(f"{self._name}.load_state_dict: the names must be strings, got "
                        f"{sorted(repr(n) for n in state_dict if not isinstance(n, str))[0]}")
        if not self.bias and strict:
            biases = sorted(name for name in state_dict if _is_bias(name))
            if biases:
                raise Error(f"{self._name}(bias=False) has no {', '.join(biases)}")
        current = self._stack.state_dict()
        names = [name for name, _ in current if self.bias or not _is_bias(name)]
        keys = IncompatibleKeys([name for name in names if name not in state_dict],
                                [name for name in state_dict if name not in names])
        if strict and (keys.missing_keys or keys.unexpected_keys):
            faults = [f"{what}: {', '.join(found)}" for what, found in
                      (("missing", keys.missing_keys), ("unexpected", keys.unexpected_keys))
                      if found]
            raise Error(f"{self._name}.load_state_dict: {'; '.join(faults)} (strict=False "
                        f"copies the entries this module has)")
        tensors = {name: as_array(state_dict[name], name) if name in state_dict else value
                   for name, value in current}
        if not self.bias:
            tensors.update({name: np.zeros_like(value) for name, value in current
                            if _is_bias(name)})
        self._stack.load_state_dict(tensors)
        return keys

    def forward(self, input: Any, hx: Optional[Any] = None) -> tuple[FloatArray, State]:
        """input [T, B, In] ([B, T, In] with batch_first) or unbatched [T, In]; hx the initial
        state (zeros when None), [L*D, B, S] or unbatched [L*D, S]; an LSTM takes (h_0, c_0).
        Returns (output, h_n), an LSTM (output, (h_n, c_n)), shaped as torch shapes them.
        A float32 C-contiguous input (a NumPy array or CPU torch tensor; time-major, or unbatched)
        is read in place, not copied: as with torch.from_numpy, do not write it from another
        thread during the call. Any other is converted once."""
        x = as_array(input, "input")
        if x.ndim not in (2, 3):
            raise Error(f"{self._name}: input must be 3-D (batched) or 2-D (unbatched), "
                        f"got shape {x.shape}")
        batched = x.ndim == 3
        # Checked in the caller's shape (batch_first, unbatched), which the engine does not see.
        if x.shape[-1] != self.input_size:
            raise Error(f"{self._name}: input has shape {x.shape}, whose last dimension should "
                        f"be input_size {self.input_size}")
        shape = x.shape
        if not batched:
            x = x[:, None, :]
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        if x.shape[0] == 0:
            raise Error(f"{self._name}: input of shape {shape} has no time steps")
        h0, c0 = self._initial_state(hx, batched, x.shape[1])
        # A batch of no sequences has outputs of no rows, as torch's.
        y, h_n, c_n = (self._stack.forward(x, h0, c0, self.training) if x.shape[1] > 0
                       else self._empty_batch_outputs(x.shape[0]))
        if not batched:
            y, h_n = y[:, 0], h_n[:, 0]
            c_n = None if c_n is None else c_n[:, 0]
        elif self.batch_first:
            y = np.ascontiguousarray(y.transpose(1, 0, 2))
        return (y, (h_n, c_n)) if c_n is not None else (y, h_n)

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[FloatArray, State]:
        # As torch's Module.__call__: a subclass's own forward is what a call runs.
        return self.forward(*args, **kwargs)

    def _empty_batch_outputs(self, steps):
        hidden = self.proj_size or self.hidden_size
        layers = self.num_layers * (2 if self.bidirectional else 1)
        y = np.zeros((steps, 0, hidden * (2 if self.bidirectional else 1)), np.float32)
        h_n = np.zeros((layers, 0, hidden), np.float32)
        c_n = np.zeros((layers, 0, self.hidden_size), np.float32) if self._cell == "lstm" else None
        return y, h_n, c_n

    def _initial_state(self, hx, batched, batch):
        if hx is None:
            return None, None
        hidden = self.proj_size or self.hidden_size
        if self._cell == "lstm":
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise Error("LSTM: hx must be a tuple (h_0, c_0)")
            return (self._state(hx[0], "h_0", batched, batch, hidden),
                    self._state(hx[1], "c_0", batched, batch, self.hidden_size))
        return self._state(hx, "h_0", batched, batch, hidden), None

    def _state(self, value, what, batched, batch, size):
        state = as_array(value, what)
        if state.ndim != (3 if batched else 2):
            raise Error(f"{self._name}: {what} must be {3 if batched else 2}-D for "
                        f"{'batched' if batched else 'unbatched'} input, got shape {state.shape}")
        layers = self.num_layers * (2 if self.bidirectional else 1)
        expected = (layers, batch, size) if batched else (layers, size)
        if state.shape != expected:
            raise Error(f"{self._name}: {what} has shape {state.shape}, expected {expected}")
        return state if batched else state[:, None, :]

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self._extra_repr().items())
        return f"{self._name}({self.input_size}, {self.hidden_size}{extra})"

    def _extra_repr(self):
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False, "proj_size": 0}
        return {k: getattr(self, k) for k, v in defaults.items() if getattr(self, k) != v}


class RNN(_RNNBase):
    """torch.nn.RNN: h_t = nonlinearity(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)."""

    _name = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise Error(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__("rnn_" + nonlinearity, input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, 0, device, dtype)

    def _extra_repr(self):
        extra = super()._extra_repr()
        if self.nonlinearity != "tanh":
            extra["nonlinearity"] = self.nonlinearity
        return extra


class LSTM(_RNNBase):
    """torch.nn.LSTM, gates (i, f, g, o); proj_size > 0 projects h to proj_size units."""

    _name = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None) -> None:
        super().__init__("lstm", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(_RNNBase):
    """torch.nn.GRU, gates (r, z, n), n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    _name = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("gru", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
