"""Python threads generate at once (the GIL is released); results equal the sequential ones."""

import threading

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
