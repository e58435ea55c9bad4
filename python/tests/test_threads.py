"""Python threads generate at once (the GIL is released); results equal the sequential ones."""

import os
import threading

import numpy as np

import rnnkit

PROMPTS = [("床前明月光", 3), ("春眠不觉晓", 4)]


def generate_all(models):
    """Each (prompt, seed) on its model, all threads started before any is joined."""
    results = [None] * len(PROMPTS)

    def work(i):
        prompt, seed = PROMPTS[i]
        results[i] = models[i].generate(prompt, n=60, seed=seed)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(PROMPTS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_threads_generate_like_one(shipped_model):
    rnnkit.set_num_threads(1)  # bitwise repeatable sums
    try:
        model = rnnkit.LanguageModel.load(shipped_model)
        sequential = [model.generate(prompt, n=60, seed=seed) for prompt, seed in PROMPTS]
        # Two models generating at once, then both threads sharing one (they take turns).
        own = generate_all([model, rnnkit.LanguageModel.load(shipped_model)])
        shared = generate_all([model, model])
    finally:
        rnnkit.set_num_threads(0)
    assert all(sequential)
    assert own == sequential
    assert shared == sequential


def os_threads():
    """The ids of the process's OS threads. New ids, not a count: threads of earlier tests may
    end meanwhile (a count under load once fell by one as a team thread was added)."""
    return set(os.listdir("/proc/self/task"))


def test_the_pinned_thread_count_holds_in_every_python_thread():
    # OpenMP keeps its thread count per OS thread: a Python thread that had not set it computed
    # with OpenMP's default (a team of every core) after set_num_threads(1) elsewhere.
    layer = rnnkit.nn.LSTM(64, 256).eval()
    x = np.zeros((20, 16, 64), np.float32)
    grown = {}

    def forward(threads):
        before = os_threads()
        layer(x)
        grown[threads] = len(os_threads() - before)

    try:
        for threads in (1, 2):
            rnnkit.set_num_threads(threads)
            worker = threading.Thread(target=forward, args=(threads,))
            worker.start()
            worker.join()
            assert rnnkit.num_threads() == threads
    finally:
        rnnkit.set_num_threads(0)
    # A team of one is no new OS thread; a team of two in a thread of its own, one (at least: the
    # count cannot tell it from a thread another library started meanwhile).
    assert grown[1] == 0 and grown[2] >= 1
