#!/usr/bin/python3
"""Writes the PyTorch reference fixtures of tests/fixtures/ that rnnkit's parity tests read.

Run with Debian's python (python3-torch 1.13 is installed for it only):

    /usr/bin/python3 tools/make_fixtures.py            # (re)write tests/fixtures/
    /usr/bin/python3 tools/make_fixtures.py --check    # re-read and verify the files it makes
    /usr/bin/python3 tools/make_fixtures.py --out DIR  # write somewhere else

Every case has its own fixed seed and the computation is single-threaded, so rerunning
reproduces identical bytes. tests/fixtures/README.md describes each file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import zlib
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE_DIR = os.path.join(REPO_ROOT, "tests", "fixtures")

CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
IGNORE_INDEX = -100
LM_OBJECTIVE = "mean_ce + sum(hN*dhN) + sum(cN*dcN)"
# Sizes of the LM parity cases, all different so that a shape mix-up cannot pass.
LM_V, LM_E, LM_H, LM_T, LM_B = 11, 6, 5, 4, 3
LM_P = 3  # proj_size of the LSTM-with-projections cases

TRAIN_TEXT = (
    "Il était une fois un petit réseau récurrent.\n"
    "Chaque caractère compte : é, è, à, ç, ü.\n"
    "字 is the word for character; 汉字 are Chinese characters.\n"
    "The quick brown fox jumps over the lazy dog, again and again.\n"
    "An LSTM reads one token at a time and keeps a memory.\n"
    "Gradients flow back through time; clip them when they grow.\n"
)


class LM(nn.Module):
    """The language model of DESIGN.md: embedding (or one-hot), recurrent stack, linear head."""

    def __init__(self, V, E, H, L, cell, bidirectional=False, dropout=0.0, tie_weights=False,
                 proj_size=0):
        super().__init__()
        self.vocab_size = V
        self.cell = cell
        if E:
            self.embedding = nn.Embedding(V, E)
        rnn = {"rnn_tanh": nn.RNN, "rnn_relu": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        kw = {"nonlinearity": cell[4:]} if cell.startswith("rnn") else {}
        if proj_size:
            kw["proj_size"] = proj_size
        self.rnn = rnn(E or V, H, L, dropout=dropout, bidirectional=bidirectional, **kw)
        self.fc = nn.Linear((proj_size or H) * (2 if bidirectional else 1), V)
        if tie_weights:
            self.fc.weight = self.embedding.weight

    def forward(self, ids, h0=None, c0=None):
        if hasattr(self, "embedding"):
            x = self.embedding(ids)
        else:
            x = F.one_hot(ids, self.vocab_size).to(self.fc.weight.dtype)
        if self.cell == "lstm":
            y, (hN, cN) = self.rnn(x, None if h0 is None else (h0, c0))
        else:
            (y, hN), cN = self.rnn(x, h0), None
        return self.fc(y), y, hN, cN


def lm_config(cell, V, E, H, L, bidirectional, tie_weights=False, proj_size=0) -> dict:
    """The rnnkit.config of a case; proj_size only when set (absent means 0)."""
    config = {
        "cell": cell,
        "vocab_size": V,
        "embedding_dim": E,
        "hidden_size": H,
        "num_layers": L,
        "bidirectional": bidirectional,
        "dropout": 0.0,
        "tie_weights": tie_weights,
    }
    if proj_size:
        config["proj_size"] = proj_size
    return config


def with_tied_output(state: dict, config: dict) -> dict:
    """The state dict of a file rnnkit wrote: a tied model stores its output matrix once, as
    embedding.weight; PyTorch's state_dict names it twice."""
    if config.get("tie_weights") and "fc.weight" not in state and "embedding.weight" in state:
        state = dict(state)
        state["fc.weight"] = state["embedding.weight"]
    return state


def lm_from_config(config: dict) -> LM:
    return LM(
        config["vocab_size"],
        config["embedding_dim"],
        config["hidden_size"],
        config["num_layers"],
        config["cell"],
        config["bidirectional"],
        config["dropout"],
        config["tie_weights"],
        config.get("proj_size", 0),
    )


def case_seed(name: str) -> int:
    """A seed that depends only on the case name, so adding a case changes no other file."""
    return zlib.crc32(name.encode("utf-8"))


def parameter_by_name(model: nn.Module, name: str) -> torch.Tensor:
    """The live parameter behind a state_dict key (state_dict() returns detached copies)."""
    module_path, _, attr = name.rpartition(".")
    return getattr(model.get_submodule(module_path), attr)


