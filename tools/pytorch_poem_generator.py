"""The PyTorch Tang-poetry tutorial's generator (chenyuntc/pytorch-book, chapter 9) run on the
weights of any rnnkit poem model: the baseline row of tools/poem_scores.sh. Its decoding is the
tutorial's (greedy, unconstrained); the code is this project's.

The model is DESIGN.md's module (tools/make_fixtures.py LM) built from the file's rnnkit.config
(cell, embedding size, layers, hidden size, LSTM proj_size, tied output weights) and loaded with
load_state_dict(strict=True); F32, F16 and BF16 tensors are widened to float32, as rnnkit does.
The vocabulary is the file's rnnkit.vocab; start and head characters must be in it as written
(no traditional-to-simplified conversion, unlike `rnnkit poem`).

Decoding rules, as implemented (the tutorial's `generate` and `gen_acrostic`):
- Every step feeds one token, carrying the recurrent state, and takes the argmax of the logits
  over the whole vocabulary (nothing is masked: <START> or <pad> would be written as their
  names, as in the tutorial).
- Continuation (--start S): the model reads <START>, then the characters of S (its predictions
  meanwhile are ignored); then each argmax is written and fed back.
- Acrostic (--acrostic HEADS): the model reads <START>; at each step, when the previous written
  character is <START>, 。 or ！, the next head character replaces the argmax (none left: the
  poem ends); the written character is fed back. A head therefore begins each sentence ending in
  。 or ！ — a couplet of regulated verse, not a line: 春夏秋冬 gives four couplets (eight lines),
  where `rnnkit poem --acrostic` gives four lines. A sentence ending in ？ gets no head.
- Both stop at the argmax <EOP> (not written; the tutorial's acrostic loop would write it and go
  on), at 200 characters (the tutorial's max_gen_len), or, with --lines N, once N lines are
  complete (a line ends at one of ，。？！；：、, as `rnnkit poems score` splits them). Nothing
  enforces the form: 5 or 7 characters, the punctuation and rhyme are whatever the argmax gives
  (hence no --form option: the tutorial's decoding cannot honour one).
- Greedy decoding has no randomness: --count N prints the same poem N times.

Output: the layout of `rnnkit poem` (a row per sentence ending in 。？！, a blank line between
poems), which `rnnkit poems score` reads.

usage: /usr/bin/python3 tools/pytorch_poem_generator.py --model MODEL.safetensors
           (--start 床前明月光 | --acrostic 春夏秋冬) [--lines N] [--count N] [--threads 1]
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from make_fixtures import lm_from_config, with_tied_output  # noqa: E402  (DESIGN.md's module, one definition)

MAX_GEN_LEN = 200  # the tutorial's opt.max_gen_len
LINE_ENDS = "，。？！；：、"  # rnnkit's verse punctuation (src/data/poem_corpus.cpp)
SENTENCE_ENDS = "。？！"  # where `rnnkit poem` starts a new row
HEAD_AFTER = ("<START>", "。", "！")  # the tutorial's gen_acrostic
_TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


class PoemModel:
    """An rnnkit poem model file in PyTorch: the LM module and its vocabulary."""

    def __init__(self, path):
        with open(path, "rb") as f:
            image = f.read()
        entries, metadata = safetensors_io.read_header(image, path)
        for key in ("rnnkit.config", "rnnkit.vocab"):
            if key not in metadata:
                raise ValueError(f"{path}: no {key} in the metadata: not an rnnkit language model file")
        config = json.loads(metadata["rnnkit.config"])
        if config.get("bidirectional"):
            raise ValueError(f"{path}: a bidirectional model cannot generate text")
        state = {}
        for name, e in entries.items():
            if e.dtype not in _TORCH_DTYPES:
                raise ValueError(
                    f"{path}: tensor {name} is {e.dtype}; only F32, F16 and BF16 files are read "
                    "(an int8 file of `rnnkit quantize`: give the file it was made from)")
            values = torch.frombuffer(bytearray(image[e.begin : e.end]), dtype=_TORCH_DTYPES[e.dtype])
            state[name] = values.float().reshape(e.shape)
        self.module = lm_from_config(config)
        self.module.load_state_dict(with_tied_output(state, config), strict=True)
        self.module.eval()
        vocab = json.loads(metadata["rnnkit.vocab"])
        self.tokens = vocab["tokens"]
        self.index = {t: i for i, t in enumerate(self.tokens)}
        specials = vocab.get("specials", {})
        self.bos = self.index.get(specials.get("bos") or "<START>")
        self.eos = self.index.get(specials.get("eos") or "<EOP>")
        if self.bos is None or self.eos is None:
            raise ValueError(f"{path}: the vocabulary has no <START>/<EOP>: not a poem model")
        self.path = path

    def ids(self, text, what):
        missing = [ch for ch in text if ch not in self.index]
        if missing:
            raise ValueError(f"{what} {text!r}: {''.join(missing)!r} not in the vocabulary of {self.path}")
        return [self.index[ch] for ch in text]

    def step(self, token, state):
        """Reads one token; returns the next-token logits [V] and the new state."""
        with torch.no_grad():
            logits, _, h, c = self.module(torch.tensor([[token]]), *state)
        return logits[0, 0], (h, c)

    def poem_log_likelihood(self, poem):
        """Summed log-probability of poem + <EOP> after <START>, from a zero state, and the number
        of predicted tokens: the per-poem terms of `rnnkit eval --poems`."""
        ids = torch.tensor([self.bos] + self.ids(poem, "poem") + [self.eos]).unsqueeze(1)
        with torch.no_grad():
            logits = self.module(ids[:-1])[0][:, 0]
        return -F.cross_entropy(logits, ids[1:, 0], reduction="sum").item(), ids.shape[0] - 1


def lines_in(text):
    return sum(text.count(mark) for mark in LINE_ENDS)


def continue_poem(model, start, lines=0):
    state, written = (None, None), list(start)
    for token in [model.bos] + model.ids(start, "--start")[:-1]:
        _, state = model.step(token, state)
    token = model.index[start[-1]]
    while len(written) < MAX_GEN_LEN and not (lines and lines_in("".join(written)) >= lines):
        logits, state = model.step(token, state)
        token = int(logits.argmax())
        if token == model.eos:
            break
        written.append(model.tokens[token])
    return "".join(written)


def acrostic_poem(model, heads, lines=0):
    head_ids = model.ids(heads, "--acrostic")
    state, written, token, previous, used = (None, None), [], model.bos, "<START>", 0
    while len(written) < MAX_GEN_LEN and not (lines and lines_in("".join(written)) >= lines):
        logits, state = model.step(token, state)
        token = int(logits.argmax())
        if previous in HEAD_AFTER:
            if used == len(head_ids):
                break
            token, used = head_ids[used], used + 1
        elif token == model.eos:
            break
        previous = model.tokens[token]
        written.append(previous)
    return "".join(written)


def layout(poem):
    """`rnnkit poem`'s rows: a new row after each 。？！."""
    rows, row = [], ""
    for ch in poem:
        row += ch
        if ch in SENTENCE_ENDS:
            rows.append(row)
            row = ""
    return "\n".join(rows + ([row] if row else []))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="rnnkit poem model (.safetensors)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--start", help="first line(s) to continue")
    what.add_argument("--acrostic", help="head characters, one per sentence ending in 。 or ！")
    p.add_argument("--lines", type=int, default=0, help="stop after N lines (0: at <EOP>)")
    p.add_argument("--count", type=int, default=1, help="copies of the (deterministic) poem")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    if a.lines < 0 or a.count < 1 or not (a.start or a.acrostic):
        p.error("--lines must be >= 0, --count >= 1, and --start/--acrostic not empty")
    torch.set_num_threads(a.threads)
    try:
        model = PoemModel(a.model)
        poem = continue_poem(model, a.start, a.lines) if a.start else acrostic_poem(model, a.acrostic, a.lines)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    print("\n\n".join([layout(poem)] * a.count))


if __name__ == "__main__":
    main()
