"""rnnkit.poem and LanguageModel.stream on the shipped Tang-poetry model."""

import subprocess
import sys
import threading

import pytest

import rnnkit


@pytest.fixture(scope="module")
def model(shipped_model):
    return rnnkit.LanguageModel.load(shipped_model)


def test_acrostic_has_its_form_and_matches_the_command_line(model, shipped_model, rnnkit_cli):
    text = rnnkit.poem(model, acrostic="春夏秋冬", seed=3)
    lines = [line for couplet in text.splitlines() for line in couplet.replace("，", "，\n")
             .splitlines()]
    assert [line[0] for line in lines] == list("春夏秋冬")
    assert all(len(line) == 6 for line in lines)  # five characters and their mark
    assert [line[-1] for line in lines] == ["，", "。", "，", "。"]
    cli = subprocess.run([rnnkit_cli, "poem", "--model", shipped_model, "--acrostic", "春夏秋冬",
                          "--seed", "3", "--threads", "1"], capture_output=True, text=True,
                         check=True).stdout
    rnnkit.set_num_threads(1)
    try:
        assert rnnkit.poem(model, acrostic="春夏秋冬", seed=3) == cli
    finally:
        rnnkit.set_num_threads(0)


def test_continued_start_line_with_rhyme_and_tones(model):
    text = rnnkit.poem(model, start="床前明月光", form=5, lines=4, rhyme=True, tones=True, seed=1)
    assert text.startswith("床前明月光，") and text.count("\n") == 2
    with pytest.raises(rnnkit.Error, match="acrostic"):
        rnnkit.poem(model, start="床前明月光", acrostic="春夏")


def test_stream_yields_the_text_of_generate_piece_by_piece(model):
    pieces = list(model.stream("床前明月光，", n=20, seed=7))
    assert len(pieces) > 1
    assert "".join(pieces) == model.generate("床前明月光，", n=20, seed=7)


def test_leaving_a_stream_early_stops_it_and_frees_the_model(model):
    stream = model.stream("床", n=-1, seed=1)
    first = [next(stream) for _ in range(3)]
    stream.close()
    assert not [t for t in threading.enumerate() if t.name == "rnnkit.stream"]
    assert model.generate("床", n=3, seed=1) == "".join(first)


def test_stream_raises_the_generation_error(model):
    with pytest.raises(rnnkit.UnknownTokenError):
        list(model.stream("xyz☃", n=5, seed=1))


def stdout_of_own_process(lines, model):
    """Runs `lines` (with `lm`, the model loaded) in a Python process of its own, which must exit
    0 within two minutes; its standard output."""
    script = "\n".join(["import sys, rnnkit", "lm = rnnkit.LanguageModel.load(sys.argv[1])", *lines])
    done = subprocess.run([sys.executable, "-c", script, str(model)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_unfinished_stream_at_exit_ends_the_process_cleanly(shipped_model):
    # The interpreter ends daemon threads at exit; the stream's worker, ended inside the model's
    # loop, aborted the process ("FATAL: exception not rethrown").
    assert stdout_of_own_process(["it = lm.stream('床', n=-1, seed=1)", "print(next(it))"],
                                 shipped_model)


def test_the_state_dict_can_be_read_while_a_stream_runs(shipped_model):
    # The worker holds the model while it waits for the GIL: a state_dict waiting for the model
    # with the GIL held froze the interpreter (hence a process of its own, with a timeout). It
    # now waits for the stream instead.
    assert stdout_of_own_process(["for piece in lm.stream('床', n=20, seed=2):",
                                  "    print(sorted(lm.to_torch_state_dict())[0])",
                                  "    break"], shipped_model) == "embedding.weight"