def reference_rnn(params, cell, L, D, x, h0, c0):
    """The recurrent stack written out step by step from the torch.nn formulas.

    Independent of nn.RNN/LSTM/GRU; used to check PyTorch's numbers (and the gate order and
    direction/layer layout the fixtures document) and to look at relu pre-activations.
    Returns y, hN, cN (None unless lstm) and {(layer, direction): pre-activations [T,B,H]}.
    """
    T = x.shape[0]
    layer_in = x
    h_last, c_last, preacts = [], [], {}
    for layer in range(L):
        outputs = []
        for direction in range(D):
            suffix = f"l{layer}" + ("_reverse" if direction else "")
            w_ih, w_hh, b_ih, b_hh = (
                params[f"rnn.{kind}_{suffix}"]
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            )
            w_hr = params.get(f"rnn.weight_hr_{suffix}")  # LSTM with projections only
            h = h0[layer * D + direction]
            c = c0[layer * D + direction] if cell == "lstm" else None
            ys: List[Optional[torch.Tensor]] = [None] * T
            pre_steps: List[Optional[torch.Tensor]] = [None] * T
            for t in reversed(range(T)) if direction else range(T):
                gi = layer_in[t] @ w_ih.T + b_ih
                gh = h @ w_hh.T + b_hh
                if cell == "lstm":
                    i, f, g, o = (gi + gh).chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(c)
                    if w_hr is not None:
                        h = h @ w_hr.T
                elif cell == "gru":
                    i_r, i_z, i_n = gi.chunk(3, dim=1)
                    h_r, h_z, h_n = gh.chunk(3, dim=1)
                    r = torch.sigmoid(i_r + h_r)
                    z = torch.sigmoid(i_z + h_z)
                    n = torch.tanh(i_n + r * h_n)
                    h = (1 - z) * n + z * h
                else:
                    pre_steps[t] = gi + gh
                    h = torch.tanh(gi + gh) if cell == "rnn_tanh" else torch.relu(gi + gh)
                ys[t] = h
            outputs.append(torch.stack(ys))
            h_last.append(h)
            c_last.append(c)
            if cell.startswith("rnn"):
                preacts[(layer, direction)] = torch.stack(pre_steps)
        layer_in = torch.cat(outputs, dim=2)
    cN = torch.stack(c_last) if cell == "lstm" else None
    return layer_in, torch.stack(h_last), cN, preacts


def to_f32_entry(t: torch.Tensor) -> Tuple[List[int], List[float]]:
    t = t.detach().to(torch.float32).contiguous()
    return list(t.shape), t.reshape(-1).tolist()


def save(path: str, tensors: Dict[str, torch.Tensor], metadata: Dict[str, str]) -> None:
    safetensors_io.save_f32(path, {k: to_f32_entry(v) for k, v in tensors.items()}, metadata)


def load_torch(path: str, dtype=torch.float64):
    tensors, metadata = safetensors_io.load(path)
    out = {}
    for name, data in tensors.items():
        if data.dtype != "F32":
            raise ValueError(f"{path}: {name} is {data.dtype}, fixtures are all F32")
        out[name] = torch.tensor(data.values, dtype=dtype).reshape(data.shape)
    return out, metadata


# --------------------------------------------------------------------------------------------
# 1. LM parity fixtures


def lm_case_names():
    """(file stem, keyword arguments of make_lm_case) for every LM parity case."""
    cases = []
    for cell in CELLS:
        for L in (1, 2, 3):
            for bidirectional in (False, True):
                for embedded in (True, False):
                    stem = "lm_{}_l{}_{}_{}".format(
                        cell, L, "bi" if bidirectional else "uni", "emb" if embedded else "onehot"
                    )
                    cases.append((stem, dict(cell=cell, L=L, bidirectional=bidirectional,
                                             E=LM_E if embedded else 0)))
    cases.append(("lm_lstm_l2_uni_tied", dict(cell="lstm", L=2, bidirectional=False, E=LM_H,
                                              tie_weights=True)))
    cases.append(("lm_gru_l2_bi_emb_zerostate", dict(cell="gru", L=2, bidirectional=True,
                                                     E=LM_E, zero_state=True)))
    for L in (1, 2, 3):
        for bidirectional in (False, True):
            stem = "lm_lstm_proj_l{}_{}_{}".format(
                L, "bi" if bidirectional else "uni", "onehot" if L == 2 else "emb")
            cases.append((stem, dict(cell="lstm", L=L, bidirectional=bidirectional,
                                     E=0 if L == 2 else LM_E, proj_size=LM_P)))
    return cases


def relu_preactivations_are_mixed(model: LM, ids, h0) -> bool:
    """True when every layer and direction sees both signs in at least 20% of its units."""
    params = dict(model.state_dict())
    if hasattr(model, "embedding"):
        x = model.embedding(ids).detach()
    else:
        x = F.one_hot(ids, model.vocab_size).double()
    D = 2 if model.rnn.bidirectional else 1
    _, _, _, preacts = reference_rnn(params, "rnn_relu", model.rnn.num_layers, D, x, h0, None)
    return all(0.2 <= (p > 0).double().mean().item() <= 0.8 for p in preacts.values())


