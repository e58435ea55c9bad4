#!/usr/bin/python3
"""Writes the PyTorch reference fixtures of rnnkit's seq2seq tests (tests/fixtures/seq2seq_*).

Run with Debian's python (python3-torch is installed for it only):

    /usr/bin/python3 tools/make_seq2seq_fixtures.py           # (re)write the fixtures
    /usr/bin/python3 tools/make_seq2seq_fixtures.py --check   # recompute and compare

Every case has a fixed seed (CRC-32 of its file name); references are computed in float64 from
parameters and inputs drawn in float32, and stored as F32. docs/SEQ2SEQ.md documents the model
(the `Seq2seq` module below is the PyTorch twin of rnnkit's) and the tensors of each file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zlib
from typing import Dict, List, Tuple

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE_DIR = os.path.join(REPO_ROOT, "tests", "fixtures")
IGNORE_INDEX = -100
RNN_CLASSES = {"rnn_tanh": nn.RNN, "rnn_relu": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def make_rnn(cell, input_size, hidden, layers, bidirectional=False):
    kw = {"nonlinearity": cell[4:]} if cell.startswith("rnn") else {}
    return RNN_CLASSES[cell](input_size, hidden, layers, bidirectional=bidirectional, **kw)


def dot_attention(queries, keys):
    """queries [Tq,B,H], keys [Tk,B,H] -> context [Tq,B,H], weights [Tq,B,Tk]."""
    weights = torch.softmax(torch.einsum("tbh,sbh->tbs", queries, keys), dim=-1)
    return torch.einsum("tbs,sbh->tbh", weights, keys), weights


class Seq2seq(nn.Module):
    """rnnkit's encoder-decoder (docs/SEQ2SEQ.md), time-major."""

    def __init__(self, V, E, H, L, cell, bidirectional=False, peeky=False, attention=False,
                 reverse_input=False):
        super().__init__()
        self.cell, self.L, self.D, self.H = cell, L, 2 if bidirectional else 1, H
        self.peeky, self.attention, self.reverse_input = peeky, attention, reverse_input
        DH = self.D * H
        self.encoder = nn.Module()
        self.encoder.embedding = nn.Embedding(V, E)
        self.encoder.rnn = make_rnn(cell, E, H, L, bidirectional)
        self.decoder = nn.Module()
        self.decoder.embedding = nn.Embedding(V, E)
        self.decoder.rnn = make_rnn(cell, E + (DH if peeky else 0), DH, L)
        self.decoder.fc = nn.Linear(DH * (1 + peeky + attention), V)

    def encode(self, questions):
        """questions [Tq,B] in reading order -> memory [Tq,B,DH], decoder h0 [L,B,DH]."""
        x = questions.flip(0) if self.reverse_input else questions
        memory, state = self.encoder.rnn(self.encoder.embedding(x))
        hN = state[0] if self.cell == "lstm" else state
        B = questions.shape[1]
        h0 = hN.view(self.L, self.D, B, self.H).permute(0, 2, 1, 3).reshape(self.L, B, -1)
        return memory, h0

    def decode(self, ids, memory, state, summary):
        """ids [Ta,B] -> logits [Ta,B,V], new state, attention weights [Ta,B,Tq] or None."""
        e = self.decoder.embedding(ids)
        s = summary.expand(ids.shape[0], -1, -1)
        if self.peeky:
            e = torch.cat([s, e], dim=-1)
        y, state = self.decoder.rnn(e, state)
        parts, weights = [], None
        if self.peeky:
            parts.append(s)
        if self.attention:
            context, weights = dot_attention(y, memory)
            parts.append(context)
        parts.append(y)
        return self.decoder.fc(torch.cat(parts, dim=-1)), state, weights

    def initial_state(self, h0):
        return (h0, torch.zeros_like(h0)) if self.cell == "lstm" else h0

    def forward(self, questions, decoder_inputs):
        memory, h0 = self.encode(questions)
        logits, _, _ = self.decode(decoder_inputs, memory, self.initial_state(h0), h0[-1])
        return logits

    @torch.no_grad()
    def greedy(self, questions, bos, steps):
        """Greedy tokens [steps,B] and attention weights [steps,B,Tq] in reading order."""
        memory, h0 = self.encode(questions)
        state, summary = self.initial_state(h0), h0[-1]
        current = torch.full((1, questions.shape[1]), bos, dtype=torch.long)
        tokens, weights = [], []
        for _ in range(steps):
            logits, state, w = self.decode(current, memory, state, summary)
            current = logits.argmax(dim=-1)
            tokens.append(current[0])
            if w is not None:
                weights.append(w[0].flip(-1) if self.reverse_input else w[0])
        return torch.stack(tokens), (torch.stack(weights) if weights else None)


