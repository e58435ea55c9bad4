#!/usr/bin/python3
"""Classical anchors for `rnnkit forecast eval`: ETS and SARIMA (statsmodels), with naive,
seasonal naive and drift as a check that the windows are rnnkit's, scored on exactly the
rolling-origin test windows rnnkit uses (docs/FORECAST.md; issue 14).

    forecast_anchors.py score --data FILE --target COL [--fill none|previous|linear]
        [--valid-fraction 0.1] [--test-fraction 0.1] --context L --horizon H
        [--origin-step k] [--season m] [--refit-every r] [--forecasters ets,sarima,...]
    forecast_anchors.py aggregate --data daily.csv --time date --columns a,b --period week|month
        --out FILE     (means per ISO week or calendar month, for the anchors that need it)

score prints one JSON line per forecaster: MAE, RMSE, sMAPE (M4's 200|y-f|/(|y|+|f|), null for
a series with a zero actual value), MASE (scaled by the in-sample seasonal naive MAE of the
training part, as rnnkit's) and the coverage of the 80% prediction interval (ETS, SARIMA).

The file is read as rnnkit reads it (forecast_series.py: "", NA and N/A missing, whole-cell
quotes, the numbers rnnkit reads, the gaps --fill cannot fill refused with rnnkit's errors).
Split and origins are rnnkit's: validation and test steps are llround(fraction * steps), the test
part's origins start at its first step, every k steps, while origin + H fits. The classical
models see the whole history before an origin (the RNN sees its last L steps; L only enters
through rnnkit's check that the training part holds L + H steps). ETS (additive error, trend and
season of period m) is refitted at every origin. SARIMA's orders are chosen once by AIC on the
training part over a small grid (p, q, P, Q in 0..1, d in 0..1, D = 1); its parameters are
re-estimated every r origins and, between, kept while the state is filtered on the new data.

ETS and SARIMA need Debian's python3-statsmodels (an optional tool: no C++ test uses it); the
naive forecasters and aggregate run without it.
"""
import argparse
import csv
import datetime
import itertools
import json
import math
import sys
import warnings

import numpy as np

import forecast_series
from forecast_series import origins, scores



def fail(message):
    forecast_series.fail("forecast_anchors", message)


def statsmodels():
    """ETS and SARIMA only: the naive forecasters and `aggregate` (which makes the seattle series
    of bench/forecast_vs_torch.sh) run without statsmodels. Its import sets warning filters:
    its convergence chatter is silenced after it."""
    try:
        import pandas
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        from statsmodels.tsa.statespace.sarimax import SARIMAX
    except ImportError:
        sys.exit("forecast_anchors: ETS and SARIMA need statsmodels: apt-get install python3-statsmodels "
                 "(or --forecasters naive,seasonal_naive,drift)")
    warnings.simplefilter("ignore")
    return pandas, ETSModel, SARIMAX


def baseline(kind, m, horizon):
    def forecast(history):
        if kind == "naive":
            return np.full(horizon, history[-1]), None
        if kind == "seasonal_naive":
            season = history[-m:]
            return np.array([season[j % m] for j in range(horizon)]), None
        slope = (history[-1] - history[0]) / (len(history) - 1)
        return history[-1] + slope * np.arange(1, horizon + 1), None

    return forecast


def ets(m, horizon):
    pd, ETSModel, _ = statsmodels()

    def forecast(history):
        # A pandas series: statsmodels 0.13's intervals need an index on the prediction.
        fit = ETSModel(pd.Series(history), error="add", trend="add", seasonal="add",
                       seasonal_periods=m).fit(disp=False)
        frame = fit.get_prediction(start=len(history), end=len(history) + horizon - 1)
        frame = frame.summary_frame(alpha=0.2)
        return frame["mean"].to_numpy(), (frame["pi_lower"].to_numpy(),
                                          frame["pi_upper"].to_numpy())

    return forecast


def sarima(m, horizon, train, refit_every, log):
    _, _, SARIMAX = statsmodels()

    def fit(y, order, seasonal):
        return SARIMAX(y, order=order, seasonal_order=seasonal + (m,)).fit(disp=False)

    best = None
    for p, d, q, P, Q in itertools.product((0, 1), (0, 1), (0, 1), (0, 1), (0, 1)):
        try:
            aic = fit(train, (p, d, q), (P, 1, Q)).aic
        except (ValueError, np.linalg.LinAlgError):
            continue
        if math.isfinite(aic) and (best is None or aic < best[0]):
            best = (aic, (p, d, q), (P, 1, Q))
    if best is None:
        fail("SARIMA: no order of the grid could be fitted on the training part")
    _, order, seasonal = best
    log["order"], log["seasonal_order"] = list(order), list(seasonal) + [m]
    state = {"origins": 0, "fit": None}

    def forecast(history):
        if state["origins"] % refit_every == 0:
            state["fit"] = fit(history, order, seasonal)
            result = state["fit"]
        else:  # the last estimate's parameters, filtered on the history up to this origin
            result = state["fit"].apply(history)
        state["origins"] += 1
        prediction = result.get_forecast(horizon)
        bounds = np.asarray(prediction.conf_int(alpha=0.2))
        return np.asarray(prediction.predicted_mean), (bounds[:, 0], bounds[:, 1])

    return forecast