def make_lm_case(stem, cell, L, bidirectional, E, tie_weights=False, zero_state=False,
                 proj_size=0):
    V, H, T, B = LM_V, LM_H, LM_T, LM_B
    D = 2 if bidirectional else 1
    S = proj_size or H  # width of h; the cell state c is H wide
    config = lm_config(cell, V, E, H, L, bidirectional, tie_weights, proj_size)
    # The inputs and parameters are drawn in float32 and then widened, so the F32 values in the
    # file are exactly the values the float64 reference computed with.
    for attempt in range(100):
        torch.manual_seed(case_seed(stem) + attempt)
        model = lm_from_config(config)
        with torch.no_grad():
            # Default init draws b_ih and b_hh independently already; the offsets make them
            # differ by more than a rounding error and move them off the init range.
            for name, p in model.rnn.named_parameters():
                if name.startswith("bias"):
                    p.add_(0.2 * torch.randn_like(p))
        model.double()
        ids = torch.randint(0, V, (T, B))
        targets = torch.randint(0, V, (T, B))
        ignored = torch.rand(T, B) < 0.2
        ignored.view(-1)[0], ignored.view(-1)[-1] = True, False  # at least one of each
        targets[ignored] = IGNORE_INDEX
        h0 = None if zero_state else torch.randn(L * D, B, S).double()
        c0 = torch.randn(L * D, B, H).double() if cell == "lstm" and not zero_state else None
        dhN = torch.randn(L * D, B, S).double()
        dcN = torch.randn(L * D, B, H).double() if cell == "lstm" else None
        if cell != "rnn_relu" or relu_preactivations_are_mixed(model, ids, h0):
            break
    else:
        raise RuntimeError(f"{stem}: no seed gave mixed-sign relu pre-activations")

    for state in (h0, c0):
        if state is not None:
            state.requires_grad_(True)
    logits, y, hN, cN = model(ids, h0, c0)
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=IGNORE_INDEX)
    objective = loss + (hN * dhN).sum()
    if cell == "lstm":
        objective = objective + (cN * dcN).sum()
    objective.backward()

    tensors: Dict[str, torch.Tensor] = {}
    for name, value in model.state_dict().items():
        tensors[name] = value
        tensors["grad." + name] = parameter_by_name(model, name).grad
    tensors.update({"input.ids": ids, "input.targets": targets, "input.dhN": dhN})
    tensors.update({"output.rnn": y, "output.logits": logits, "output.hN": hN, "output.loss": loss})
    if h0 is not None:
        tensors.update({"input.h0": h0, "grad.h0": h0.grad})
    if cell == "lstm":
        tensors.update({"input.dcN": dcN, "output.cN": cN})
        if c0 is not None:
            tensors.update({"input.c0": c0, "grad.c0": c0.grad})
    fixture = {
        "T": T,
        "B": B,
        "objective": LM_OBJECTIVE,
        "ignore_index": IGNORE_INDEX,
        "initial_state": (
            "zeros" if zero_state else "input.h0" + (", input.c0" if cell == "lstm" else "")
        ),
        "reference": "torch float64, stored as F32",
    }
    metadata = {"rnnkit.config": json.dumps(config), "fixture": json.dumps(fixture)}
    return tensors, metadata


