"""Bad input raises rnnkit.Error (a ValueError) or rnnkit.UnknownTokenError, never crashes."""

import re

import numpy as np
import pytest

import rnnkit


@pytest.fixture(scope="module")
def model(shipped_model):
    return rnnkit.LanguageModel.load(shipped_model)


def test_exception_types():
    assert issubclass(rnnkit.Error, ValueError)
    assert issubclass(rnnkit.UnknownTokenError, rnnkit.Error)
    assert issubclass(rnnkit.UnknownTokenError, KeyError)


def test_unknown_token(model):
    with pytest.raises(rnnkit.UnknownTokenError, match='"Z"') as caught:
        model.perplexity("床前Z明月光")
    assert str(caught.value).startswith("1 character")  # the message, not KeyError's repr of it
    with pytest.raises(KeyError):
        model.generate("Q", n=5, seed=1)


@pytest.mark.parametrize("path", ["/nonexistent/model.safetensors", __file__])
def test_unreadable_model_file(path):
    with pytest.raises(rnnkit.Error, match=re.escape(path)):
        rnnkit.LanguageModel.load(path)


@pytest.mark.parametrize("options,message", [
    ({"temperature": float("nan")}, "temperature"),
    ({"top_k": -1}, "top_k"),
    ({"top_p": 0.0}, "top_p"),
    ({"n": -2}, "-2"),
    ({"beam": 1000}, "beam"),
])
def test_bad_generation_options(model, options, message):
    with pytest.raises(rnnkit.Error, match=message):
        model.generate("春", **{"n": 5, "seed": 1, **options})


@pytest.mark.parametrize("seed,message", [
    (-1, r"seed must be in \[0, 2\*\*64\), got -1"),
    (2**64, "seed must be in"),
    (1.5, "seed must be a non-negative integer, got 1.5"),
    ("3", "seed must be a non-negative integer, got '3'"),
])
def test_bad_seeds(model, seed, message):
    with pytest.raises(rnnkit.Error, match=message):
        model.generate("春", n=5, seed=seed)
    with pytest.raises(rnnkit.Error, match=message):
        next(model.stream("春", n=5, seed=seed))
    with pytest.raises(rnnkit.Error, match=message):
        rnnkit.poem(model, start="春", seed=seed)


@pytest.mark.parametrize("call,message", [
    (lambda m: m.generate("春", n=5, top_k=2**31),
     r"top_k must be in \[-2\*\*31, 2\*\*31\), got 2147483648"),
    (lambda m: m.generate("春", n=5, beam=-2**31 - 1),
     r"beam must be in \[-2\*\*31, 2\*\*31\), got -2147483649"),
    (lambda m: m.generate("春", n=2**63), r"n must be in \[-2\*\*63, 2\*\*63\)"),
    (lambda m: next(m.stream("春", n=5, top_k=2**40)), "top_k must be in"),
    (lambda m: m.generate("春", n=5, top_k=1.5), "top_k must be an integer, got 1.5"),
    (lambda m: rnnkit.poem(m, start="春", form=2**31), "form must be in"),
    (lambda m: rnnkit.poem(m, start="春", lines=-2**40), "lines must be in"),
    (lambda m: m.perplexity("春\udc80"), r"text is not valid Unicode text: surrogates not "
                                         r"allowed at position 1 \('\\udc80'\)"),
    (lambda m: m.generate("\udc80", n=5), "prompt is not valid Unicode text"),
    (lambda m: rnnkit.poem(m, acrostic="春\ud800"), "acrostic is not valid Unicode text"),
])
def test_arguments_pybind11_would_refuse_by_signature_are_named(model, call, message):
    with pytest.raises(rnnkit.Error, match=message):
        call(model)


def test_largest_and_numpy_seeds(model):
    assert model.generate("春", n=5, seed=np.uint64(2**64 - 1)) == model.generate(
        "春", n=5, seed=2**64 - 1)


def test_perplexity_needs_two_tokens(model):
    with pytest.raises(rnnkit.Error, match="at least 2 tokens"):
        model.perplexity("春")


def test_save_to_an_impossible_path(model):
    with pytest.raises(rnnkit.Error):
        model.save("/nonexistent/dir/model.safetensors")


@pytest.mark.parametrize("threads", [-1, 100000, 2**40, -2**70])
def test_set_num_threads_out_of_range(threads):
    with pytest.raises(rnnkit.Error, match=str(threads)):
        rnnkit.set_num_threads(threads)


def test_set_num_threads_takes_any_integer():
    try:
        rnnkit.set_num_threads(np.int64(2))
        assert rnnkit.num_threads() == 2
    finally:
        rnnkit.set_num_threads(0)
    with pytest.raises(TypeError):
        rnnkit.set_num_threads(1.5)


