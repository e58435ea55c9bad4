"""rnnkit.nn modules survive pickle and copy.deepcopy: settings, mode and parameters."""

import copy
import pickle

import numpy as np
import pytest

import rnnkit

# (class, constructor keywords): every cell, and every setting the module keeps.
MODULES = [
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("LSTM", {"bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "dropout": 0.5}),
    ("GRU", {"bias": False, "bidirectional": True}),
]
INPUT, HIDDEN = 5, 7


def make(name, kwargs):
    return getattr(rnnkit.nn, name)(INPUT, HIDDEN, **kwargs)


def outputs(module, x):
    y, state = module(x)
    states = state if isinstance(state, tuple) else (state,)
    return [y, *states]


@pytest.mark.parametrize("name,kwargs", MODULES)
@pytest.mark.parametrize("clone", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_copy_keeps_settings_parameters_and_outputs(name, kwargs, clone):
    module = make(name, kwargs).eval()
    copied = clone(module)
    assert type(copied) is type(module) and repr(copied) == repr(module)
    assert not copied.training
    original = module.state_dict()
    assert list(copied.state_dict()) == list(original)
    for key, value in copied.state_dict().items():
        np.testing.assert_array_equal(value, original[key])
    x = np.random.default_rng(1).standard_normal((4, 3, INPUT)).astype(np.float32)
    for ours, theirs in zip(outputs(copied, x), outputs(module, x)):
        np.testing.assert_array_equal(ours, theirs)


def test_deepcopy_is_independent_of_the_original():
    module = make("GRU", {})
    copied = copy.deepcopy(module)
    before = module.state_dict()
    copied.load_state_dict({k: v + 1 for k, v in copied.state_dict().items()})
    copied.train(False)
    for key, value in module.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert module.training


def test_bias_false_copy_still_refuses_biases():
    copied = pickle.loads(pickle.dumps(make("LSTM", {"bias": False})))
    assert not any(name.startswith("bias_") for name in copied.state_dict())
    bias = {"bias_ih_l0": np.zeros(4 * HIDDEN, np.float32)}
    with pytest.raises(rnnkit.Error, match="bias=False"):
        copied.load_state_dict(bias)
    assert copied.load_state_dict(bias, strict=False).unexpected_keys == ["bias_ih_l0"]
