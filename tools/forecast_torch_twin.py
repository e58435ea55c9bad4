#!/usr/bin/python3
"""The PyTorch twin of `rnnkit forecast train` + `rnnkit forecast eval` (issue 14): the same model
(torch.nn.LSTM/GRU/RNN encoder, direct head or autoregressive decoder, MSE/MAE/pinball loss),
trained the same way on the same windows, scored on the same rolling-origin test windows.

    forecast_torch_twin.py --data FILE --target COL [--covariates A,B] [--fill none|previous|linear]
        [--valid-fraction 0.1] [--test-fraction 0.1] [--season 12] [--origin-step 1]
        [--context 24] [--horizon 6] [--head direct|autoregressive] [--loss mse|mae|quantile]
        [--quantiles 0.1,0.5,0.9] [--level none|last] [--cell lstm|gru|rnn_tanh|rnn_relu]
        [--layers 1] [--hidden 32] [--dropout 0] [--epochs 100] [--batch 16] [--lr 0.003]
        [--beta1 0.9] [--beta2 0.999] [--eps 1e-8] [--clip 1] [--seed 1] [--threads 1]
        [--init FILE.safetensors] [--save FILE.safetensors]

What is the same as rnnkit (docs/FORECAST.md): the split (llround of the fractions), the
normalisation (mean and population std of the training part, computed in double, the inputs cast
to float32), the training windows (every origin of the training part), an epoch as those windows
shuffled into batches of --batch (the last one smaller), Adam with bias correction, the global
gradient norm clipped to --clip as torch.nn.utils.clip_grad_norm_, after every epoch the MAE of
the validation windows' point forecasts in the series' units, the best of which is the model
scored; the test origins, the point forecast (the 0.5 quantile, which --quantiles must include),
the interval (first and last quantile) and the scores (forecast_series.scores, MASE scaled by the
training part's seasonal naive error). The parameter names are rnnkit's (encoder.*, decoder.*, head.*), so
--init loads an rnnkit model file (for the same initial weights) and --save writes one that
`rnnkit forecast eval --model` reads, with the run's split, season and origin step
(rnnkit.scoring, as rnnkit writes it), so that eval scores it as the twin did.

What differs: the random streams (initialisation, shuffling, dropout) are torch's, so single runs
differ; compare the mean and spread over seeds.

Prints one JSON line: the settings, the training seconds (the epochs and their validations, not
the reading of the CSV) and the test scores of the best model per target.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forecast_series  # noqa: E402
import safetensors_io  # noqa: E402

TOOL = "forecast_torch_twin"


def fail(message):
    forecast_series.fail(TOOL, message)


class Forecaster(nn.Module):
    """rnnkit's Forecaster (src/models/forecaster.cpp) on normalised values; tensors are
    time-major like rnnkit's: context [L, B, K+C], covariates [H, B, C], outputs [H, B, K, Q]."""

    def __init__(self, a, K, C):
        super().__init__()
        self.K, self.C, self.H = K, C, a.horizon
        self.Q = len(a.quantile_list) if a.loss == "quantile" else 1
        self.point = (min(range(self.Q), key=lambda q: abs(a.quantile_list[q] - 0.5))
                      if a.loss == "quantile" else 0)
        self.level = a.level
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN, "rnn_relu": nn.RNN}[a.cell]
        kw = {"nonlinearity": a.cell[4:]} if a.cell.startswith("rnn") else {}
        make = lambda: rnn(K + C, a.hidden, a.layers, dropout=a.dropout, **kw)  # noqa: E731
        self.encoder = make()
        self.direct = a.head == "direct"
        if not self.direct:
            self.decoder = make()
        self.head = (nn.Linear(a.hidden + a.horizon * C, a.horizon * K * self.Q) if self.direct
                     else nn.Linear(a.hidden, K * self.Q))

    def forward(self, context, covariates, targets=None):
        """Teacher forcing when targets are given, else the decoder reads its own point forecasts.
        With --level last, targets and the context's target columns are relative to the window's
        last context value, which is added back to the outputs."""
        L, B, K = context.shape[0], context.shape[1], self.K
        level = context[-1:, :, :K] if self.level == "last" else None  # [1, B, K]
        if level is not None:
            context = torch.cat([context[:, :, :K] - level, context[:, :, K:]], dim=2)
            if targets is not None:
                targets = targets - level
        _, state = self.encoder(context)
        hidden = state[0] if isinstance(state, tuple) else state  # [layers, B, Hd]
        if self.direct:
            features = torch.cat([hidden[-1], covariates.permute(1, 0, 2).reshape(B, -1)], dim=1)
            out = self.head(features).reshape(B, self.H, K, self.Q).permute(1, 0, 2, 3)
        elif targets is not None:
            previous = torch.cat([context[-1:, :, :K], targets[:-1]], dim=0)  # [H, B, K]
            y, _ = self.decoder(torch.cat([previous, covariates], dim=2), state)
            out = self.head(y).reshape(self.H, B, K, self.Q)
        else:
            previous, steps = context[-1:, :, :K], []
            for j in range(self.H):
                y, state = self.decoder(torch.cat([previous, covariates[j:j + 1]], dim=2), state)
                steps.append(self.head(y).reshape(1, B, K, self.Q))
                previous = steps[-1][:, :, :, self.point]
            out = torch.cat(steps, dim=0)
        if level is not None:
            out = out + level.unsqueeze(-1)
        return out