def check_lm_file(path: str) -> None:
    tensors, metadata = load_torch(path)
    config = json.loads(metadata["rnnkit.config"])
    fixture = json.loads(metadata["fixture"])
    cell, V, E, H, L = (
        config[k] for k in ("cell", "vocab_size", "embedding_dim", "hidden_size", "num_layers")
    )
    T, B = fixture["T"], fixture["B"]
    D = 2 if config["bidirectional"] else 1
    S = config.get("proj_size", 0) or H
    lstm = cell == "lstm"
    zero_state = "input.h0" not in tensors

    model = lm_from_config(config).double()
    params = {k: v for k, v in tensors.items() if not k.startswith(("input.", "output.", "grad."))}
    model.load_state_dict(params, strict=True)
    if config["tie_weights"]:
        assert torch.equal(params["embedding.weight"], params["fc.weight"]), path

    expected_shapes = {name: tuple(v.shape) for name, v in model.state_dict().items()}
    expected_shapes.update({"grad." + k: s for k, s in expected_shapes.items()})
    state_shape, cell_shape = (L * D, B, S), (L * D, B, H)
    expected_shapes.update({
        "input.ids": (T, B), "input.targets": (T, B), "input.dhN": state_shape,
        "output.rnn": (T, B, D * S), "output.logits": (T, B, V), "output.hN": state_shape,
        "output.loss": (),
    })
    if not zero_state:
        expected_shapes.update({"input.h0": state_shape, "grad.h0": state_shape})
    if lstm:
        expected_shapes.update({"input.dcN": cell_shape, "output.cN": cell_shape})
        if not zero_state:
            expected_shapes.update({"input.c0": cell_shape, "grad.c0": cell_shape})
    actual_shapes = {k: tuple(v.shape) for k, v in tensors.items()}
    assert actual_shapes == expected_shapes, f"{path}: {actual_shapes} != {expected_shapes}"

    ids = tensors["input.ids"].long()
    targets = tensors["input.targets"].long()
    assert torch.equal(ids.double(), tensors["input.ids"]) and ids.min() >= 0 and ids.max() < V
    ignored = targets == IGNORE_INDEX
    assert ignored.any() and not ignored.all() and targets[~ignored].max() < V, path
    h0 = None if zero_state else tensors["input.h0"].clone().requires_grad_(True)
    c0 = tensors["input.c0"].clone().requires_grad_(True) if lstm and not zero_state else None

    logits, y, hN, cN = model(ids, h0, c0)
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=IGNORE_INDEX)
    objective = loss + (hN * tensors["input.dhN"]).sum()
    if lstm:
        objective = objective + (cN * tensors["input.dcN"]).sum()
    objective.backward()

    def close(name, actual, atol=1e-6):
        expected = tensors[name]
        err = (actual.detach() - expected).abs().max().item() if expected.numel() else 0.0
        assert err <= atol + 1e-6 * expected.abs().max().item(), f"{path}: {name} off by {err}"

    close("output.logits", logits)
    close("output.rnn", y)
    close("output.hN", hN)
    close("output.loss", loss)
    if lstm:
        close("output.cN", cN)
    for name in params:
        close("grad." + name, parameter_by_name(model, name).grad)
    if not zero_state:
        close("grad.h0", h0.grad)
        if lstm:
            close("grad.c0", c0.grad)

    # The step-by-step formulas must give PyTorch's numbers (gate order, layer/direction layout).
    x = model.embedding(ids) if E else F.one_hot(ids, V).double()
    zeros = torch.zeros(state_shape, dtype=torch.float64)
    cell_zeros = torch.zeros(cell_shape, dtype=torch.float64)
    y_ref, hN_ref, cN_ref, preacts = reference_rnn(
        params, cell, L, D, x.detach(), zeros if zero_state else tensors["input.h0"],
        (cell_zeros if zero_state else tensors["input.c0"]) if lstm else None)
    close("output.rnn", y_ref)
    close("output.hN", hN_ref)
    if lstm:
        close("output.cN", cN_ref)
    if cell == "rnn_relu":
        for key, p in preacts.items():
            positive = (p > 0).double().mean().item()
            assert 0.2 <= positive <= 0.8, f"{path}: relu pre-activations {key}: {positive:.2f}"
    if not config["tie_weights"]:
        for name in params:
            if name.startswith("rnn.bias_ih"):
                other = params[name.replace("bias_ih", "bias_hh")]
                assert (params[name] - other).abs().max() > 1e-3, f"{path}: {name} == bias_hh"


# --------------------------------------------------------------------------------------------
# 2. Optimizer fixtures

OPTIM_SHAPES = ((4, 3), (5,), (2, 3, 2))
OPTIM_STEPS = 3
CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_: coef = max_norm / (total_norm + 1e-6)

OPTIM_CASES = {
    "optim_sgd": dict(name="sgd", lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.01,
                      nesterov=False, max_norm=2.0, grad_scales=(1.0, 0.1, 1.0)),
    "optim_sgd_plain": dict(name="sgd", lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0,
                            nesterov=False, max_norm=None, grad_scales=(1.0, 1.0, 1.0)),
    "optim_adam": dict(name="adam", lr=0.01, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.001,
                       amsgrad=False, max_norm=None, grad_scales=(1.0, 1.0, 1.0)),
    "optim_adamw": dict(name="adamw", lr=0.01, betas=[0.9, 0.99], eps=1e-8, weight_decay=0.1,
                        amsgrad=False, max_norm=None, grad_scales=(1.0, 1.0, 1.0)),
}


def torch_optimizer(spec: dict, params) -> torch.optim.Optimizer:
    if spec["name"] == "sgd":
        return torch.optim.SGD(params, lr=spec["lr"], momentum=spec["momentum"],
                               dampening=spec["dampening"], weight_decay=spec["weight_decay"],
                               nesterov=spec["nesterov"])
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[spec["name"]]
    return cls(params, lr=spec["lr"], betas=tuple(spec["betas"]), eps=spec["eps"],
               weight_decay=spec["weight_decay"], amsgrad=spec["amsgrad"])


