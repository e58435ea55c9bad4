"""rnnkit.nn against torch.nn: the same parameters give the same outputs and final states."""

import itertools

import numpy as np
import pytest

import rnnkit

torch = pytest.importorskip("torch")

TOLERANCE = 1e-5
# (rnnkit/torch class name, constructor keywords)
CELLS = {
    "rnn_tanh": ("RNN", {"nonlinearity": "tanh"}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
    "lstm_proj": ("LSTM", {"proj_size": 3}),
}
INPUT, HIDDEN, STEPS, BATCH = 5, 7, 6, 3


def make_pair(cell, **kwargs):
    """A torch module and an rnnkit module holding the torch module's parameters."""
    name, extra = CELLS[cell]
    kwargs = {**extra, **kwargs}
    reference = getattr(torch.nn, name)(INPUT, HIDDEN, **kwargs)
    module = getattr(rnnkit.nn, name)(INPUT, HIDDEN, **kwargs)
    module.load_state_dict(reference.state_dict())  # torch tensors are accepted as they are
    return reference, module


def random_state(reference, batch, rng):
    """hx as torch takes it, NumPy, for a module and batch size (None: no batch dimension)."""
    directions = 2 if reference.bidirectional else 1
    size = reference.proj_size if getattr(reference, "proj_size", 0) else reference.hidden_size
    lead = (reference.num_layers * directions,) + ((batch,) if batch is not None else ())
    h = rng.standard_normal(lead + (size,)).astype(np.float32)
    if isinstance(reference, torch.nn.LSTM):
        return h, rng.standard_normal(lead + (reference.hidden_size,)).astype(np.float32)
    return h


def to_torch(hx):
    if isinstance(hx, tuple):
        return tuple(torch.from_numpy(s) for s in hx)
    return torch.from_numpy(hx)


def assert_close(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_close(a, b)
        return
    expected = theirs.detach().numpy()
    assert isinstance(ours, np.ndarray) and ours.dtype == np.float32
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("cell,layers,bidirectional,batch_first", itertools.product(
    CELLS, (1, 2, 3), (False, True), (False, True)))
def test_forward_matches_torch(cell, layers, bidirectional, batch_first):
    rng = np.random.default_rng(layers * 4 + bidirectional * 2 + batch_first)
    reference, module = make_pair(cell, num_layers=layers, bidirectional=bidirectional,
                                  batch_first=batch_first)
    shape = (BATCH, STEPS, INPUT) if batch_first else (STEPS, BATCH, INPUT)
    x = rng.standard_normal(shape).astype(np.float32)
    hx = random_state(reference, BATCH, rng)
    with torch.no_grad():
        expected_zero = reference(torch.from_numpy(x))
        expected = reference(torch.from_numpy(x), to_torch(hx))
    assert_close(module(x), expected_zero)
    assert_close(module(x, hx), expected)


@pytest.mark.parametrize("cell,bidirectional", itertools.product(CELLS, (False, True)))
def test_bias_false_matches_torch(cell, bidirectional):
    rng = np.random.default_rng(11)
    reference, module = make_pair(cell, num_layers=2, bidirectional=bidirectional, bias=False)
    assert list(module.state_dict()) == list(reference.state_dict())  # no bias_* entries
    x = rng.standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
    hx = random_state(reference, BATCH, rng)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x), to_torch(hx))
    assert_close(module(x, hx), expected)


@pytest.mark.parametrize("cell,bidirectional", itertools.product(CELLS, (False, True)))
def test_unbatched_input_matches_torch(cell, bidirectional):
    rng = np.random.default_rng(7)
    reference, module = make_pair(cell, num_layers=2, bidirectional=bidirectional,
                                  batch_first=True)  # batch_first does not apply without a batch
    x = rng.standard_normal((STEPS, INPUT)).astype(np.float32)
    hx = random_state(reference, None, rng)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x), to_torch(hx))
    assert_close(module(x, hx), expected)


@pytest.mark.parametrize("cell,bidirectional,batch_first", itertools.product(
    CELLS, (False, True), (False, True)))
def test_a_batch_of_no_sequences_has_torchs_empty_outputs(cell, bidirectional, batch_first):
    rng = np.random.default_rng(5)
    reference, module = make_pair(cell, num_layers=2, bidirectional=bidirectional,
                                  batch_first=batch_first)
    x = np.zeros((0, STEPS, INPUT) if batch_first else (STEPS, 0, INPUT), np.float32)
    hx = random_state(reference, 0, rng)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x))
        expected_with_state = reference(torch.from_numpy(x), to_torch(hx))
    assert_close(module(x), expected)
    assert_close(module(x, hx), expected_with_state)


@pytest.mark.parametrize("cell,layers,bidirectional", itertools.product(
    CELLS, (1, 3), (False, True)))
def test_state_dict_matches_torch(cell, layers, bidirectional):
    name, extra = CELLS[cell]
    reference = getattr(torch.nn, name)(INPUT, HIDDEN, num_layers=layers,
                                        bidirectional=bidirectional, **extra)
    module = getattr(rnnkit.nn, name)(INPUT, HIDDEN, num_layers=layers,
                                      bidirectional=bidirectional, **extra)
    ours, theirs = module.state_dict(), reference.state_dict()
    assert list(ours) == list(theirs)  # names and order
    for key, value in theirs.items():
        assert ours[key].shape == tuple(value.shape), key
    # torch's initialisation: uniform in (-1/sqrt(H), 1/sqrt(H)). Every array within the bound
    # and not constant; the spread is judged over all values together, whose standard deviation
    # is bound/sqrt(3) = 0.577 bound (one array of 7 values may by chance lie close together).
    bound = 1 / np.sqrt(HIDDEN)
    for key, value in ours.items():
        assert np.all(np.abs(value) <= bound) and np.ptp(value) > 0, key
    pooled = np.concatenate([value.ravel() for value in ours.values()])
    assert 0.4 * bound < pooled.std() < 0.75 * bound

    # rnnkit -> torch (strict) gives torch the same function; torch -> rnnkit gives back the
    # same arrays.
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in ours.items()})
    x = np.random.default_rng(3).standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x))
    assert_close(module(x), expected)
    other = getattr(rnnkit.nn, name)(INPUT, HIDDEN, num_layers=layers,
                                     bidirectional=bidirectional, **extra)
    other.load_state_dict(reference.state_dict())
    for key, value in other.state_dict().items():
        np.testing.assert_array_equal(value, ours[key])


def test_dropout_applies_in_training_mode_only():
    reference, module = make_pair("lstm", num_layers=2, dropout=0.5)
    x = np.random.default_rng(5).standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
    assert module.training
    trained, _ = module(x)
    with torch.no_grad():
        expected = reference.eval()(torch.from_numpy(x))
    assert module.eval() is module and not module.training
    assert_close(module(x), expected)
    assert np.abs(trained - expected[0].numpy()).max() > 1e-3


def test_a_call_runs_a_subclass_s_forward():
    # As torch's Module.__call__ does; `__call__ = forward` in the base ran the base's forward.
    class NonNegative(rnnkit.nn.GRU):
        def forward(self, input, hx=None):
            y, h = super().forward(input, hx)
            return np.maximum(y, 0), h

    module = NonNegative(3, 4)
    x = np.random.default_rng(1).standard_normal((5, 2, 3)).astype(np.float32)
    y, _ = module(x)
    assert y.min() == 0
    np.testing.assert_array_equal(y, module.forward(x)[0])