def loss_of(a, outputs, targets):
    """The mean over forecast values (and quantiles) of rnnkit's forecast_loss."""
    e = targets.unsqueeze(-1) - outputs  # [H, B, K, Q]
    if a.loss == "mse":
        return (e * e).mean()
    if a.loss == "mae":
        return e.abs().mean()
    q = torch.tensor(a.quantile_list, dtype=outputs.dtype)
    return torch.maximum(q * e, (q - 1) * e).mean()


def batch_of(values, origins, L, H, K):
    """values [steps, K+C] -> context [L, B, K+C], covariates [H, B, C], targets [H, B, K]."""
    context = np.stack([values[o - L:o] for o in origins], axis=1)
    future = np.stack([values[o:o + H] for o in origins], axis=1)
    return (torch.from_numpy(context), torch.from_numpy(np.ascontiguousarray(future[:, :, K:])),
            torch.from_numpy(np.ascontiguousarray(future[:, :, :K])))


def forecast(model, values, origins, a, K, mean, scale):
    """Point forecasts, lower and upper bounds in the series' units, each [H, B, K] (float64)."""
    model.eval()
    with torch.no_grad():
        context, covariates, _ = batch_of(values, origins, a.context, a.horizon, K)
        out = model(context, covariates).double().numpy()
    model.train()
    units = lambda q: out[..., q] * scale[:K] + mean[:K]  # noqa: E731
    return units(model.point), units(0), units(model.Q - 1)