def optimizer_metadata(spec: dict) -> dict:
    meta = {k: v for k, v in spec.items() if k != "grad_scales"}
    if spec["max_norm"] is not None:
        meta.update({"norm_type": 2.0, "clip_eps": CLIP_EPS})
    meta["steps"] = OPTIM_STEPS
    meta["dtype"] = "float32"
    return meta


def make_optim_case(stem: str, spec: dict):
    torch.manual_seed(case_seed(stem))
    params = [torch.randn(shape) for shape in OPTIM_SHAPES]
    tensors = {f"param.{i}": p.clone() for i, p in enumerate(params)}
    optimizer = torch_optimizer(spec, params)
    clipped = []
    for step in range(OPTIM_STEPS):
        grads = [spec["grad_scales"][step] * torch.randn(shape) for shape in OPTIM_SHAPES]
        for i, (p, g) in enumerate(zip(params, grads)):
            tensors[f"grad.{step}.{i}"] = g.clone()
            p.grad = g.clone()
        if spec["max_norm"] is not None:
            norm = torch.nn.utils.clip_grad_norm_(params, spec["max_norm"])
            tensors[f"norm.{step}"] = norm
            clipped.append(norm.item() > spec["max_norm"])
        optimizer.step()
        for i, p in enumerate(params):
            tensors[f"expected.{step}.{i}"] = p.detach().clone()
    if spec["max_norm"] is not None:
        assert any(clipped) and not all(clipped), f"{stem}: clipping should be active at some steps"
    return tensors, {"optimizer": json.dumps(optimizer_metadata(spec))}


class ReferenceOptimizer:
    """SGD, Adam and AdamW written from their documented update rules, in float64."""

    def __init__(self, meta: dict, params: List[torch.Tensor]):
        self.meta, self.params, self.step_count = meta, params, 0
        self.buf = [None for _ in params]
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self, grads: List[torch.Tensor]) -> None:
        meta = self.meta
        self.step_count += 1
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if meta["name"] == "sgd":
                g = g + meta["weight_decay"] * p
                if meta["momentum"]:
                    if self.buf[i] is None:
                        self.buf[i] = g.clone()
                    else:
                        self.buf[i] = meta["momentum"] * self.buf[i] + (1 - meta["dampening"]) * g
                    g = self.buf[i]
                p -= meta["lr"] * g
                continue
            beta1, beta2 = meta["betas"]
            if meta["name"] == "adam":
                g = g + meta["weight_decay"] * p
            else:
                p *= 1 - meta["lr"] * meta["weight_decay"]
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g * g
            m_hat = self.m[i] / (1 - beta1 ** self.step_count)
            v_hat = self.v[i] / (1 - beta2 ** self.step_count)
            p -= meta["lr"] * m_hat / (v_hat.sqrt() + meta["eps"])


def clip_by_global_norm(grads: List[torch.Tensor], max_norm: float):
    """Returns the gradients scaled as clip_grad_norm_ does, and their total norm before."""
    norm = math.sqrt(sum((g * g).sum().item() for g in grads))
    scale = min(1.0, max_norm / (norm + CLIP_EPS))
    return [g * scale for g in grads], norm


def check_optim_file(path: str) -> None:
    tensors, metadata = load_torch(path)
    meta = json.loads(metadata["optimizer"])
    n = len(OPTIM_SHAPES)
    expected_names = {f"param.{i}" for i in range(n)}
    for step in range(meta["steps"]):
        expected_names |= {f"grad.{step}.{i}" for i in range(n)}
        expected_names |= {f"expected.{step}.{i}" for i in range(n)}
        if meta["max_norm"] is not None:
            expected_names.add(f"norm.{step}")
    assert set(tensors) == expected_names, f"{path}: {sorted(set(tensors) ^ expected_names)}"
    params = [tensors[f"param.{i}"].clone() for i in range(n)]
    assert [tuple(p.shape) for p in params] == list(OPTIM_SHAPES), path
    reference = ReferenceOptimizer(meta, params)
    for step in range(meta["steps"]):
        grads = [tensors[f"grad.{step}.{i}"] for i in range(n)]
        if meta["max_norm"] is not None:
            grads, norm = clip_by_global_norm(grads, meta["max_norm"])
            stored = tensors[f"norm.{step}"]
            assert stored.shape == (), f"{path}: norm.{step} is not 0-rank"
            assert abs(stored.item() - norm) <= 1e-6 * norm, f"{path}: norm.{step}"
        reference.step(grads)
        for i, p in enumerate(params):
            err = (p - tensors[f"expected.{step}.{i}"]).abs().max().item()
            assert err < 1e-5, f"{path}: expected.{step}.{i} off by {err}"


