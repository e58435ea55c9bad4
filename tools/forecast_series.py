"""rnnkit's forecasting windows in plain Python (numpy), shared by the tools that must score on
exactly the windows of `rnnkit forecast eval` (forecast_anchors.py, forecast_torch_twin.py):
the CSV column reader with rnnkit's fill policies, the chronological split, the rolling origins
and the scores (docs/FORECAST.md).
"""
import csv
import math
import sys

import numpy as np


def fail(tool, message):
    sys.exit(f"{tool}: {message}")


def read_column(path, column, fill, tool="forecast"):
    """The column's values in file order, missing cells (empty, NA) filled as rnnkit fills them."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        fail(tool, f"cannot read {path}: {e.strerror}")
    if not rows or column not in rows[0]:
        fail(tool, f'{path}: no column "{column}"')
    values = []
    for line, row in enumerate(rows, start=2):
        cell = row[column].strip()
        if cell in ("", "NA"):
            values.append(None)
            continue
        try:
            value = float(cell)
        except ValueError:
            fail(tool, f'{path}, line {line}, column "{column}": "{cell}" is not a number')
        if not math.isfinite(value):
            fail(tool, f'{path}, line {line}, column "{column}": "{cell}" is not a finite number')
        values.append(value)
    missing = [i for i, v in enumerate(values) if v is None]
    if missing and fill == "none":
        fail(tool, f'{path}, line {missing[0] + 2}, column "{column}": missing value (use --fill)')
    if missing and values[0] is None:
        fail(tool, f'{path}, line 2, column "{column}": missing value in the first row')
    for i in missing:
        if fill == "previous" or all(v is None for v in values[i:]):
            values[i] = values[i - 1]
        else:  # linear, between the nearest known values (filled ones before i are known now)
            after = next(j for j in range(i + 1, len(values)) if values[j] is not None)
            values[i] = values[i - 1] + (values[after] - values[i - 1]) / (after - i + 1)
    return np.array(values, dtype=float)


def llround(x):
    return int(math.floor(x + 0.5))


def split(steps, valid_fraction, test_fraction, context, horizon, tool="forecast"):
    """(train_end, valid_end): the split of rnnkit's split_series, with its refusals."""
    valid, test = llround(valid_fraction * steps), llround(test_fraction * steps)
    train = steps - valid - test
    if train < context + horizon:
        fail(tool, f"the training part has {train} steps, shorter than context + horizon")
    for n, name in ((valid, "validation"), (test, "test")):
        if 0 < n < horizon:
            fail(tool, f"the {name} part has {n} steps, fewer than the horizon {horizon}")
    return train, train + valid


def origins(begin, end, horizon, every):
    """rnnkit's rolling_origins: from `begin`, every `every` steps, while the horizon fits."""
    return list(range(begin, end - horizon + 1, every))


def seasonal_naive_scale(in_sample, m, tool="forecast"):
    if len(in_sample) <= m:
        fail(tool, f"MASE: the training part has {len(in_sample)} steps, it needs more than {m}")
    return float(np.mean(np.abs(in_sample[m:] - in_sample[:-m])))


def scores(actual, point, lower, upper, scale):
    """MAE, RMSE, sMAPE (None with a zero actual value), MASE and the interval's coverage (None
    without an interval), as rnnkit's point_metrics and coverage compute them."""
    actual, point = np.asarray(actual, dtype=float), np.asarray(point, dtype=float)
    error = actual - point
    return {"count": len(actual),
            "mae": float(np.mean(np.abs(error))),
            "rmse": float(np.sqrt(np.mean(error ** 2))),
            "smape": None if np.any(actual == 0) else
            float(np.mean(200 * np.abs(error) / (np.abs(actual) + np.abs(point)))),
            "mase": float(np.mean(np.abs(error)) / scale),
            "coverage": float(np.mean((np.asarray(lower) <= actual) & (actual <= np.asarray(upper))))
            if len(lower) else None}
