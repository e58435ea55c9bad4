"""rnnkit.train for every family, its callback, resume and option errors; train_options."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import rnnkit

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
TEXT = FIXTURES / "train_step_text.txt"
TINY = {"layers": 1, "hidden": 8, "threads": 1}


def lm_run(out_dir, **options):
    return rnnkit.train("lm", text_path=TEXT, out_dir=out_dir, embedding=0, batch=2, bptt=4,
                        **{**TINY, **options})


def test_lm_run_returns_its_files_and_metrics(tmp_path):
    result = lm_run(tmp_path / "run", steps=4, log_every=1, valid_fraction=0.2, valid_every=2)
    assert result.run_dir == tmp_path / "run" and result.steps == 4 and not result.interrupted
    assert result.last.exists() and result.state.exists() and result.best.exists()
    trains = [r for r in result.metrics if r["type"] == "train"]
    assert [r["step"] for r in trains] == [1, 2, 3, 4]
    assert any(r["type"] == "valid" for r in result.metrics)
    assert rnnkit.LanguageModel.load(result.run_dir).config["hidden_size"] == 8


def test_callback_sees_each_record_as_it_is_written(tmp_path):
    seen = []

    def callback(record):
        lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
        seen.append((record, len(lines)))

    result = lm_run(tmp_path / "run", steps=3, log_every=1, callback=callback)
    assert [record for record, _ in seen] == result.metrics
    assert [written for _, written in seen] == list(range(1, len(seen) + 1))


def test_an_exception_of_the_callback_stops_the_run(tmp_path):
    calls = []

    def callback(record):
        calls.append(record)
        raise KeyError("enough")

    with pytest.raises(KeyError, match="enough"):
        lm_run(tmp_path / "run", steps=50, log_every=1, callback=callback)
    assert len(calls) == 1


def test_ctrl_c_stops_the_run_after_its_step_with_a_checkpoint(tmp_path):
    def callback(record):
        if record["type"] == "train" and record["step"] == 2:
            signal.raise_signal(signal.SIGINT)  # as Ctrl-C would

    result = lm_run(tmp_path / "run", steps=50, log_every=1, callback=callback)
    assert result.interrupted and result.steps == 3
    assert result.state.exists() and result.last.exists()
    resumed = rnnkit.train("lm", resume=tmp_path / "run", steps=5)
    assert resumed.steps == 5 and not resumed.interrupted


def test_ctrl_c_stops_the_run_at_its_step_between_metrics_records(tmp_path):
    """No record for a million steps: Ctrl-C still stops the run after the step it is in."""
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        result = lm_run(tmp_path / "run", steps=10**7, log_every=10**6, time_limit=20)
    finally:
        timer.cancel()
    assert result.interrupted and 0 < result.steps < 10**7
    assert result.state.exists()


def test_an_ignored_or_handled_sigint_is_the_programs_own(tmp_path):
    """A SIGINT the program ignores (a background job) or handles itself does not stop a run."""
    def raise_at_two(record):
        if record["type"] == "train" and record["step"] == 2:
            signal.raise_signal(signal.SIGINT)

    seen = []
    for n, action in enumerate((signal.SIG_IGN, lambda number, frame: seen.append(number))):
        previous = signal.signal(signal.SIGINT, action)
        try:
            result = lm_run(tmp_path / str(n), steps=6, log_every=1, callback=raise_at_two)
        finally:
            signal.signal(signal.SIGINT, previous)
        assert not result.interrupted and result.steps == 6
    assert seen == [signal.SIGINT]


def test_ctrl_c_interrupts_a_blocking_call_after_a_run(tmp_path):
    """The run puts Python's SIGINT action back whole: a blocked read is interrupted by Ctrl-C."""
    lm_run(tmp_path / "run", steps=2)
    read_end, write_end = os.pipe()
    interrupt = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    unblock = threading.Timer(20.0, os.write, (write_end, b"x"))
    interrupt.start()
    unblock.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.read(read_end, 1)
        assert not unblock.finished.is_set()  # interrupted, not returned with the byte
    finally:
        interrupt.cancel()
        unblock.cancel()
        os.close(read_end)
        os.close(write_end)


