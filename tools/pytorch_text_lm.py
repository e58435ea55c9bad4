#!/usr/bin/python3
"""PyTorch twin of `rnnkit train --text`: a character language model on a text file.

Usage (Debian's interpreter; python3-torch installs for it only):

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/pytorch_text_lm.py \
        --text ../shared/data/timemachine.txt --letters-only --lowercase \
        --embedding 32 --cell lstm --layers 2 --hidden 256 \
        --batch 32 --bptt 35 --optimizer adam --lr 2e-3 --clip 1 \
        --valid-fraction 0.1 --epochs 20 --threads 1 --seed 1

It prints one JSON line per epoch on stdout:

    {"epoch": 1, "train_ppl": ..., "valid_ppl": ..., "epoch_seconds": ...,
     "valid_seconds": ..., "tokens_per_s": ...}

and a first line {"config": ...} describing the data and the model.

Speed: torch's matrix products go to whatever libblas.so.3 the system selects. Where that is
the reference BLAS (Debian's libblas3), use OpenBLAS instead, e.g. put the directory of
libopenblas0-pthread's libblas.so.3 on LD_LIBRARY_PATH; OpenBLAS 0.3.21 may not recognise a
new CPU (it reports "Prescott"), so also set OPENBLAS_CORETYPE (Haswell, SkylakeX, Cooperlake).

It does what rnnkit does (docs/DESIGN.md), so the two can be compared epoch by epoch:

- Reading: rnnkit's (read_text_file below): UTF-8 only, a leading byte order mark dropped,
  CRLF and a lone CR read as LF.
- Preprocessing (d2l): with --letters-only each line becomes
  re.sub('[^A-Za-z]+', ' ', line).strip() (lowercased first with --lowercase, as rnnkit
  lowercases: rnnkit_lower, not str.lower) and the lines are
  concatenated without separators; every character is a token. The vocabulary is every
  character of the whole text ranked by count (ties by the character), before --max-tokens
  truncates the token stream.
- Split: --valid-fraction F holds out the tail, floor(N * F) tokens.
- Sequential batching (truncated BPTT): the N training tokens form B contiguous streams of
  length S = (N - 1) // B; batch j takes positions [j*T, (j+1)*T) of every stream as input
  and the next positions as targets. The state starts at zero each epoch and is carried from
  batch to batch, detached. --random-offset starts each epoch at a random offset in [0, T).
- Training perplexity of an epoch: exp of the mean cross-entropy over the epoch's tokens.
- Validation perplexity: exp of the mean cross-entropy of predicting every held-out token
  t+1 from tokens 0..t of the tail, from a zero state carried through the whole tail,
  batch 1, eval mode.
- The model is DESIGN.md's LM module (embedding or one-hot -> nn.RNN/LSTM/GRU -> Linear)
  with PyTorch's default initialisation; its state_dict matches rnnkit's checkpoint names.

The random streams (initialisation, offsets) are PyTorch's, not rnnkit's, so the two runs
agree in distribution, not bit for bit.
"""
import argparse
import collections
import json
import math
import os
import re
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import LM  # noqa: E402  DESIGN.md's module, one definition
from text_encoding import wide_encoding_error  # noqa: E402


def run_lm(model, x, state):
    """x: [T, B] int64 -> (logits [T*B, V], state); state is h, or (h, c) for an LSTM."""
    h0, c0 = state if isinstance(state, tuple) else (state, None)
    logits, _, hN, cN = model(x, h0, c0)
    return logits.reshape(-1, logits.shape[-1]), hN if cN is None else (hN, cN)


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


class TextError(ValueError):
    """A text file rnnkit refuses; the message is rnnkit's."""