def actual_of(y, origins, H):
    return np.stack([y[o:o + H] for o in origins], axis=1)  # [H, B, K]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = p.add_argument
    add("--data", required=True)
    add("--target", required=True)
    add("--covariates", default="")
    add("--fill", choices=("none", "previous", "linear"), default="none")
    add("--valid-fraction", type=float, default=0.1)
    add("--test-fraction", type=float, default=0.1)
    add("--season", type=int, default=12)
    add("--origin-step", type=int, default=1)
    add("--context", type=int, default=24)
    add("--horizon", type=int, default=6)
    add("--head", choices=("direct", "autoregressive"), default="direct")
    add("--loss", choices=("mse", "mae", "quantile"), default="mse")
    add("--quantiles", default="0.1,0.5,0.9")
    add("--level", choices=("none", "last"), default="none")
    add("--cell", choices=("lstm", "gru", "rnn_tanh", "rnn_relu"), default="lstm")
    add("--layers", type=int, default=1)
    add("--hidden", type=int, default=32)
    add("--dropout", type=float, default=0.0)
    add("--epochs", type=int, default=100)
    add("--batch", type=int, default=16)
    add("--lr", type=float, default=3e-3)
    add("--beta1", type=float, default=0.9)
    add("--beta2", type=float, default=0.999)
    add("--eps", type=float, default=1e-8)
    add("--clip", type=float, default=1.0)
    add("--seed", type=int, default=1)
    add("--threads", type=int, default=1)
    add("--init", help="an rnnkit forecaster file whose weights start the training")
    add("--save", help="write the best model as an rnnkit forecaster file")
    a = p.parse_args()
    for name in ("epochs", "batch"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1, not {getattr(a, name)}")
    a.quantile_list = [float(q) for q in a.quantiles.split(",")]
    # rnnkit's point forecast is the 0.5 quantile, and it refuses a file without one (as float32).
    if a.loss == "quantile" and 0.5 not in np.float32(a.quantile_list):
        p.error("the quantiles must include 0.5: a quantile model's point forecast (what eval "
                "scores, the autoregressive head reads back, the best model is chosen by) is its "
                "median")
    return a


def save(path, model, a, names, mean, scale, K, C):
    config = {"family": "forecast", "cell": a.cell, "num_layers": a.layers,
              "hidden_size": a.hidden, "dropout": a.dropout, "context": a.context,
              "horizon": a.horizon, "head": a.head, "loss": a.loss, "level": a.level,
              "num_targets": K, "num_covariates": C}
    if a.loss == "quantile":
        config["quantiles"] = a.quantile_list
    # How this run scored, as `rnnkit forecast train` keeps it (ForecastScoringOptions, keys in
    # nlohmann's order): without it `rnnkit forecast eval` of the file would score another test
    # part, season or origin step (its defaults) than the scores the twin printed.
    scoring = {"origin_step": a.origin_step, "season": a.season,
               "test_fraction": a.test_fraction, "valid_fraction": a.valid_fraction}
    tensors = {k: (list(v.shape), v.flatten().tolist()) for k, v in model.state_dict().items()}
    safetensors_io.save_f32(path, tensors, {
        "rnnkit.config": json.dumps(config),
        "rnnkit.normalization": json.dumps({"names": names, "mean": [float(m) for m in mean],
                                            "scale": [float(s) for s in scale]}),
        "rnnkit.scoring": json.dumps(scoring, separators=(",", ":"))})


def main():
    a = parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    targets = a.target.split(",")
    names = targets + [c for c in a.covariates.split(",") if c]
    K, C = len(targets), len(names) - len(targets)
    _, series = forecast_series.read_series(a.data, names, a.fill, TOOL)
    steps = len(series)
    train_end, valid_end = forecast_series.split(steps, a.valid_fraction, a.test_fraction,
                                                 a.context, a.horizon, TOOL)
    mean = series[:train_end].mean(axis=0)
    scale = np.sqrt(((series[:train_end] - mean) ** 2).mean(axis=0))
    values = ((series - mean) / scale).astype(np.float32)
    train_origins = forecast_series.origins(a.context, train_end, a.horizon, 1)
    valid_origins = forecast_series.origins(train_end, valid_end, a.horizon, a.origin_step)
    test_origins = forecast_series.origins(valid_end, steps, a.horizon, a.origin_step)
    if not test_origins:
        fail("the test part has no origin with a whole horizon after it")

    model = Forecaster(a, K, C)
    if a.init:
        tensors, _ = safetensors_io.load(a.init)
        model.load_state_dict({k: torch.tensor(v.values, dtype=torch.float32).reshape(v.shape)
                               for k, v in tensors.items()}, strict=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(a.beta1, a.beta2), eps=a.eps)
    best, best_state = math.inf, None
    started = time.perf_counter()
    for _ in range(a.epochs):
        order = torch.randperm(len(train_origins)).tolist()
        for first in range(0, len(order), a.batch):
            context, covariates, target = batch_of(
                values, [train_origins[i] for i in order[first:first + a.batch]], a.context,
                a.horizon, K)
            optimizer.zero_grad()
            loss = loss_of(a, model(context, covariates, target), target)
            loss.backward()
            if a.clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            optimizer.step()
        if valid_origins:  # rnnkit's validation: mean over targets of the point forecasts' MAE
            point, _, _ = forecast(model, values, valid_origins, a, K, mean, scale)
            mae = float(np.mean(np.abs(actual_of(series[:, :K], valid_origins, a.horizon) - point)))
            if mae < best:
                best, best_state = mae, {k: v.clone() for k, v in model.state_dict().items()}
    seconds = time.perf_counter() - started
    if best_state is not None:
        model.load_state_dict(best_state)
    if a.save:
        save(a.save, model, a, names, mean, scale, K, C)

    point, lower, upper = forecast(model, values, test_origins, a, K, mean, scale)
    actual = actual_of(series[:, :K], test_origins, a.horizon)
    line = {"tool": "torch", "torch": torch.__version__, "threads": a.threads,
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "default"),
            "cell": a.cell, "head": a.head, "loss": a.loss, "level": a.level, "seed": a.seed,
            "epochs": a.epochs, "train_seconds": seconds,
            "best_valid_mae": best if math.isfinite(best) else None,  # None: no validation origin
            "origins": len(test_origins), "first_origin": test_origins[0], "series": []}
    for k, name in enumerate(targets):
        score = {"series": name}
        score.update(forecast_series.scores(
            actual[:, :, k].ravel(), point[:, :, k].ravel(),
            lower[:, :, k].ravel() if a.loss == "quantile" else [],
            upper[:, :, k].ravel() if a.loss == "quantile" else [],
            forecast_series.seasonal_naive_scale(series[:train_end, k], a.season, TOOL)))
        line["series"].append(score)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
