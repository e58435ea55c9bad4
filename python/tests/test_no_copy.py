"""rnnkit.nn reads inputs without copying where the layout allows (issue 13): a float32,
C-contiguous, float-aligned array is read in place; any other is converted once, in _rnnkit, and
gives the same output. _rnnkit._input_bytes_copied() counts what the conversions copied."""

import numpy as np
import pytest

import rnnkit
from rnnkit import _rnnkit

STEPS, BATCH, INPUT, HIDDEN, LAYERS = 6, 3, 5, 4, 2


class RecordingStack:
    """Stands in for a module's _rnnkit.RecurrentStack and keeps the arrays it is given."""

    def __init__(self, stack):
        self.stack = stack
        self.given = []

    def forward(self, x, h0, c0, training):
        self.given.append((x, h0, c0))
        return self.stack.forward(x, h0, c0, training)


def bytes_copied_by(call):
    before = _rnnkit._input_bytes_copied()
    result = call()
    return result, _rnnkit._input_bytes_copied() - before


def lstm(batch_first=False):
    """The same LSTM each call (seeded weights), recording what reaches _rnnkit."""
    module = rnnkit.nn.LSTM(INPUT, HIDDEN, num_layers=LAYERS, batch_first=batch_first).eval()
    rng = np.random.default_rng(2)
    module.load_state_dict({name: rng.uniform(-0.5, 0.5, value.shape).astype(np.float32)
                            for name, value in module.state_dict().items()})
    module._stack = RecordingStack(module._stack)
    return module


def example_input():
    return np.random.default_rng(0).standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)


def misaligned(array):
    """A C-contiguous float32 copy of `array` whose data starts 1 byte past a float's alignment."""
    buffer = np.zeros(array.nbytes + 4, np.uint8)
    start = (1 - buffer.ctypes.data) % 4
    view = buffer[start:start + array.nbytes].view(np.float32).reshape(array.shape)
    view[...] = array
    assert view.flags.c_contiguous and view.ctypes.data % 4 != 0
    return view


def strided(array):
    """A float32 copy of `array` that is not contiguous (every other element of a wider array)."""
    wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), np.float32)
    wide[..., ::2] = array
    view = wide[..., ::2]
    assert not view.flags.c_contiguous
    return view


def test_a_float32_c_contiguous_input_and_state_are_read_in_place():
    module = lstm()
    x = example_input()
    h0 = np.ones((LAYERS, BATCH, HIDDEN), np.float32)
    c0 = np.full((LAYERS, BATCH, HIDDEN), 0.5, np.float32)
    _, copied = bytes_copied_by(lambda: module(x, (h0, c0)))
    given = module._stack.given[-1]
    # The caller's memory reached _rnnkit, and _rnnkit copied none of it.
    assert [a.ctypes.data for a in given] == [x.ctypes.data, h0.ctypes.data, c0.ctypes.data]
    assert copied == 0


def test_an_unbatched_input_is_read_in_place():
    module = lstm()
    x = np.ascontiguousarray(example_input()[:, 0])
    _, copied = bytes_copied_by(lambda: module(x))
    assert module._stack.given[-1][0].ctypes.data == x.ctypes.data
    assert copied == 0


def test_a_cpu_torch_tensor_is_read_in_place():
    torch = pytest.importorskip("torch")
    module = lstm()
    x = torch.from_numpy(example_input())
    (y, _), copied = bytes_copied_by(lambda: module(x))
    assert module._stack.given[-1][0].ctypes.data == x.data_ptr()
    assert copied == 0
    np.testing.assert_array_equal(y, lstm()(example_input())[0])


@pytest.mark.parametrize("layout", [
    lambda x: x.astype(np.float64),
    strided,
    misaligned,
    np.asfortranarray,
], ids=["float64", "strided", "misaligned", "fortran-order"])
def test_other_layouts_are_converted_once_to_the_same_output(layout):
    module = lstm()
    x = example_input()
    (expected, _), copied_in_place = bytes_copied_by(lambda: module(x))
    other = layout(x)
    assert other.ctypes.data != x.ctypes.data
    (y, (h_n, c_n)), copied = bytes_copied_by(lambda: module(other))
    assert copied_in_place == 0
    assert copied == x.size * 4  # one float32 copy, made by _rnnkit (the caller's array reached it)
    assert module._stack.given[-1][0].ctypes.data == other.ctypes.data
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)


def test_batch_first_is_one_transposing_copy_to_the_same_output():
    x = example_input()
    expected, _ = lstm()(x)
    batch_major = np.ascontiguousarray(x.transpose(1, 0, 2))
    (y, _), copied = bytes_copied_by(lambda: lstm(batch_first=True)(batch_major))
    assert copied == x.size * 4
    np.testing.assert_allclose(y.transpose(1, 0, 2), expected, rtol=1e-6, atol=1e-7)


def test_state_dict_arrays_are_read_in_place_then_copied_into_the_weights():
    gru = rnnkit.nn.GRU(INPUT, HIDDEN)
    rng = np.random.default_rng(1)
    state = {name: rng.standard_normal(value.shape).astype(np.float32)
             for name, value in gru.state_dict().items()}
    _, copied = bytes_copied_by(lambda: gru.load_state_dict(state))
    assert copied == 0
    for value in state.values():
        value[...] = 0  # the module holds its own copy of the weights
    loaded = gru.state_dict()
    assert all(np.any(loaded[name] != 0) for name in state)

    as_float64 = {name: value.astype(np.float64) + 1 for name, value in loaded.items()}
    _, copied = bytes_copied_by(lambda: gru.load_state_dict(as_float64))
    assert copied == sum(value.size * 4 for value in loaded.values())
    for name, value in gru.state_dict().items():
        np.testing.assert_array_equal(value, (as_float64[name]).astype(np.float32))