@pytest.mark.parametrize("kwargs,message", [
    ({"num_layers": 0}, "num_layers"),
    ({"dropout": 1.0}, "dropout"),
    ({"proj_size": 4}, "proj_size"),
    ({"proj_size": -1}, "proj_size"),
    # Arguments of another type are named as rnnkit.Errors, not pybind11's TypeError.
    ({"proj_size": 2.0}, "proj_size must be an integer, got 2.0"),
    ({"dropout": "0.1"}, r"dropout must be a number in \[0, 1\), got '0.1'"),
    ({"dropout": None}, "dropout must be a number"),
    ({"device": "cuda"}, "device='cuda': rnnkit's modules run on the CPU"),
    ({"dtype": np.float64}, "dtype=.*float32 parameters"),
])
def test_bad_layer_options(kwargs, message):
    with pytest.raises(rnnkit.Error, match=message):
        rnnkit.nn.LSTM(3, 4, **kwargs)


def test_torch_s_factory_arguments_for_the_cpu_in_float32_are_taken():
    torch = pytest.importorskip("torch")
    for kwargs in ({"device": "cpu", "dtype": torch.float32}, {"device": torch.device("cpu")},
                   {"dtype": np.float32}):
        assert rnnkit.nn.GRU(3, 4, **kwargs).hidden_size == 4


def test_bad_sizes_and_state_dict_names_are_errors_not_type_errors():
    for make in (lambda: rnnkit.nn.LSTM(3.0, 4), lambda: rnnkit.nn.GRU(3, None),
                 lambda: rnnkit.nn.RNN(2**63, 4)):
        with pytest.raises(rnnkit.Error, match="(input|hidden)_size must be"):
            make()
    for bias in (True, False):
        with pytest.raises(rnnkit.Error, match="the names must be strings, got 0"):
            rnnkit.nn.GRU(3, 4, bias=bias).load_state_dict({0: np.zeros(3)})


def test_bias_false_refuses_bias_tensors():
    module = rnnkit.nn.GRU(3, 4, bias=False)
    state = rnnkit.nn.GRU(3, 4).state_dict()
    with pytest.raises(rnnkit.Error, match="bias=False.*has no bias_hh_l0, bias_ih_l0"):
        module.load_state_dict(state)


def test_bad_layer_sizes_and_cells():
    with pytest.raises(rnnkit.Error, match="hidden_size"):
        rnnkit.nn.GRU(3, 0)
    # 3 * 2**62 would wrap around to a negative number of gate rows.
    with pytest.raises(rnnkit.Error, match=r"hidden_size 4611686018427387904 is too large"):
        rnnkit.nn.GRU(3, 2**62)
    with pytest.raises(rnnkit.Error, match="shape too large"):
        rnnkit.nn.LSTM(3, 2**38)
    with pytest.raises(rnnkit.Error, match=r"num_layers must be in 1\.\.1024, got 1000000000"):
        rnnkit.nn.LSTM(3, 4, num_layers=10**9)
    with pytest.raises(rnnkit.Error, match="input_size"):
        rnnkit.nn.GRU(0, 3)
    with pytest.raises(rnnkit.Error, match="nonlinearity"):
        rnnkit.nn.RNN(3, 4, nonlinearity="sigmoid")


def test_bad_forward_input():
    lstm = rnnkit.nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(rnnkit.Error, match="3-D"):
        lstm(np.zeros(3, np.float32))
    with pytest.raises(rnnkit.Error, match=r"LSTM: input has shape \(5, 2, 4\), whose last "
                                           r"dimension should be input_size 3"):
        lstm(np.zeros((5, 2, 4), np.float32))
    with pytest.raises(rnnkit.Error, match=r"LSTM: input of shape \(0, 2, 3\) has no time steps"):
        lstm(np.zeros((0, 2, 3), np.float32))
    with pytest.raises(rnnkit.Error, match=r"LSTM: input of shape \(0, 3\) has no time steps"):
        lstm(np.zeros((0, 3), np.float32))
    with pytest.raises(rnnkit.Error, match=r"GRU: input of shape \(2, 0, 3\) has no time steps"):
        rnnkit.nn.GRU(3, 4, batch_first=True)(np.zeros((2, 0, 3), np.float32))
    with pytest.raises(rnnkit.Error, match=r"GRU: h_0 has shape \(1, 4\), expected \(1, 5\)"):
        rnnkit.nn.GRU(3, 5)(np.zeros((2, 3), np.float32), np.zeros((1, 4), np.float32))
    with pytest.raises(rnnkit.Error, match=r"h_0 has shape \(2, 2, 4\), expected \(2, 3, 4\)"):
        rnnkit.nn.RNN(3, 4, num_layers=2, batch_first=True)(np.zeros((3, 5, 3), np.float32),
                                                            np.zeros((2, 2, 4), np.float32))
    with pytest.raises(rnnkit.Error, match="not a float array"):
        lstm([["a", "b", "c"]])
    with pytest.raises(rnnkit.Error, match="tuple"):
        lstm(np.zeros((5, 2, 3)), np.zeros((2, 2, 4)))
    with pytest.raises(rnnkit.Error, match=r"LSTM: h_0 has shape \(2, 3, 4\), expected \(2, 2, 4\)"):
        lstm(np.zeros((5, 2, 3)), (np.zeros((2, 3, 4)), np.zeros((2, 2, 4))))
    with pytest.raises(rnnkit.Error, match="2-D"):
        lstm(np.zeros((5, 3)), (np.zeros((2, 1, 4)), np.zeros((2, 1, 4))))