def with_a_daemon_run(run_dir, then):
    """Runs, in a Python of its own, a script that starts a long run in a daemon thread, waits
    for its first record and then does `then`."""
    script = f"""
import os, threading, rnnkit
started = threading.Event()
threading.Thread(target=rnnkit.train, daemon=True, args=("lm",), kwargs=dict(
    text_path={str(TEXT)!r}, out_dir={str(run_dir)!r}, embedding=0, batch=2, bptt=4,
    layers=1, hidden=8, threads=1, steps=10**7, time_limit=60, log_every=1,
    callback=lambda record: started.set())).start()
started.wait()
{then}
"""
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def test_a_forked_child_does_not_wait_for_its_parents_runs(tmp_path):
    done = with_a_daemon_run(tmp_path / "run", """
child = os.fork()
if child == 0:
    raise SystemExit(0)  # a normal exit, through the atexit hooks
_, status = os.waitpid(child, 0)
print("child", os.waitstatus_to_exitcode(status))
""")
    assert "child 0" in done.stdout, done.stderr[-2000:]


def test_a_callbacks_keyboard_interrupt_stops_its_own_run_only(tmp_path):
    def stop_at_two(record):
        if record["type"] == "train" and record["step"] == 2:
            raise KeyboardInterrupt

    results = {}
    started = threading.Event()

    def other():
        results["other"] = lm_run(tmp_path / "other", steps=60, log_every=1,
                                  callback=lambda record: started.set())

    thread = threading.Thread(target=other)
    thread.start()
    started.wait()
    results["stopped"] = lm_run(tmp_path / "stopped", steps=60, log_every=1, callback=stop_at_two)
    thread.join()
    assert results["stopped"].interrupted and results["stopped"].steps == 3
    assert not results["other"].interrupted and results["other"].steps == 60


def test_a_run_in_a_daemon_thread_is_stopped_with_its_checkpoint_when_python_exits(tmp_path):
    done = with_a_daemon_run(tmp_path / "run", "")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "run" / "state.bin").exists()
    assert rnnkit.train("lm", resume=tmp_path / "run", steps=1).steps >= 1


def test_resume_continues_to_the_uninterrupted_result(tmp_path):
    whole = lm_run(tmp_path / "whole", steps=6, log_every=1, checkpoint_every=3)
    lm_run(tmp_path / "split", steps=3, log_every=1, checkpoint_every=3)
    resumed = rnnkit.train("lm", resume=tmp_path / "split", steps=6)
    assert resumed.steps == 6
    resumed_weights = rnnkit.LanguageModel.load(resumed.last).to_torch_state_dict()
    whole_weights = rnnkit.LanguageModel.load(whole.last).to_torch_state_dict()
    assert all(np.array_equal(resumed_weights[name], whole_weights[name]) for name in whole_weights)
    assert [r["train_loss"] for r in resumed.metrics if r["type"] == "train"] == \
        [r["train_loss"] for r in whole.metrics if r["type"] == "train"]
    with pytest.raises(rnnkit.Error, match="not a seq2seq run"):
        rnnkit.train("seq2seq", resume=tmp_path / "split", steps=9)
    with pytest.raises(rnnkit.Error, match="resumed run takes only"):
        rnnkit.train("lm", resume=tmp_path / "split", lr=0.1)
    with pytest.raises(rnnkit.Error, match="steps of a resumed run"):
        rnnkit.train("lm", resume=tmp_path / "split", steps=7.5)


