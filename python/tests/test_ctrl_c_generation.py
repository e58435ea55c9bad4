"""Ctrl-C ends a long generation or perplexity call with KeyboardInterrupt, as in pure Python."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import rnnkit

V, E, H = 8000, 64, 512


@pytest.fixture(scope="module")
def endless_model():
    """A random char model without an end token: generation runs to n. Every call below takes
    a minute or more uninterrupted on two cores (the model reads 20 MB of weights per token)."""
    rng = np.random.default_rng(0)

    def uniform(*shape, bound):
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    state = {
        "embedding.weight": uniform(V, E, bound=1.0),
        "rnn.weight_ih_l0": uniform(4 * H, E, bound=H ** -0.5),
        "rnn.weight_hh_l0": uniform(4 * H, H, bound=H ** -0.5),
        "rnn.bias_ih_l0": uniform(4 * H, bound=H ** -0.5),
        "rnn.bias_hh_l0": uniform(4 * H, bound=H ** -0.5),
        "fc.weight": uniform(V, H, bound=H ** -0.5),
        "fc.bias": uniform(V, bound=H ** -0.5),
    }
    tokens = [chr(0x4E00 + i) for i in range(V)]
    return rnnkit.LanguageModel.from_torch(state, tokens)


def interrupted_after(call):
    """Seconds until `call` ended with KeyboardInterrupt, with SIGINT sent half a second in."""
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        timer.cancel()
    return time.monotonic() - started


# Without the checks between steps the interrupt would surface only when the call returns, far
# later than the bound asserted here.
@pytest.mark.parametrize("what", ["sampling", "beam search", "perplexity"])
def test_ctrl_c_ends_a_long_call(endless_model, what):
    long_calls = {
        "sampling": lambda: endless_model.generate("一", n=100000, seed=1),
        "beam search": lambda: endless_model.generate("一", n=100000, beam=8),
        "perplexity": lambda: endless_model.perplexity("一丁丂七" * 300000),
    }
    assert interrupted_after(long_calls[what]) < 10
    # The model is whole and free for the next call.
    assert len(endless_model.generate("一", n=5, seed=2)) == 5