# --------------------------------------------------------------------------------------------
# 3. Training-step fixtures

TRAIN_TEXT_FILE = "train_step_text.txt"
TRAIN_SEMANTICS = (
    "one step of `rnnkit train` with sequential batching: the text (UTF-8, every code point a "
    "token, newlines included) maps to ids by the vocabulary; the N tokens are cut into B "
    "contiguous streams of length S = (N-1)//B; batch 0 has inputs[t][b] = tokens[b*S + t] and "
    "targets[t][b] = tokens[b*S + t + 1] for t < T = bptt (time-major [T,B]); zero initial "
    "state; loss = mean cross-entropy over all T*B targets; backward; clip_grad_norm_ of all "
    "parameters to `clip` (total 2-norm, coef = clip/(norm+1e-6), only when < 1; null = no "
    "clipping); one optimizer step; float32"
)
TRAIN_CASES = {
    "train_step_sgd": dict(batch=2, bptt=5, sampling="sequential", offset=0, steps=1,
                           optimizer="sgd", lr=0.5, clip=0.1, momentum=0.0, weight_decay=0.0),
    "train_step_adam": dict(batch=2, bptt=5, sampling="sequential", offset=0, steps=1,
                            optimizer="adam", lr=0.01, clip=None, betas=[0.9, 0.999], eps=1e-8,
                            weight_decay=0.0),
}
TRAIN_E, TRAIN_H = 4, 6


def char_vocab(text: str) -> dict:
    return {
        "level": "char",
        "tokens": sorted(set(text)),
        "specials": {"unk": None, "bos": None, "eos": None, "pad": None},
        "normalization": {"lowercase": False, "letters_only": False, "script": None},
    }


def first_sequential_batch(tokens: List[int], B: int, T: int) -> Tuple[torch.Tensor, torch.Tensor]:
    S = (len(tokens) - 1) // B
    assert T <= S
    inputs = torch.tensor([[tokens[b * S + t] for b in range(B)] for t in range(T)])
    targets = torch.tensor([[tokens[b * S + t + 1] for b in range(B)] for t in range(T)])
    return inputs, targets


def make_train_case(stem: str, settings: dict):
    vocab = char_vocab(TRAIN_TEXT)
    stoi = {c: i for i, c in enumerate(vocab["tokens"])}
    V = len(vocab["tokens"])
    config = lm_config("lstm", V, TRAIN_E, TRAIN_H, 1, False)
    torch.manual_seed(case_seed(stem))
    model = lm_from_config(config)
    tensors = {name: value.clone() for name, value in model.state_dict().items()}

    tokens = [stoi[c] for c in TRAIN_TEXT]
    inputs, targets = first_sequential_batch(tokens, settings["batch"], settings["bptt"])
    logits, _, _, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    grad_norm = torch.norm(torch.stack([torch.norm(p.grad) for p in model.parameters()]))
    if settings["clip"] is not None:
        assert grad_norm.item() > settings["clip"], f"{stem}: clip {settings['clip']} is not active"
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings["clip"])
    if settings["optimizer"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=settings["lr"],
                                    momentum=settings["momentum"],
                                    weight_decay=settings["weight_decay"])
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"],
                                     betas=tuple(settings["betas"]), eps=settings["eps"],
                                     weight_decay=settings["weight_decay"])
    optimizer.step()

    for name, value in model.state_dict().items():
        tensors["expected." + name] = value
    tensors.update({"expected.loss": loss, "expected.grad_norm": grad_norm,
                    "expected.inputs": inputs, "expected.targets": targets})
    train = dict(settings, text=TRAIN_TEXT_FILE, semantics=TRAIN_SEMANTICS)
    metadata = {
        "rnnkit.config": json.dumps(config),
        "rnnkit.vocab": json.dumps(vocab, ensure_ascii=False),
        "train": json.dumps(train, ensure_ascii=False),
    }
    return tensors, metadata