def case_seed(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def entry(t: torch.Tensor) -> Tuple[List[int], List[float]]:
    t = t.detach().to(torch.float32).contiguous()
    return list(t.shape), t.reshape(-1).tolist()


def load_torch(path: str):
    tensors, metadata = safetensors_io.load(path)
    return {k: torch.tensor(v.values, dtype=torch.float64).reshape(v.shape)
            for k, v in tensors.items()}, metadata


# Attention layer alone: objective sum(context * dcontext).
ATTENTION_SIZES = dict(Tq=3, Tk=4, B=2, H=5)


def attention_case(queries, keys, dcontext):
    queries = queries.clone().requires_grad_(True)
    keys = keys.clone().requires_grad_(True)
    context, weights = dot_attention(queries, keys)
    (context * dcontext).sum().backward()
    return {"output.context": context, "output.weights": weights,
            "grad.queries": queries.grad, "grad.keys": keys.grad}


def make_attention(name: str) -> Dict[str, torch.Tensor]:
    torch.manual_seed(case_seed(name))
    s = ATTENTION_SIZES
    # Scaled so that the weights are neither uniform nor one-hot.
    queries = torch.randn(s["Tq"], s["B"], s["H"]) * 0.8
    keys = torch.randn(s["Tk"], s["B"], s["H"]) * 0.8
    dcontext = torch.randn(s["Tq"], s["B"], s["H"])
    inputs = {"input.queries": queries, "input.keys": keys, "input.dcontext": dcontext}
    out = attention_case(*(t.double() for t in (queries, keys, dcontext)))
    return {**inputs, **out}


# Whole models: objective = mean cross-entropy over the non-ignored targets.
MODEL_SIZES = dict(V=9, E=4, H=6, Tq=5, Ta=4, B=3)
MODEL_CASES = {
    "seq2seq_peeky_lstm": dict(cell="lstm", L=1, bidirectional=False, peeky=True,
                               attention=False, reverse_input=True),
    "seq2seq_attention_lstm": dict(cell="lstm", L=1, bidirectional=False, peeky=False,
                                   attention=True, reverse_input=True),
    "seq2seq_peeky_attention_gru_l2_bi": dict(cell="gru", L=2, bidirectional=True, peeky=True,
                                              attention=True, reverse_input=False),
}
BOS = 0


def model_config(case: dict) -> dict:
    s = MODEL_SIZES
    return {"cell": case["cell"], "vocab_size": s["V"], "embedding_dim": s["E"],
            "hidden_size": s["H"], "num_layers": case["L"],
            "bidirectional": case["bidirectional"], "dropout": 0.0,
            "reverse_input": case["reverse_input"], "peeky": case["peeky"],
            "attention": case["attention"], "max_answer_length": s["Ta"],
            "space_padded": False, "question_width": 0}


def build_model(case: dict) -> Seq2seq:
    s = MODEL_SIZES
    return Seq2seq(s["V"], s["E"], s["H"], case["L"], case["cell"], case["bidirectional"],
                   case["peeky"], case["attention"], case["reverse_input"])


def model_outputs(model: Seq2seq, questions, decoder_inputs, targets):
    model.zero_grad()
    logits = model(questions, decoder_inputs)
    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                       ignore_index=IGNORE_INDEX)
    loss.backward()
    greedy, weights = model.greedy(questions, BOS, MODEL_SIZES["Ta"])
    out = {"output.logits": logits, "output.loss": loss, "output.greedy": greedy.double()}
    if weights is not None:
        out["output.greedy_weights"] = weights
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad
    return out