def read_text_file(path):
    """The text of a file as rnnkit's read_text_file has it (src/data/text_corpus.cpp): UTF-8
    only, a leading byte order mark dropped (else it would be a token U+FEFF), and line ends read
    as Python's text mode reads them, "\r\n" and a lone "\r" as "\n". Raises TextError."""
    if os.path.isdir(path):
        raise TextError(f"{path} is a directory, not a text file")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TextError(f"cannot open {path}") from e
    if not data:
        raise TextError(f"{path} is empty")
    if (wide := wide_encoding_error(data, path)) is not None:
        raise TextError(wide)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TextError(f"{path}: invalid UTF-8 at byte offset {e.start}") from e
    text = text.removeprefix("\ufeff")
    if not text:
        raise TextError(f"{path} is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def rnnkit_lower(text):
    """rnnkit's --lowercase (to_lower in src/data/vocab.cpp), which str.lower() is not: it maps
    one code point to one, in Latin-1, Latin Extended-A, Greek and Cyrillic only (no final sigma,
    U+0130 kept)."""
    return "".join(map(_lower_code_point, text))


def _lower_code_point(ch):
    c = ord(ch)
    if c < 0x80:
        return ch.lower()
    if 0xC0 <= c <= 0xDE and c != 0xD7:
        return chr(c + 32)
    if 0x100 <= c <= 0x17F:
        # Latin Extended-A pairs capitals with the next code point, on even codes outside
        # U+0139..U+0148 and U+0179..U+017E, on odd codes inside them.
        if c in (0x130, 0x131, 0x138, 0x149, 0x17F):
            return ch
        if c == 0x178:
            return "\xff"
        odd_pairs = 0x139 <= c <= 0x148 or 0x179 <= c <= 0x17E
        return chr(c + 1) if (c % 2 == 1) == odd_pairs else ch
    shifts = ((0x391, 0x3A9, 32), (0x386, 0x386, 0x3AC - 0x386), (0x388, 0x38A, 37),
              (0x38C, 0x38C, 0x3CC - 0x38C), (0x38E, 0x38F, 63), (0x410, 0x42F, 32),
              (0x400, 0x40F, 80))
    for first, last, shift in shifts:
        if first <= c <= last and c != 0x3A2:  # U+03A2 is unassigned, between Ρ and Σ
            return chr(c + shift)
    return ch


def letters_only_line(line):
    """d2l's re.sub('[^A-Za-z]+', ' ', line).strip(), as rnnkit's --letters-only."""
    return re.sub("[^A-Za-z]+", " ", line).strip()


def read_tokens(path, letters_only, lowercase):
    text = read_text_file(path)
    if lowercase:  # before --letters-only, as rnnkit (no lowercased letter is ASCII but A-Z's)
        text = rnnkit_lower(text)
    if letters_only:
        text = "".join(letters_only_line(line) for line in text.split("\n"))
    return list(text)


def build_vocab(tokens):
    counts = collections.Counter(tokens)
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def sequential_batches(ids, B, T, offset):
    """Yield (x, y) [T, B] batches of B contiguous streams, as DESIGN.md defines."""
    S = (len(ids) - 1 - offset) // B
    streams = torch.stack([ids[offset + b * S: offset + b * S + S + 1] for b in range(B)], dim=1)
    for j in range(S // T):
        chunk = streams[j * T: (j + 1) * T + 1]
        yield chunk[:-1], chunk[1:]


@torch.no_grad()
def stream_perplexity(model, ids, chunk=1024):
    """exp(mean CE) of predicting ids[t+1] from ids[..t], zero state carried through."""
    model.eval()
    state, loss_sum, count = None, 0.0, 0
    n = len(ids) - 1
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        x = ids[start: start + m].view(m, 1)
        y = ids[start + 1: start + m + 1]
        logits, state = run_lm(model, x, state)
        loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum").item()
        count += m
    model.train()
    return math.exp(loss_sum / count)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--text", required=True)
    p.add_argument("--letters-only", action="store_true")
    p.add_argument("--lowercase", action="store_true")
    p.add_argument("--max-tokens", type=int, default=0, help="first N tokens (0 = all)")
    p.add_argument("--valid-fraction", type=float, default=0.0)
    p.add_argument("--cell", default="lstm", choices=["rnn_tanh", "rnn_relu", "lstm", "gru"])
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--embedding", type=int, default=128, help="0 = one-hot input")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--bptt", type=int, default=35)
    p.add_argument("--random-offset", action="store_true")
    p.add_argument("--optimizer", default="adam", choices=["sgd", "adam"])
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--clip", type=float, default=0.0, help="global grad-norm clip (0 = off)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if not 0 <= a.valid_fraction < 1:
        p.error(f"--valid-fraction must be in [0, 1), not {a.valid_fraction}")
    for name in ("batch", "bptt", "epochs"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1, not {getattr(a, name)}")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    try:
        tokens = read_tokens(a.text, a.letters_only, a.lowercase)
    except TextError as e:
        sys.exit(f"pytorch_text_lm: {e}")
    vocab = build_vocab(tokens)
    index = {t: i for i, t in enumerate(vocab)}
    ids = torch.tensor([index[t] for t in tokens], dtype=torch.long)
    if a.max_tokens > 0:
        ids = ids[: a.max_tokens]
    n_valid = math.floor(len(ids) * a.valid_fraction)
    train_ids, valid_ids = ids[: len(ids) - n_valid], ids[len(ids) - n_valid:]
    # Every epoch needs a whole batch: B streams of T + 1 tokens after the largest offset.
    needed = a.batch * a.bptt + 1 + (a.bptt - 1 if a.random_offset else 0)
    if len(train_ids) < needed:
        p.error(f"the training part has {len(train_ids)} tokens, fewer than the {needed} that one "
                f"batch of --batch {a.batch} x --bptt {a.bptt} needs")

    model = LM(len(vocab), a.embedding, a.hidden, a.layers, a.cell)
    if a.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    print(json.dumps({"config": vars(a), "vocab": len(vocab), "tokens": len(ids),
                      "train_tokens": len(train_ids), "valid_tokens": len(valid_ids),
                      "parameters": sum(q.numel() for q in model.parameters()),
                      "torch": torch.__version__, "threads": torch.get_num_threads()}),
          flush=True)

    gen = torch.Generator().manual_seed(a.seed)
    total = 0.0
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        offset = int(torch.randint(a.bptt, (1,), generator=gen)) if a.random_offset else 0
        state, loss_sum, count = None, 0.0, 0
        for x, y in sequential_batches(train_ids, a.batch, a.bptt, offset):
            state = detach(state)
            logits, state = run_lm(model, x, state)
            loss = nn.functional.cross_entropy(logits, y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if a.clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
            loss_sum += loss.item() * y.numel()
            count += y.numel()
        t1 = time.perf_counter()
        total += t1 - t0
        row = {"epoch": epoch, "train_ppl": math.exp(loss_sum / count)}
        if len(valid_ids) >= 2:
            row["valid_ppl"] = stream_perplexity(model, valid_ids)
        row.update(epoch_seconds=round(t1 - t0, 3),
                   valid_seconds=round(time.perf_counter() - t1, 3),
                   train_seconds_total=round(total, 3),
                   tokens_per_s=round(count / (t1 - t0), 1))
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    sys.exit(main())