def test_bad_state_dict_changes_nothing():
    gru = rnnkit.nn.GRU(3, 4)
    before = gru.state_dict()
    missing = dict(before)
    del missing["bias_hh_l0"]
    del missing["weight_hh_l0"]
    extra = {**before, "weight_hr_l0": np.zeros((2, 4)), "bias": np.zeros(4)}
    with pytest.raises(rnnkit.Error, match="missing: weight_hh_l0, bias_hh_l0"):
        gru.load_state_dict(missing)
    with pytest.raises(rnnkit.Error, match="unexpected: weight_hr_l0, bias"):
        gru.load_state_dict(extra, strict=True)
    with pytest.raises(rnnkit.Error, match="weight_ih_l0 has shape"):
        gru.load_state_dict({**before, "weight_ih_l0": np.zeros((12, 2))}, strict=False)
    with pytest.raises(rnnkit.Error, match="takes a mapping"):
        gru.load_state_dict(list(before.items()))
    for key, value in gru.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_a_state_dict_loads_partly_without_strict():
    """As torch's strict=False: the entries the module has are copied, the others reported."""
    gru = rnnkit.nn.GRU(3, 4)
    before = gru.state_dict()
    ones = np.ones((12, 3), dtype=np.float32)
    keys = gru.load_state_dict({"weight_ih_l0": ones, "weight_hr_l0": ones}, strict=False)
    assert keys.missing_keys == ["weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert keys.unexpected_keys == ["weight_hr_l0"]
    np.testing.assert_array_equal(gru.state_dict()["weight_ih_l0"], ones)
    np.testing.assert_array_equal(gru.state_dict()["weight_hh_l0"], before["weight_hh_l0"])
    assert gru.load_state_dict(before) == ([], [])


def test_a_biased_state_dict_loads_into_a_module_without_bias_without_strict():
    """As torch's: the biases are unexpected entries, the weights are copied."""
    torch = pytest.importorskip("torch")
    source = torch.nn.LSTM(3, 4)
    reference = torch.nn.LSTM(3, 4, bias=False)
    module = rnnkit.nn.LSTM(3, 4, bias=False)
    assert repr(module.load_state_dict(source.state_dict(), strict=False)) == repr(
        reference.load_state_dict(source.state_dict(), strict=False))
    np.testing.assert_array_equal(module.state_dict()["weight_hh_l0"],
                                  source.state_dict()["weight_hh_l0"].numpy())
    assert "bias_ih_l0" not in module.state_dict()


def test_load_state_dict_answers_as_torch_at_the_prompt():
    """What an interactive session echoes is torch's text for the same outcome."""
    torch = pytest.importorskip("torch")
    reference = torch.nn.GRU(3, 4)
    gru = rnnkit.nn.GRU(3, 4)
    assert repr(gru.load_state_dict(reference.state_dict())) == repr(
        reference.load_state_dict(reference.state_dict()))
    partial = {"weight_ih_l0": reference.state_dict()["weight_ih_l0"], "extra": torch.ones(1)}
    assert repr(gru.load_state_dict(partial, strict=False)) == repr(
        reference.load_state_dict(partial, strict=False))


def test_model_paths_are_paths(model, tmp_path):
    with pytest.raises(TypeError):
        rnnkit.LanguageModel.load(None)
    with pytest.raises(ValueError, match="null byte"):
        model.save(str(tmp_path / "a.safetensors") + "\0junk")
    assert not (tmp_path / "a.safetensors").exists()
    model.save(bytes(tmp_path / "b.safetensors"))  # a bytes path, as Python's open() takes
    assert rnnkit.LanguageModel.load(tmp_path / "b.safetensors").vocab == model.vocab


def test_numpy_integer_layer_sizes():
    assert rnnkit.nn.LSTM(4, 4, num_layers=np.int64(2)).num_layers == 2
    with pytest.raises(rnnkit.Error, match="num_layers"):
        rnnkit.nn.LSTM(4, 4, num_layers=2.0)
