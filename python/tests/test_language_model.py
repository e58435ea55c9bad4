"""rnnkit.LanguageModel on the shipped Tang-poetry model, against the command line."""

import json
import struct
import subprocess

import pytest

import rnnkit

# The poem model knows no newline: lines of poems, run together.
LINES = "床前明月光，疑是地上霜。举头望明月，低头思故乡。春眠不觉晓，处处闻啼鸟。"


@pytest.fixture(scope="module")
def model(shipped_model):
    return rnnkit.LanguageModel.load(shipped_model)


@pytest.fixture
def pinned_threads():
    rnnkit.set_num_threads(1)  # the same summation order as the reference run below
    assert rnnkit.num_threads() == 1
    yield
    rnnkit.set_num_threads(0)


def test_vocab_and_config(model):
    vocab = model.vocab
    assert len(vocab) == model.config["vocab_size"] and len(set(vocab)) == len(vocab)
    assert "<START>" in vocab and "<EOP>" in vocab and "明" in vocab
    assert model.config["cell"] == "lstm"


def test_perplexity_equals_rnnkit_eval(model, shipped_model, rnnkit_cli, tmp_path,
                                       pinned_threads):
    text = tmp_path / "lines.txt"
    text.write_text(LINES, encoding="utf-8")
    out = subprocess.run([str(rnnkit_cli), "eval", "--model", str(shipped_model), "--text",
                          str(text), "--json", "--threads", "1"],
                         check=True, capture_output=True, text=True).stdout
    expected = json.loads(out)["perplexity"]
    assert 1 < expected < 1000
    assert model.perplexity(LINES) == pytest.approx(expected, rel=1e-9)


def test_seeded_generation_is_reproducible(model, pinned_threads):
    first = model.generate("床前明月光", n=40, seed=11)
    assert first == model.generate("床前明月光", n=40, seed=11)
    assert 0 < len(first) <= 40
    others = {model.generate("床前明月光", n=40, seed=s) for s in range(12, 16)}
    assert len(others | {first}) > 1  # the seed is used


def test_greedy_and_beam_generation(model):
    greedy = model.generate("春", n=12, temperature=0, seed=1)
    assert greedy == model.generate("春", n=12, temperature=0, seed=2)  # no draw
    assert greedy == model.generate("春", n=12, top_k=1, seed=3)  # only the best token is left
    assert greedy == model.generate("春", n=12, top_p=1e-6, seed=4)
    assert greedy == model.generate("春", n=12, beam=1)  # width 1 is greedy decoding
    assert len(model.generate("春", n=12, beam=4)) <= 12
    with pytest.raises(rnnkit.Error, match="beam search .* draws nothing"):
        model.generate("春", n=12, beam=4, seed=3)  # a seed would do nothing


def test_save_and_load_keep_the_model(model, tmp_path, pinned_threads):
    path = tmp_path / "copy.safetensors"
    model.save(path)
    copy = rnnkit.LanguageModel.load(path)
    assert copy.vocab == model.vocab and copy.config == model.config
    # The shipped file is float16, the copy float32: the same values, exactly.
    assert copy.perplexity(LINES) == model.perplexity(LINES)


def stored_vocab(path):
    """The rnnkit.vocab metadata of a safetensors file, read without rnnkit."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(json.loads(f.read(length))["__metadata__"]["rnnkit.vocab"])


def test_vocab_file_replaces_the_stored_one(shipped_model, tmp_path):
    vocab = stored_vocab(shipped_model)
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps(vocab), encoding="utf-8")
    assert rnnkit.LanguageModel.load(shipped_model, vocab=path).vocab == vocab["tokens"]
    vocab["tokens"].append("\N{SNOWMAN}")
    path.write_text(json.dumps(vocab), encoding="utf-8")
    with pytest.raises(rnnkit.Error, match="8703"):
        rnnkit.LanguageModel.load(shipped_model, vocab=path)
    # Other tokens than the model's would read every id as another one.
    vocab["tokens"] = vocab["tokens"][-2::-1]
    path.write_text(json.dumps(vocab), encoding="utf-8")
    with pytest.raises(rnnkit.Error, match="has other tokens than the one .* holds"):
        rnnkit.LanguageModel.load(shipped_model, vocab=path)


def test_a_quantized_model_loads_and_agrees_with_the_command_line(model, shipped_model,
                                                                  rnnkit_cli, tmp_path,
                                                                  pinned_threads):
    quantized = tmp_path / "tang_int8.safetensors"
    subprocess.run([str(rnnkit_cli), "quantize", str(shipped_model), str(quantized)], check=True,
                   capture_output=True)
    int8 = rnnkit.LanguageModel.load(quantized)
    assert int8.vocab == model.vocab and int8.config == model.config
    text = tmp_path / "lines.txt"
    text.write_text(LINES, encoding="utf-8")
    out = subprocess.run([str(rnnkit_cli), "eval", "--model", str(quantized), "--text",
                          str(text), "--json", "--threads", "1"],
                         check=True, capture_output=True, text=True).stdout
    assert int8.perplexity(LINES) == pytest.approx(json.loads(out)["perplexity"], rel=1e-9)
    assert int8.perplexity(LINES) == pytest.approx(model.perplexity(LINES), rel=0.01)
    assert int8.perplexity(LINES) != model.perplexity(LINES)
    assert int8.generate("床前明月光", n=20, temperature=0) == \
        model.generate("床前明月光", n=20, temperature=0)
