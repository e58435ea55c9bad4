"""Process-wide settings: rnnkit.set_matmul_precision runs bf16 products as the command line's
--bf16, for models loaded before or after; rnnkit.train gives back the precision and thread count
it found."""

import json
import pathlib
import subprocess

import pytest

import rnnkit

TEXT = "床前明月光，疑是地上霜。举头望明月，低头思故乡。春眠不觉晓，处处闻啼鸟。"
TRAIN_TEXT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / \
    "train_step_text.txt"

needs_bf16 = pytest.mark.skipif(not rnnkit.bf16_supported(),
                                reason="bf16 products need a CPU with AVX512_BF16")


@pytest.fixture
def settings():
    """One thread (the command line's summation order); f32 and the default threads after."""
    rnnkit.set_num_threads(1)
    yield
    rnnkit.set_matmul_precision("f32")
    rnnkit.set_num_threads(0)


def test_f32_is_the_default_and_other_names_are_errors():
    assert rnnkit.matmul_precision() == "f32"
    with pytest.raises(rnnkit.Error, match="'f32' or 'bf16', not 'fp16'"):
        rnnkit.set_matmul_precision("fp16")
    assert rnnkit.matmul_precision() == "f32"


@pytest.mark.skipif(rnnkit.bf16_supported(), reason="this CPU runs bf16 products")
def test_bf16_without_avx512_bf16_is_an_error():
    with pytest.raises(rnnkit.Error, match="AVX512_BF16"):
        rnnkit.set_matmul_precision("bf16")
    assert rnnkit.matmul_precision() == "f32"


def cli_perplexity(cli, model_path, text_path, *flags):
    out = subprocess.run([str(cli), "eval", "--model", str(model_path), "--text", str(text_path),
                          "--json", "--threads", "1", *flags],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["perplexity"]


@needs_bf16
def test_bf16_perplexity_equals_rnnkit_eval_bf16(shipped_model, rnnkit_cli, tmp_path, settings):
    text = tmp_path / "lines.txt"
    text.write_text(TEXT, encoding="utf-8")
    loaded_before = rnnkit.LanguageModel.load(shipped_model)
    f32 = loaded_before.perplexity(TEXT)
    rnnkit.set_matmul_precision("bf16")
    assert rnnkit.matmul_precision() == "bf16"
    bf16 = cli_perplexity(rnnkit_cli, shipped_model, text, "--bf16")
    assert loaded_before.perplexity(TEXT) == pytest.approx(bf16, rel=1e-9)
    assert rnnkit.LanguageModel.load(shipped_model).perplexity(TEXT) == pytest.approx(bf16,
                                                                                      rel=1e-9)
    assert bf16 != f32 and bf16 == pytest.approx(f32, rel=1e-3)
    rnnkit.set_matmul_precision("f32")
    assert loaded_before.perplexity(TEXT) == f32


def lm_run(out_dir, **options):
    return rnnkit.train("lm", text_path=TRAIN_TEXT, out_dir=out_dir, embedding=0, batch=2, bptt=4,
                        layers=1, hidden=8, steps=2, threads=1, **options)


@needs_bf16
def test_training_gives_the_precision_it_found_back(tmp_path, settings):
    lm_run(tmp_path / "bf16", bf16=True)
    assert rnnkit.matmul_precision() == "f32"
    rnnkit.set_matmul_precision("bf16")
    lm_run(tmp_path / "f32")
    assert rnnkit.matmul_precision() == "bf16"


def test_training_gives_the_thread_count_it_found_back(tmp_path, settings):
    rnnkit.set_num_threads(2)
    lm_run(tmp_path / "run")  # on one thread
    assert rnnkit.num_threads() == 2


def test_settings_are_refused_while_a_run_trains(tmp_path, settings):
    """Another thread's change would alter the run's products and be undone when it ends; the
    callback runs inside the run, as such a call would."""
    refused = []

    def change_settings(record):
        for call in (lambda: rnnkit.set_num_threads(2),
                     lambda: rnnkit.set_matmul_precision("f32")):
            with pytest.raises(rnnkit.Error, match="cannot change while a training run"):
                call()
            refused.append(record["step"] if "step" in record else None)

    lm_run(tmp_path / "run", callback=change_settings)
    assert refused
    rnnkit.set_num_threads(2)  # after the run: taken
    assert rnnkit.num_threads() == 2