def test_unknown_and_mistyped_options_are_named(tmp_path):
    with pytest.raises(rnnkit.Error, match="unknown options for lm: hiden, lrate"):
        rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "r", hiden=8, lrate=0.1)
    with pytest.raises(rnnkit.Error, match='"steps" takes an integer, not 2.5'):
        rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "r", steps=2.5)
    with pytest.raises(rnnkit.Error, match='"hidden" takes an integer, not "32"'):
        rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "r", hidden="32")
    with pytest.raises(rnnkit.Error, match='"text_path" takes a string, not 3'):
        rnnkit.train("lm", text_path=3, out_dir=tmp_path / "r")
    # The library's checks are the command line's; their messages name the keyword arguments.
    with pytest.raises(rnnkit.Error, match="^lr must be > 0, not -1$"):
        rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "r", lr=-1.0)
    with pytest.raises(rnnkit.Error, match="^give exactly one of text_path FILE or poems_path DIR"):
        rnnkit.train("lm", out_dir=tmp_path / "r")
    with pytest.raises(rnnkit.Error, match="option 'lr' must be a finite number.*got nan"):
        rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "r", lr=float("nan"))
    with pytest.raises(rnnkit.Error, match="option 'seed' must be"):
        rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "r", seed=object())
    with pytest.raises(rnnkit.Error, match="callback must be callable"):
        rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "r", callback=5)
    assert not (tmp_path / "r").exists()  # refused before the run directory was made
    with pytest.raises(rnnkit.Error, match="unknown model family 'gan'"):
        rnnkit.train("gan")


def test_runs_at_once_share_the_process_settings_or_are_refused(tmp_path):
    # A second run started while the first one runs (from its callback): with the same threads
    # and precision it trains; with others it is refused, since they are the process's. The
    # first run's end gives the process its settings back, and holds nothing after.
    outcomes = []

    def callback(record):
        if record["type"] != "train" or record["step"] != 1:
            return
        outcomes.append(lm_run(tmp_path / "same", steps=2).steps)
        try:
            lm_run(tmp_path / "other", steps=2, threads=2)
        except rnnkit.Error as e:
            outcomes.append(str(e))

    rnnkit.set_num_threads(3)
    try:
        lm_run(tmp_path / "first", steps=3, log_every=1, callback=callback)
        assert outcomes[0] == 2
        assert "another training run of this process computes with f32 products on 1 " \
            "threads" in outcomes[1]
        assert rnnkit.num_threads() == 3 and rnnkit.matmul_precision() == "f32"
        assert lm_run(tmp_path / "after", steps=1, threads=2).steps == 1
    finally:
        rnnkit.set_num_threads(0)


def test_train_options_lists_each_family_table():
    for family in ("lm", "seq2seq", "classify", "forecast"):
        options = {o["key"]: o for o in rnnkit.train_options(family)}
        assert {"lr", "steps", "out_dir", "hidden"} <= set(options)
        assert set(options["lr"]) == {"flag", "flag_sets_false", "key", "default", "help",
                                      "group", "choices"}
        assert all(o["flag"].startswith("--") for o in options.values())
        # Only a language model samples text while it trains.
        assert ("sample_every" in options) == (family == "lm")
    lm = {o["key"]: o for o in rnnkit.train_options("lm")}
    assert lm["bptt"]["flag"] == "--bptt" and lm["cell"]["default"] == "lstm"
    assert not lm["bptt"]["flag_sets_false"]
    assert (lm["packed"]["flag"], lm["packed"]["flag_sets_false"]) == ("--padded", True)
    assert lm["packed"]["default"] is True
    assert "gru" in lm["cell"]["choices"]
    assert "text_path" not in {o["key"] for o in rnnkit.train_options("classify")}
    with pytest.raises(rnnkit.Error, match="unknown model family"):
        rnnkit.train_options("gan")


def addition_head(tmp_path, lines=64):
    found = [p for p in (REPO / "shared", REPO.parent / "shared") if (p / "data").is_dir()]
    if not found:
        pytest.skip("no shared/data/addition.txt")
    source = found[0] / "data" / "addition.txt"
    path = tmp_path / "addition.txt"
    with open(source, encoding="utf-8") as f:
        path.write_text("".join(next(f) for _ in range(lines)), encoding="utf-8")
    return path


