#!/usr/bin/env python3
"""Writes the synthetic forecasting series and its known answers (plain Python, fixed seed).

tests/fixtures/forecast/synthetic.csv: 240 monthly steps, columns month, sales, promo:
    sales_t = 10 + 0.02 t + 3 sin(2 pi t / 12) + 1.5 promo_t + noise_t,  noise ~ N(0, 0.5^2)
    promo_t = 1 with probability 0.15, else 0 (a covariate known in advance)
tests/fixtures/forecast/synthetic_expected.json: computed here, independently of rnnkit, from the
values as written (4 decimals): the training-part mean and standard deviation of each column, and
the MAE, RMSE, sMAPE and MASE of the naive, seasonal naive (m = 12) and drift forecasts on
rolling-origin test windows.

The split: the last 24 steps are the test part, the 24 before them validation, the first 192
training. Origins 216, 222, 228, 234 (every 6 steps), horizon 6; every forecast may read all steps
before its origin. MASE is scaled by the seasonal naive in-sample error of the training part.

tests/fixtures/forecast/trend.csv: 200 monthly steps, column level, a strong linear trend:
    level_t = 5 + 0.3 t + 2 sin(2 pi t / 12) + noise_t,  noise ~ N(0, 0.2^2)
Its later steps lie far above every earlier value, so a model must extrapolate the trend to
forecast them (tests/test_forecaster_level.cpp).
"""
import json
import math
import os
import random

STEPS, PERIOD, TRAIN, VALID, TEST = 240, 12, 192, 24, 24
TREND_STEPS = 200
HORIZON, EVERY = 6, 6


def gaussian(rng, sd):
    # Box-Muller from two uniforms, so the numbers do not depend on random.gauss's internals
    u1, u2 = 1.0 - rng.random(), rng.random()
    return sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def make_series():
    rng = random.Random(20261201)
    rows = []
    for t in range(STEPS):
        promo = 1 if rng.random() < 0.15 else 0
        noise = gaussian(rng, 0.5)
        sales = 10 + 0.02 * t + 3 * math.sin(2 * math.pi * t / PERIOD) + 1.5 * promo + noise
        rows.append(("%04d-%02d" % (2000 + t // 12, t % 12 + 1), "%.4f" % sales, str(promo)))
    return rows


def make_trend():
    rng = random.Random(20261202)
    return ["%.4f" % (5 + 0.3 * t + 2 * math.sin(2 * math.pi * t / PERIOD) + gaussian(rng, 0.2))
            for t in range(TREND_STEPS)]


def baseline(kind, history, horizon):
    n = len(history)
    if kind == "naive":
        return [history[-1]] * horizon
    if kind == "seasonal_naive":
        # the value one (or more) whole periods before each forecast step
        return [history[n + h - PERIOD * ((h - 1) // PERIOD + 1) - 1] for h in range(1, horizon + 1)]
    slope = (history[-1] - history[0]) / (n - 1)
    return [history[-1] + h * slope for h in range(1, horizon + 1)]


def metrics(actual, forecast, scale):
    n = len(actual)
    errors = [a - f for a, f in zip(actual, forecast)]
    mae = sum(abs(e) for e in errors) / n
    return {
        "mae": mae,
        "rmse": math.sqrt(sum(e * e for e in errors) / n),
        "smape": sum(200 * abs(a - f) / (abs(a) + abs(f)) for a, f in zip(actual, forecast)) / n,
        "mase": mae / scale,
    }


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = os.path.join(root, "tests", "fixtures", "forecast")
    os.makedirs(out, exist_ok=True)
    rows = make_series()
    with open(os.path.join(out, "synthetic.csv"), "w") as f:
        f.write("month,sales,promo\n")
        for row in rows:
            f.write(",".join(row) + "\n")

    with open(os.path.join(out, "trend.csv"), "w") as f:
        f.write("level\n" + "".join(v + "\n" for v in make_trend()))

    sales = [float(r[1]) for r in rows]
    promo = [float(r[2]) for r in rows]
    expected = {"train_steps": TRAIN, "valid_steps": VALID, "test_steps": TEST,
                "horizon": HORIZON, "every": EVERY, "period": PERIOD, "normalization": {}}
    for name, values in (("sales", sales), ("promo", promo)):
        part = values[:TRAIN]
        mean = sum(part) / TRAIN
        std = math.sqrt(sum((v - mean) ** 2 for v in part) / TRAIN)
        expected["normalization"][name] = {"mean": mean, "scale": std}

    scale = sum(abs(sales[t] - sales[t - PERIOD]) for t in range(PERIOD, TRAIN)) / (TRAIN - PERIOD)
    origins = list(range(TRAIN + VALID, STEPS - HORIZON + 1, EVERY))
    expected["origins"] = origins
    expected["mase_scale"] = scale
    expected["baselines"] = {}
    for kind in ("naive", "seasonal_naive", "drift"):
        actual, forecast = [], []
        for origin in origins:
            actual += sales[origin:origin + HORIZON]
            forecast += baseline(kind, sales[:origin], HORIZON)
        expected["baselines"][kind] = metrics(actual, forecast, scale)
    with open(os.path.join(out, "synthetic_expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