def check_train_file(path: str, text: str) -> None:
    tensors, metadata = load_torch(path)
    config = json.loads(metadata["rnnkit.config"])
    vocab = json.loads(metadata["rnnkit.vocab"])
    train = json.loads(metadata["train"])
    assert vocab["tokens"] == sorted(set(text)), f"{path}: vocabulary"
    assert len(vocab["tokens"]) == config["vocab_size"], f"{path}: vocab_size"
    B, T = train["batch"], train["bptt"]

    model = lm_from_config(config).double()
    params = {k: v for k, v in tensors.items() if not k.startswith("expected.")}
    model.load_state_dict(params, strict=True)
    expected_names = set(params) | {"expected." + k for k in params}
    expected_names |= {"expected.loss", "expected.grad_norm", "expected.inputs", "expected.targets"}
    assert set(tensors) == expected_names, path

    # The batch, rebuilt from string slices rather than token lists.
    S = (len(text) - 1) // B
    streams = [text[b * S : b * S + T + 1] for b in range(B)]
    index = vocab["tokens"].index
    inputs = torch.tensor([[index(streams[b][t]) for b in range(B)] for t in range(T)])
    targets = torch.tensor([[index(streams[b][t + 1]) for b in range(B)] for t in range(T)])
    assert torch.equal(inputs.double(), tensors["expected.inputs"]), path
    assert torch.equal(targets.double(), tensors["expected.targets"]), path

    logits, _, _, _ = model(inputs)
    log_probs = logits - logits.logsumexp(dim=2, keepdim=True)
    loss = -log_probs.gather(2, targets.unsqueeze(2)).mean()
    assert abs(loss.item() - tensors["expected.loss"].item()) < 1e-5, f"{path}: loss"
    loss.backward()
    names = list(params)
    grads = [parameter_by_name(model, k).grad for k in names]
    norm = math.sqrt(sum((g * g).sum().item() for g in grads))
    assert abs(norm - tensors["expected.grad_norm"].item()) < 1e-5 * norm, f"{path}: grad_norm"
    if train["clip"] is not None:
        assert norm > train["clip"], f"{path}: clipping is not active"
        grads, _ = clip_by_global_norm(grads, train["clip"])
    meta = {"name": train["optimizer"], "lr": train["lr"], "weight_decay": train["weight_decay"],
            "momentum": train.get("momentum", 0.0), "dampening": 0.0,
            "betas": train.get("betas"), "eps": train.get("eps")}
    updated = [params[k].clone() for k in names]
    ReferenceOptimizer(meta, updated).step(grads)
    for name, value in zip(names, updated):
        err = (value - tensors["expected." + name]).abs().max().item()
        assert err < 1e-5, f"{path}: expected.{name} off by {err}"


# --------------------------------------------------------------------------------------------
# 4. Evaluation fixtures: the perplexity of a token stream, whole and in windows

EVAL_TOKENS, EVAL_WINDOW, EVAL_WEIGHT_SCALE = 600, 50, 3.0
EVAL_SEMANTICS = (
    "ids is one token stream of N tokens. whole: the model reads ids[0 .. N-2] as one sequence "
    "from zero states (model(ids[:-1])) and predicts ids[t+1] at every t; cross_entropy is the "
    "mean over the N-1 predictions. windows: the predictions are cut into windows of `window`: "
    "window k reads ids[kW .. (k+1)W-1] alone, every direction from zero states, and predicts "
    "ids[kW+1 .. (k+1)W]; the last window is shorter; window_cross_entropy is the mean over all "
    "N-1 predictions"
)
EVAL_CASES = {
    "eval_lstm_l2_bi_emb": dict(cell="lstm", L=2, bidirectional=True, E=LM_E),
    "eval_gru_l3_bi_emb": dict(cell="gru", L=3, bidirectional=True, E=LM_E),
    "eval_rnn_tanh_l1_bi_onehot": dict(cell="rnn_tanh", L=1, bidirectional=True, E=0),
    "eval_lstm_l2_uni_emb": dict(cell="lstm", L=2, bidirectional=False, E=LM_E),
}


def stream_cross_entropies(model: LM, ids: torch.Tensor, window: int) -> Tuple[float, float]:
    """Mean cross-entropy of the stream read whole, and read in independent windows."""
    with torch.no_grad():
        logits = model(ids[:-1].unsqueeze(1))[0].squeeze(1)
        whole = F.cross_entropy(logits, ids[1:]).item()
        total = 0.0
        for start in range(0, len(ids) - 1, window):
            inputs = ids[start : start + window]
            targets = ids[start + 1 : start + window + 1]
            inputs = inputs[: len(targets)]
            logits = model(inputs.unsqueeze(1))[0].squeeze(1)
            total += F.cross_entropy(logits, targets, reduction="sum").item()
    return whole, total / (len(ids) - 1)


def make_eval_case(stem: str, cell: str, L: int, bidirectional: bool, E: int):
    torch.manual_seed(case_seed(stem))
    config = lm_config(cell, LM_V, E, LM_H, L, bidirectional)
    model = lm_from_config(config)
    with torch.no_grad():
        # PyTorch's init gives H = 5 units too little context to change a prediction much; larger
        # weights make whole and windowed readings (and the directions' states) matter.
        for name, p in model.named_parameters():
            p.mul_(EVAL_WEIGHT_SCALE if name.startswith(("rnn.", "fc.")) else 1.0)
    ids = torch.randint(0, LM_V, (EVAL_TOKENS,))
    model.double()
    whole, windows = stream_cross_entropies(model, ids, EVAL_WINDOW)
    tensors = dict(model.state_dict())
    tensors.update({"input.ids": ids, "expected.cross_entropy": torch.tensor(whole),
                    "expected.window_cross_entropy": torch.tensor(windows)})
    fixture = {"tokens": EVAL_TOKENS, "window": EVAL_WINDOW, "semantics": EVAL_SEMANTICS,
               "reference": "torch float64, stored as F32"}
    return tensors, {"rnnkit.config": json.dumps(config), "fixture": json.dumps(fixture)}