def recall_data(path, count=64, length=6):
    """The recall task: does the first letter recur as the last one? (classify generate's)."""
    import random
    rng = random.Random(5)
    rows = []
    for i in range(count):
        letters = [rng.choice("ABCDEFGH") for _ in range(length)]
        if i % 2:
            letters[-1] = letters[0]
        rows.append(("yes" if letters[-1] == letters[0] else "no") + "\t" + "".join(letters))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_seq2seq_trains_and_predicts(tmp_path):
    data = addition_head(tmp_path)
    result = rnnkit.train("seq2seq", data=data, out_dir=tmp_path / "s2s", steps=2, batch=8,
                          embedding=8, **TINY)
    assert result.steps == 2 and result.last.exists()
    assert [r["step"] for r in result.metrics if r["type"] == "train"][-1] == 2


def test_classify_trains(tmp_path):
    data = recall_data(tmp_path / "recall.tsv")
    seen = []
    result = rnnkit.train("classify", data=data, out_dir=tmp_path / "cls", steps=3, batch=8,
                          embedding=4, log_every=1, callback=seen.append, **TINY)
    assert result.steps == 3 and seen == result.metrics


def test_forecast_trains(tmp_path):
    # A list of names is the command line's comma-separated text; NumPy float32s are as they
    # print (0.2, not 0.20000000298023224).
    result = rnnkit.train("forecast", data=FIXTURES / "forecast" / "synthetic.csv",
                          target="sales", covariates=["promo"],
                          quantiles=np.array([0.2, 0.5, 0.8], dtype=np.float32),
                          loss="quantile", context=6, horizon=2, out_dir=tmp_path / "fc",
                          steps=2, batch=4, **TINY)
    assert result.steps == 2 and result.last.exists()
    model = rnnkit.Forecaster.load(result.run_dir)
    assert model.covariates == ["promo"] and model.quantile_names == ["p20", "p50", "p80"]
    state = (result.run_dir / "state.bin").read_bytes()
    header = json.loads(state[8:8 + int.from_bytes(state[:8], "little")])
    assert json.loads(header["__metadata__"]["rnnkit.options"])["quantiles"] == "0.2,0.5,0.8"


def test_numpy_scalars_are_options_and_resume_budgets_fit_int64(tmp_path):
    result = lm_run(tmp_path / "run", steps=np.int64(2), hidden=np.int32(8))
    assert result.steps == 2
    with pytest.raises(rnnkit.Error, match="below 2\\*\\*63"):
        rnnkit.train("lm", resume=tmp_path / "run", steps=2**63)
    assert rnnkit.train("lm", resume=tmp_path / "run", steps=np.int64(3)).steps == 3


def test_paths_with_a_nul_or_under_a_file_are_errors(tmp_path):
    with pytest.raises(ValueError, match="null byte"):
        rnnkit.train("lm", text_path=str(TEXT) + "\0junk", out_dir=tmp_path / "r", steps=1)
    with pytest.raises(ValueError, match="null byte"):
        rnnkit.train("lm", resume=str(tmp_path) + "\0junk", steps=1)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(rnnkit.Error, match="cannot create the directory .*a_file/run"):
        lm_run(tmp_path / "a_file" / "run", steps=1)


def test_init_from_refuses_model_options_given_even_at_their_defaults(tmp_path):
    first = lm_run(tmp_path / "first", steps=1)
    with pytest.raises(rnnkit.Error, match="^cell cannot be given with init_from: "):
        rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "second", batch=2, bptt=4,
                     steps=1, threads=1, init_from=first.last, cell="lstm")  # cell's default
    second = rnnkit.train("lm", text_path=TEXT, out_dir=tmp_path / "second", batch=2, bptt=4,
                          steps=1, threads=1, init_from=first.last)
    assert rnnkit.LanguageModel.load(second.last).config["hidden_size"] == 8


def test_a_step_budget_ending_an_epoch_closes_it(tmp_path):
    batches = lm_run(tmp_path / "epoch", epochs=1, valid_fraction=0.2).steps
    result = lm_run(tmp_path / "steps", steps=batches, valid_fraction=0.2)
    assert [r["epoch"] for r in result.metrics if r["type"] == "epoch"] == [1]
    assert result.best is not None and result.best.exists()
