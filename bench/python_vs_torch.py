"""From Python, rnnkit against PyTorch in the same process: a 2-layer LSTM char model trained by
torch for a few steps, loaded into rnnkit with LanguageModel.from_torch, then
  - batch-1 greedy generation latency (ms per token, 200 tokens after a 4-character prompt), and
  - batch forward throughput of the recurrent stack (tokens/s, [T=100, B=64] of embeddings),
for 1 and 2 threads on each side. One JSON line per measurement (median of --rounds), with the
commit and date. Run it twice to give PyTorch its best OpenBLAS kernels (bench/compare.sh's rule):
  PYTHONPATH=build/release/python /usr/bin/python3 bench/python_vs_torch.py
  OPENBLAS_CORETYPE=Cooperlake PYTHONPATH=build/release/python /usr/bin/python3 bench/python_vs_torch.py
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import rnnkit  # noqa: E402
from make_fixtures import LM  # noqa: E402  (DESIGN.md's module)


def commit():
    """The short hash of the repository this script lives in (not of the current directory),
    "+dirty" when tracked files outside bench/results/ differ from it, as bench/stamp.sh; "unknown"
    outside a git checkout."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                          text=True)
    if head.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", ".", ":(exclude)bench/results"],
                           cwd=root).returncode != 0
    return head.stdout.strip() + ("+dirty" if dirty else "")


def median_seconds(fn, rounds):
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def torch_greedy(model, ids, n):
    with torch.no_grad():
        x = torch.tensor(ids).unsqueeze(1)
        logits, state = model.rnn(model.embedding(x))
        token = int(model.fc(logits[-1]).argmax())
        out = [token]
        for _ in range(n - 1):
            y, state = model.rnn(model.embedding(torch.tensor([[token]])), state)
            token = int(model.fc(y[-1]).argmax())
            out.append(token)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--text", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared",
                                                  "data", "timemachine.txt"))
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    if a.rounds < 1:
        p.error(f"--rounds must be at least 1, not {a.rounds}")
    torch.manual_seed(0)
    text = open(a.text, encoding="utf-8").read()[:200000]
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text])
    model = LM(len(vocab), 64, 256, 2, "lstm")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(30):  # "torch-trained": a few steps, enough to make greedy text non-trivial
        starts = torch.randint(0, len(ids) - 65, (32,))
        batch = torch.stack([ids[s:s + 65] for s in starts], 1)
        logits = model(batch[:-1])[0]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)),
                                                 batch[1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    ours = rnnkit.LanguageModel.from_torch(model, vocab)
    stack = rnnkit.nn.LSTM(64, 256, 2)
    stack.load_state_dict({k[4:]: v for k, v in model.state_dict().items() if k.startswith("rnn.")})
    stack.eval()
    x = np.random.default_rng(0).standard_normal((100, 64, 64)).astype(np.float32)
    xt = torch.from_numpy(x)
    prompt = "the "
    prompt_ids = [index[c] for c in prompt]
    n = 200
    common = {
        "commit": commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        # The BLAS the process really loaded (reference libblas is ~6x slower than OpenBLAS).
        "blas_loaded": sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l}),
    }
    # Same greedy text on both sides: the loaded model is the torch model.
    ours_text = ours.generate(prompt, n=n, temperature=0)
    torch_text = "".join(vocab[t] for t in torch_greedy(model, prompt_ids, n))
    common["same_greedy_text"] = ours_text == torch_text
    for threads in (1, 2):
        torch.set_num_threads(threads)
        rnnkit.set_num_threads(threads)
        rows = {
            ("generate_ms_per_token", "rnnkit"):
                1e3 * median_seconds(lambda: ours.generate(prompt, n=n, temperature=0), a.rounds) / n,
            ("generate_ms_per_token", "torch"):
                1e3 * median_seconds(lambda: torch_greedy(model, prompt_ids, n), a.rounds) / n,
            ("forward_tokens_per_s", "rnnkit"):
                x.shape[0] * x.shape[1] / median_seconds(lambda: stack(x), a.rounds),
        }
        with torch.no_grad():
            rows[("forward_tokens_per_s", "torch")] = (
                x.shape[0] * x.shape[1] / median_seconds(lambda: model.rnn(xt), a.rounds))
        for (what, side), value in rows.items():
            print(json.dumps({**common, "measure": what, "side": side, "threads": threads,
                              "value": round(value, 4)}))


if __name__ == "__main__":
    main()
