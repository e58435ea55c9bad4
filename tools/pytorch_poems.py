"""The PyTorch Tang-poetry tutorial's model, trained for a wall-clock budget on the poems that
`rnnkit poems prepare` wrote, and measured with rnnkit's held-out perplexity: the baseline of
docs/RESULTS.md ("Against PyTorch, same wall-clock time").

The tutorial's configuration: Embedding(V, 128), a 2-layer LSTM of 256, Linear(256, V), Adam
lr 1e-3, batches of 128 poems, each <START> + poem + <EOP> padded to 125 tokens. Two deliberate
differences, so that both sides are measured the same way: padding goes after the poem and the
loss ignores it (the tutorial pads in front and counts the padding), and the vocabulary is the
rnnkit model's (read from its safetensors metadata), so token ids and held-out tokens match.

Held-out perplexity: every poem of VALID from a zero state, cut at 125 tokens like the training
poems, exp of the mean cross-entropy of every token after <START>, padding ignored: the
definition of rnnkit's validation during `train --poems` (154,453 tokens on data/poems/valid.txt;
`rnnkit eval --poems` reads whole poems, 175,496 tokens). "training_seconds" leaves the time
spent validating out (tools/tang_vs_pytorch.sh takes it out of rnnkit's clock too).

usage: /usr/bin/python3 tools/pytorch_poems.py --vocab-from MODEL.safetensors \
           --train data/poems/train.txt --valid data/poems/valid.txt --time 900 [--threads 1]
Prints one JSON line per validation (every --valid-every seconds and at the end).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


class PoetryModel(nn.Module):
    def __init__(self, vocab_size, embedding_dim=128, hidden_dim=256, layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = nn.LSTM(embedding_dim, hidden_dim, layers)
        self.fc = nn.Linear(hidden_dim, vocab_size)

    def forward(self, ids):  # ids [T, B]
        y, _ = self.rnn(self.embedding(ids))
        return self.fc(y)


def read_poems(path, index, bos, eos, max_length):
    seqs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                seqs.append(([bos] + [index[ch] for ch in line] + [eos])[:max_length])
    return seqs


def batch_tensor(seqs, pad):
    length = max(len(s) for s in seqs)
    ids = torch.full((length, len(seqs)), pad, dtype=torch.long)
    for b, s in enumerate(seqs):
        ids[: len(s), b] = torch.tensor(s)
    return ids


def held_out_perplexity(model, seqs, pad, batch):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(seqs), batch):
            ids = batch_tensor(seqs[i : i + batch], pad)
            logits = model(ids[:-1])
            target = ids[1:].reshape(-1)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target, ignore_index=pad,
                                     reduction="sum").item()
            count += int((target != pad).sum())
    model.train()
    return math.exp(total / count), count


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vocab-from", required=True)
    p.add_argument("--train", required=True)
    p.add_argument("--valid", required=True)
    p.add_argument("--time", type=float, required=True, help="training seconds")
    p.add_argument("--valid-every", type=float, default=300, help="seconds between validations")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--max-length", type=int, default=125)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    _, metadata = safetensors_io.load(a.vocab_from)
    vocab = json.loads(metadata["rnnkit.vocab"])
    tokens = vocab["tokens"]
    index = {t: i for i, t in enumerate(tokens)}
    bos, eos, pad = index["<START>"], index["<EOP>"], index["<pad>"]
    train = read_poems(a.train, index, bos, eos, a.max_length)
    valid = read_poems(a.valid, index, bos, eos, a.max_length)

    model = PoetryModel(len(tokens))
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)
    start = time.perf_counter()
    next_valid = a.valid_every
    step, epoch, training_seconds = 0, 0, 0.0

    reported = []

    def report():
        if reported and reported[-1] == step:  # the budget ran out just after a validation
            return
        reported.append(step)
        ppl, count = held_out_perplexity(model, valid, pad, a.batch)
        print(json.dumps({"training_seconds": round(training_seconds, 1), "step": step, "epoch": epoch,
                          "valid_perplexity": ppl, "valid_tokens": count,
                          "threads": a.threads, "torch": torch.__version__}), flush=True)

    while training_seconds < a.time:
        order = torch.randperm(len(train)).tolist()
        for i in range(0, len(order) - a.batch + 1, a.batch):
            ids = batch_tensor([train[j] for j in order[i : i + a.batch]], pad)
            ids = F.pad(ids, (0, 0, 0, a.max_length - ids.shape[0]), value=pad)  # padded to 125
            optimizer.zero_grad()
            logits = model(ids[:-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[1:].reshape(-1), ignore_index=pad)
            loss.backward()
            optimizer.step()
            step += 1
            # Validation time is not training time: the budget counts training only, like rnnkit's.
            training_seconds = time.perf_counter() - start
            if training_seconds >= next_valid:
                pause = time.perf_counter()
                report()
                start += time.perf_counter() - pause
                next_valid += a.valid_every
            if training_seconds >= a.time:
                break
        epoch += 1
    report()


if __name__ == "__main__":
    main()
