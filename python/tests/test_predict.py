"""rnnkit.Seq2seq and rnnkit.Classifier: predictions of trained runs, against the command line."""

import json
import random
import struct
import subprocess

import numpy as np
import pytest

import rnnkit
from test_train import TINY, addition_head


@pytest.fixture(scope="module")
def seq2seq_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("s2s")
    result = rnnkit.train("seq2seq", data=addition_head(tmp, 200), out_dir=tmp / "run", steps=30,
                          batch=16, embedding=8, lr=0.01, **TINY)
    return result.last


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cls")
    rng = random.Random(1)
    rows = [f"{'long' if n > 4 else 'short'}\t{'ab' * n}" for n in
            (rng.randint(1, 8) for _ in range(80))]
    (tmp / "data.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = rnnkit.train("classify", data=tmp / "data.tsv", out_dir=tmp / "run", steps=20,
                          batch=8, embedding=4, lr=0.02, **TINY)
    return result.last


def cli_lines(cli, *args):
    return subprocess.run([cli, *map(str, args), "--threads", "1"], capture_output=True,
                          text=True, check=True).stdout.splitlines()


QUESTIONS = ["16+75", "52+607", "1+1"]


@pytest.mark.parametrize("beam", [1, 3])
def test_seq2seq_answers_are_the_command_line_s(seq2seq_run, rnnkit_cli, beam):
    model = rnnkit.Seq2seq.load(seq2seq_run)
    answers = model.predict(QUESTIONS, beam=beam)
    assert len(answers) == 3 and all(isinstance(a, str) for a in answers)
    expected = cli_lines(rnnkit_cli, "seq2seq", "predict", "--model", seq2seq_run,
                         "--beam", beam, *QUESTIONS)
    assert answers == expected


def test_seq2seq_errors_name_the_question(seq2seq_run):
    model = rnnkit.Seq2seq.load(seq2seq_run)
    with pytest.raises(rnnkit.Error, match="question 1"):
        model.predict(["1+1", "1*1"])
    with pytest.raises(rnnkit.Error, match="list of strings"):
        model.predict("1+1")
    with pytest.raises(rnnkit.Error, match=r"questions\[1\] is not valid Unicode text"):
        model.predict(["1+1", "1\udc80"])
    with pytest.raises(rnnkit.Error, match=r"beam must be in \[-2\*\*63, 2\*\*63\)"):
        model.predict(["1+1"], beam=2**63)


def test_a_language_model_file_is_named_as_no_other_family(shipped_model):
    for load, family in ((rnnkit.Seq2seq.load, "seq2seq"), (rnnkit.Classifier.load, "classifier"),
                         (rnnkit.Forecaster.load, "forecasting")):
        with pytest.raises(rnnkit.Error, match=f"is not a {family} model|not a {family} model"):
            load(shipped_model)


def test_classifier_labels_and_probabilities(classifier_run, rnnkit_cli):
    model = rnnkit.Classifier.load(classifier_run)
    assert sorted(model.labels) == ["long", "short"]
    texts = ["ab", "abababababababab", "abab"]
    predictions = model.predict(texts)
    for p in predictions:
        assert sum(p.probabilities.values()) == pytest.approx(1, abs=1e-6)
        assert p.probabilities[p.label] == max(p.probabilities.values())
    expected = [line.split("\t") for line in cli_lines(
        rnnkit_cli, "classify", "predict", "--model", classifier_run, "--probabilities", *texts)]
    assert [p.label for p in predictions] == [label for label, _ in expected]
    assert [p.probabilities[p.label] for p in predictions] == \
        pytest.approx([float(prob) for _, prob in expected], rel=1e-5)
    with pytest.raises(rnnkit.Error, match="text 0"):
        model.predict(["abc"])
    with pytest.raises(rnnkit.Error, match=r"texts\[0\] is not valid Unicode text"):
        model.predict(["\udc80"])


def test_classifier_label_is_the_larger_logit_where_probabilities_round_equal(
        classifier_run, rnnkit_cli, tmp_path):
    # Logits 0.001 and the next float up: equal probabilities in float32, but "short" (label 1)
    # has the larger logit, and the command line names it.
    data = bytearray(open(classifier_run, "rb").read())
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])

    def overwrite(name, values):
        begin, end = header[name]["data_offsets"]
        assert header[name]["dtype"] == "F32"
        data[8 + length + begin:8 + length + end] = np.asarray(values, "<f4").tobytes()

    overwrite("fc.weight", np.zeros(header["fc.weight"]["shape"]))
    low = np.float32(0.001)
    overwrite("fc.bias", [low, np.nextafter(low, np.float32(1))])
    path = tmp_path / "tied.safetensors"
    path.write_bytes(bytes(data))
    p = rnnkit.Classifier.load(path).predict(["ab"])[0]
    assert p.probabilities["long"] == p.probabilities["short"]
    assert p.label == "short"
    assert cli_lines(rnnkit_cli, "classify", "predict", "--model", path, "ab") == ["short"]