def score(args):
    if {"ets", "sarima"} & set(args.forecasters.split(",")):
        statsmodels()  # before any line: a missing statsmodels fails the whole command
    y = forecast_series.read_column(args.data, args.target, args.fill, "forecast_anchors")
    train_end, valid_end = forecast_series.split(len(y), args.valid_fraction, args.test_fraction,
                                                 args.context, args.horizon, "forecast_anchors",
                                                 forecasts_validation=False)
    test_origins = origins(valid_end, len(y), args.horizon, args.origin_step)
    if valid_end < args.context:
        fail("the first origin has fewer than context steps before it")
    if not test_origins:
        fail("the test part has no origin with a whole horizon after it")
    scale = forecast_series.seasonal_naive_scale(y[:train_end], args.season, "forecast_anchors")
    for name in args.forecasters.split(","):
        log = {}
        if name in ("naive", "seasonal_naive", "drift"):
            forecaster = baseline(name, args.season, args.horizon)
        elif name == "ets":
            forecaster = ets(args.season, args.horizon)
        elif name == "sarima":
            forecaster = sarima(args.season, args.horizon, y[:train_end], args.refit_every, log)
        else:
            fail(f'--forecasters: unknown forecaster "{name}"')
        actual, point, lower, upper = [], [], [], []
        for origin in test_origins:
            f, interval = forecaster(y[:origin])
            actual.extend(y[origin:origin + args.horizon])
            point.extend(f)
            if interval:
                lower.extend(interval[0])
                upper.extend(interval[1])
        line = {"series": args.target, "forecaster": name, "origins": len(test_origins),
                "first_origin": test_origins[0], "count": len(actual), "season": args.season}
        line.update(scores(actual, point, lower, upper, scale))
        line.update(log)
        print(json.dumps(line), flush=True)


def aggregate(args):
    columns = args.columns.split(",")
    groups = {}
    # rnnkit's reader (no fill: a mean over a gap would hide it), so that the means are of the
    # numbers rnnkit would read from the daily file.
    times, values = forecast_series.read_series(args.data, columns, "none", "forecast_anchors",
                                                time=args.time)
    for line, (time, row) in enumerate(zip(times, values), start=2):
        try:
            day = datetime.date.fromisoformat(time)
        except ValueError:
            fail(f'{args.data}, line {line}, column "{args.time}": "{time}" is not a date '
                 "(YYYY-MM-DD)")
        year, week, _ = day.isocalendar()
        key = f"{year}-W{week:02d}" if args.period == "week" else f"{day.year}-{day.month:02d}"
        groups.setdefault(key, []).append(row)
    keys = list(groups)
    # An incomplete first or last period would be an outlier of the series, not a season.
    full = 7 if args.period == "week" else 28
    keys = [k for i, k in enumerate(keys) if 0 < i < len(keys) - 1 or len(groups[k]) >= full]
    with open(args.out, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow([args.period] + columns)
        for key in keys:
            means = np.mean(np.array(groups[key]), axis=0)
            out.writerow([key] + [f"{v:.4f}" for v in means])
    print(f"{args.out}: {len(keys)} {args.period}s", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("score")
    s.add_argument("--data", required=True)
    s.add_argument("--target", required=True)
    s.add_argument("--fill", choices=("none", "previous", "linear"), default="none")
    s.add_argument("--valid-fraction", type=float, default=0.1)
    s.add_argument("--test-fraction", type=float, default=0.1)
    s.add_argument("--context", type=int, default=24)
    s.add_argument("--horizon", type=int, default=6)
    s.add_argument("--origin-step", type=int, default=1)
    s.add_argument("--season", type=int, default=12)
    s.add_argument("--refit-every", type=int, default=4,
                   help="SARIMA: origins between re-estimations of its parameters")
    s.add_argument("--forecasters", default="naive,seasonal_naive,drift,ets,sarima")
    a = commands.add_parser("aggregate")
    a.add_argument("--data", required=True)
    a.add_argument("--time", required=True)
    a.add_argument("--columns", required=True)
    a.add_argument("--period", choices=("week", "month"), required=True)
    a.add_argument("--out", required=True)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # statsmodels() sets it again after its import resets it
    (score if args.command == "score" else aggregate)(args)


if __name__ == "__main__":
    main()