def check_eval_file(path: str) -> None:
    tensors, metadata = load_torch(path)
    config = json.loads(metadata["rnnkit.config"])
    fixture = json.loads(metadata["fixture"])
    model = lm_from_config(config).double()
    params = {k: v for k, v in tensors.items() if not k.startswith(("input.", "expected."))}
    model.load_state_dict(params, strict=True)
    expected = set(params) | {"input.ids", "expected.cross_entropy", "expected.window_cross_entropy"}
    assert set(tensors) == expected, f"{path}: {sorted(set(tensors) ^ expected)}"
    ids = tensors["input.ids"].long()
    assert ids.shape == (fixture["tokens"],) and torch.equal(ids.double(), tensors["input.ids"])
    window = fixture["window"]
    assert (len(ids) - 1) % window, f"{path}: the last window should be a short one"
    whole, windows = stream_cross_entropies(model, ids, window)
    for name, value in (("cross_entropy", whole), ("window_cross_entropy", windows)):
        stored = tensors["expected." + name].item()
        assert abs(stored - value) <= 1e-6 * value, f"{path}: expected.{name} is {stored}, not {value}"
    # The two readings must differ by ten times the tests' tolerance (1e-5), or a test could
    # not tell them apart.
    assert abs(whole - windows) > 1e-4 * whole, f"{path}: whole and windowed readings agree"


# --------------------------------------------------------------------------------------------


def all_cases() -> List[Tuple[str, Callable[[], Tuple[dict, dict]]]]:
    cases = [(stem, lambda s=stem, kw=kw: make_lm_case(s, **kw)) for stem, kw in lm_case_names()]
    cases += [(stem, lambda s=stem, spec=spec: make_optim_case(s, spec))
              for stem, spec in OPTIM_CASES.items()]
    cases += [(stem, lambda s=stem, st=st: make_train_case(s, st))
              for stem, st in TRAIN_CASES.items()]
    cases += [(stem, lambda s=stem, kw=kw: make_eval_case(s, **kw))
              for stem, kw in EVAL_CASES.items()]
    return cases


def made_files() -> List[str]:
    """The files this script writes: the only ones --check verifies. tests/fixtures/ also holds
    files of other tools (tests/fixtures/README.md says which), which it leaves alone."""
    return [TRAIN_TEXT_FILE] + [stem + ".safetensors" for stem, _ in all_cases()]


def generate(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, TRAIN_TEXT_FILE), "w", encoding="utf-8", newline="\n") as f:
        f.write(TRAIN_TEXT)
    for stem, make in all_cases():
        tensors, metadata = make()
        save(os.path.join(out_dir, stem + ".safetensors"), tensors, metadata)


def check(fixture_dir: str) -> None:
    missing = [name for name in made_files() if not os.path.isfile(os.path.join(fixture_dir, name))]
    assert not missing, f"{fixture_dir} lacks {missing}: rerun tools/make_fixtures.py"
    with open(os.path.join(fixture_dir, TRAIN_TEXT_FILE), encoding="utf-8", newline="") as f:
        text = f.read()
    assert text == TRAIN_TEXT, f"{TRAIN_TEXT_FILE} differs from the generator's text"
    for stem, _ in all_cases():
        path = os.path.join(fixture_dir, stem + ".safetensors")
        if stem.startswith("lm_"):
            check_lm_file(path)
        elif stem.startswith("optim_"):
            check_optim_file(path)
        elif stem.startswith("eval_"):
            check_eval_file(path)
        else:
            check_train_file(path, text)
    total = sum(os.path.getsize(os.path.join(fixture_dir, name)) for name in made_files())
    assert total < 2_000_000, f"fixtures take {total} bytes, keep them under 2 MB"
    others = sorted(set(os.listdir(fixture_dir)) - set(made_files()) - {"README.md"})
    print(f"{len(made_files())} fixture files OK, {total} bytes in {fixture_dir}; "
          f"{len(others)} entries of other tools not checked here: {', '.join(others)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=FIXTURE_DIR,
                        help="directory to write (default tests/fixtures)")
    parser.add_argument("--check", action="store_true",
                        help="verify the files in --out instead of writing them")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.check:
        check(args.out)
    else:
        generate(args.out)
        print(f"wrote {len(made_files())} fixture files to {args.out}")


if __name__ == "__main__":
    main()