def make_model(name: str, case: dict) -> Dict[str, torch.Tensor]:
    torch.manual_seed(case_seed(name))
    s = MODEL_SIZES
    model = build_model(case)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)  # PyTorch's default ranges, doubled so that gates leave the linear zone
    questions = torch.randint(1, s["V"], (s["Tq"], s["B"]))
    answers = torch.randint(1, s["V"], (s["Ta"], s["B"]))
    decoder_inputs = torch.cat([torch.full((1, s["B"]), BOS), answers[:-1]])
    targets = answers.clone()
    targets[-1, 0] = IGNORE_INDEX  # a shorter answer
    params = {k: v.clone() for k, v in model.state_dict().items()}
    model = model.double()
    out = model_outputs(model, questions, decoder_inputs, targets)
    return {**params, "input.questions": questions.double(),
            "input.decoder_inputs": decoder_inputs.double(), "input.targets": targets.double(),
            **out}


def write_all(out_dir: str) -> None:
    name = "seq2seq_attention_layer"
    tensors = make_attention(name)
    safetensors_io.save_f32(os.path.join(out_dir, name + ".safetensors"),
                            {k: entry(v) for k, v in tensors.items()},
                            {"fixture": json.dumps({**ATTENTION_SIZES,
                                                    "objective": "sum(context * dcontext)"})})
    for name, case in MODEL_CASES.items():
        tensors = make_model(name, case)
        metadata = {"rnnkit.seq2seq_config": json.dumps(model_config(case)),
                    "fixture": json.dumps({**MODEL_SIZES, "bos": BOS,
                                           "objective": "mean cross-entropy",
                                           "ignore_index": IGNORE_INDEX})}
        safetensors_io.save_f32(os.path.join(out_dir, name + ".safetensors"),
                                {k: entry(v) for k, v in tensors.items()}, metadata)


def close(a: torch.Tensor, b: torch.Tensor, what: str, atol: float) -> None:
    if a.shape != b.shape or not torch.allclose(a, b, atol=atol, rtol=0):
        raise SystemExit(f"check failed: {what}")


def check_all(out_dir: str) -> None:
    t, _ = load_torch(os.path.join(out_dir, "seq2seq_attention_layer.safetensors"))
    got = attention_case(t["input.queries"], t["input.keys"], t["input.dcontext"])
    for k, v in got.items():
        close(v, t[k], "attention " + k, 1e-6)
    # An independent loop over the definition, for the forward values.
    q, k_ = t["input.queries"], t["input.keys"]
    for ti in range(q.shape[0]):
        for b in range(q.shape[1]):
            scores = torch.stack([q[ti, b] @ k_[s, b] for s in range(k_.shape[0])])
            w = torch.exp(scores - scores.max())
            w = w / w.sum()
            close(w, t["output.weights"][ti, b], "attention weights by hand", 1e-6)
            close(sum(w[s] * k_[s, b] for s in range(k_.shape[0])), t["output.context"][ti, b],
                  "attention context by hand", 1e-6)
    for name, case in MODEL_CASES.items():
        t, metadata = load_torch(os.path.join(out_dir, name + ".safetensors"))
        model = build_model(case).double()
        model.load_state_dict({k: v for k, v in t.items() if "." in k and k.split(".")[0] in
                               ("encoder", "decoder")}, strict=True)
        got = model_outputs(model, t["input.questions"].long(), t["input.decoder_inputs"].long(),
                            t["input.targets"].long())
        for k, v in got.items():
            close(v, t[k], f"{name} {k}", 1e-5)
        json.loads(metadata["rnnkit.seq2seq_config"])
    print("seq2seq fixtures OK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=FIXTURE_DIR)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.check:
        check_all(args.out)
    else:
        os.makedirs(args.out, exist_ok=True)
        write_all(args.out)
        check_all(args.out)


if __name__ == "__main__":
    main()
