"""rnnkit.Forecaster: forecasts against the PyTorch twin of the model, scores against the fixture's
independently computed baselines, series from files and from mappings, and bad input; the twin's
CSV reader (tools/forecast_series.py) against rnnkit's, and the twin's saved files."""

import csv
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import rnnkit

from conftest import REPO

torch = pytest.importorskip("torch")
sys.path.insert(0, str(REPO / "tools"))
import forecast_series  # noqa: E402
import forecast_torch_twin  # noqa: E402
import safetensors_io  # noqa: E402

SYNTHETIC = REPO / "tests" / "fixtures" / "forecast" / "synthetic.csv"
TREND = REPO / "tests" / "fixtures" / "forecast" / "trend.csv"


def read_columns(path):
    rows = list(csv.DictReader(open(path)))
    return {name: np.array([float(r[name]) for r in rows]) for name in rows[0] if name != "month"}


def train(tmp_path_factory, name, **options):
    out = tmp_path_factory.mktemp(name) / "run"
    rnnkit.train("forecast", epochs=3, threads=1, hidden=8, out_dir=str(out), **options)
    return out


@pytest.fixture(scope="module")
def quantile_run(tmp_path_factory):
    """Direct head, quantile loss, a covariate."""
    return train(tmp_path_factory, "quantile", data=str(SYNTHETIC), target="sales",
                 covariates="promo", loss="quantile")


@pytest.fixture(scope="module")
def autoregressive_run(tmp_path_factory):
    """Autoregressive GRU decoder, levels from each window's last value, no covariates."""
    return train(tmp_path_factory, "autoregressive", data=str(TREND), target="level",
                 head="autoregressive", level="last", cell="gru", layers=2)


def twin_forecast(model_file, columns, future):
    """The forecast of the PyTorch twin (tools/forecast_torch_twin.py) with the file's weights,
    normalisation and configuration: [H, K, Q] in the series' units."""
    tensors, metadata = safetensors_io.load(str(model_file))
    config = json.loads(metadata["rnnkit.config"])
    norm = json.loads(metadata["rnnkit.normalization"])
    K, C, H = config["num_targets"], config["num_covariates"], config["horizon"]
    a = types.SimpleNamespace(horizon=H, loss=config["loss"], quantile_list=config.get("quantiles"),
                              level=config["level"], cell=config["cell"],
                              hidden=config["hidden_size"], layers=config["num_layers"],
                              dropout=0.0, head=config["head"], context=config["context"])
    model = forecast_torch_twin.Forecaster(a, K, C)
    model.load_state_dict({name: torch.tensor(t.values, dtype=torch.float32).reshape(t.shape)
                           for name, t in tensors.items()})
    mean, scale = np.array(norm["mean"]), np.array(norm["scale"])
    values = np.stack([columns[name] for name in norm["names"]], axis=1)
    steps = len(values)
    ahead = np.zeros((H, K + C))
    for c, name in enumerate(norm["names"][K:]):
        ahead[:, K + c] = future[name]
    normalised = ((np.concatenate([values, ahead]) - mean) / scale).astype(np.float32)
    model.eval()
    with torch.no_grad():
        context, covariates, _ = forecast_torch_twin.batch_of(normalised, [steps], a.context, H, K)
        out = model(context, covariates).double().numpy()[:, 0]  # [H, K, Q]
    return out * scale[:K, None] + mean[:K, None]


def test_quantile_forecast_is_the_torch_twins(quantile_run):
    f = rnnkit.Forecaster.load(quantile_run)
    assert (f.targets, f.covariates, f.horizon, f.quantile_names) == (
        ["sales"], ["promo"], 6, ["p10", "p50", "p90"])
    columns = read_columns(SYNTHETIC)
    future = {"promo": [0, 1, 0, 0, 1, 0]}
    got = f.predict(columns, future=future)
    expected = twin_forecast(quantile_run / "best.safetensors", columns, future)
    assert list(got.steps) == list(range(240, 246))
    for i, q in enumerate(["p10", "p50", "p90"]):
        np.testing.assert_allclose(got.quantiles["sales"][q], expected[:, 0, i], rtol=1e-5)
    np.testing.assert_allclose(got.point["sales"], expected[:, 0, 1], rtol=1e-5)  # p50


def test_autoregressive_forecast_is_the_torch_twins(autoregressive_run):
    f = rnnkit.Forecaster.load(autoregressive_run)
    assert f.covariates == [] and f.quantile_names == []
    columns = read_columns(TREND)
    got = f.predict(TREND)
    assert got.quantiles == {}
    with pytest.raises(rnnkit.Error, match="reads no covariates"):
        f.predict(TREND, future={"promo": [0] * 6})
    expected = twin_forecast(autoregressive_run / "best.safetensors", columns, {})
    np.testing.assert_allclose(got.point["level"], expected[:, 0, 0], rtol=1e-5)


def test_a_file_and_a_mapping_give_the_same_forecast(quantile_run, tmp_path):
    f = rnnkit.Forecaster.load(quantile_run)
    future_file = tmp_path / "future.csv"
    future_file.write_text("promo\n0\n1\n0\n0\n1\n0\n")
    from_files = f.predict(SYNTHETIC, future=future_file)
    columns = read_columns(SYNTHETIC)
    from_arrays = f.predict({"promo": list(columns["promo"]), "sales": columns["sales"]},
                            future={"promo": np.array([0, 1, 0, 0, 1, 0], dtype=np.int64)})
    np.testing.assert_array_equal(from_files.point["sales"], from_arrays.point["sales"])


def test_missing_values_are_filled_as_asked(autoregressive_run):
    f = rnnkit.Forecaster.load(autoregressive_run)
    level = read_columns(TREND)["level"]
    gappy = level.copy()
    gappy[190:193] = np.nan
    with pytest.raises(rnnkit.Error, match=r'data, series "level", row 190: missing value'):
        f.predict({"level": gappy})
    filled = gappy.copy()
    filled[190:193] = np.interp([190, 191, 192], [189, 193], [level[189], level[193]])
    np.testing.assert_allclose(f.predict({"level": gappy}, fill="linear").point["level"],
                               f.predict({"level": filled}).point["level"], rtol=1e-12)
    previous = gappy.copy()
    previous[190:193] = level[189]
    np.testing.assert_array_equal(f.predict({"level": gappy}, fill="previous").point["level"],
                                  f.predict({"level": previous}).point["level"])


def test_a_pandas_missing_value_is_missing(autoregressive_run):
    # pd.NA of a nullable column (what DataFrame.convert_dtypes() makes) is NaN's missing value.
    pd = pytest.importorskip("pandas")
    f = rnnkit.Forecaster.load(autoregressive_run)
    gappy = read_columns(TREND)["level"].copy()
    gappy[190:193] = np.nan
    frame = pd.DataFrame({"level": gappy}).convert_dtypes()
    assert frame["level"].dtype == "Float64" and frame["level"].isna().sum() == 3
    np.testing.assert_array_equal(f.predict(frame, fill="linear").point["level"],
                                  f.predict({"level": gappy}, fill="linear").point["level"])


def test_baseline_scores_are_the_fixtures(quantile_run):
    """tools/make_forecast_fixture.py computed them in plain Python, apart from rnnkit."""
    expected = json.loads((SYNTHETIC.parent / "synthetic_expected.json").read_text())
    f = rnnkit.Forecaster.load(quantile_run)
    scores = f.evaluate(read_columns(SYNTHETIC), origin_step=expected["every"],
                        season=expected["period"])
    assert scores["origins"] == expected["origins"]
    by_name = {s["forecaster"]: s["series"][0] for s in scores["forecasters"]}
    assert list(by_name) == ["model", "naive", "seasonal_naive", "drift"]
    for name, metrics in expected["baselines"].items():
        for metric, value in metrics.items():
            assert by_name[name][metric] == pytest.approx(value, rel=1e-9), (name, metric)
    assert by_name["naive"]["coverage"] is None
    assert 0 <= by_name["model"]["coverage"] <= 1  # the p10-p90 interval's share of the actuals


def test_scores_use_the_runs_split_unless_given(quantile_run):
    f = rnnkit.Forecaster.load(quantile_run)
    # The run held out the last 10% (24 steps) with origins every step: 216 .. 234.
    assert f.evaluate(SYNTHETIC)["origins"] == list(range(216, 235))
    assert f.evaluate(SYNTHETIC, test_fraction=0.05, origin_step=3)["origins"] == [228, 231, 234]
    with pytest.raises(rnnkit.Error, match="^season must be") as refused:
        f.evaluate(SYNTHETIC, season=0)
    assert "--" not in str(refused.value)  # the keyword, not the command line's flag
    with pytest.raises(rnnkit.Error, match="'test_fraction' must be a finite number"):
        f.evaluate(SYNTHETIC, test_fraction=float("nan"))
    numpy_given = f.evaluate(SYNTHETIC, origin_step=np.int64(3), test_fraction=np.float32(0.05))
    assert numpy_given["origins"] == [228, 231, 234]


def test_bad_series_are_refused_by_name(quantile_run):
    f = rnnkit.Forecaster.load(quantile_run)
    columns = read_columns(SYNTHETIC)
    future = {"promo": [0] * 6}
    with pytest.raises(rnnkit.Error, match=r"data has no series 'promo' \(the model reads sales, "
                                           r"promo\)"):
        f.predict({"sales": columns["sales"]}, future=future)
    with pytest.raises(rnnkit.Error, match="reads the covariates promo: future= must give them"):
        f.predict(columns)
    with pytest.raises(rnnkit.Error, match="rows of \"promo\", the horizon is 6"):
        f.predict(columns, future={"promo": [0] * 5})
    with pytest.raises(rnnkit.Error, match="one-dimensional"):
        f.predict({"sales": columns["sales"].reshape(-1, 1), "promo": columns["promo"]},
                  future=future)
    infinite = dict(columns, sales=np.where(np.arange(240) == 7, np.inf, columns["sales"]))
    with pytest.raises(rnnkit.Error, match=r'series "sales", row 7: inf is not a finite number'):
        f.predict(infinite, future=future)
    with pytest.raises(rnnkit.Error, match='"promo" has 239 values, "sales" has 240'):
        f.predict(dict(columns, promo=columns["promo"][1:]), future=future)
    with pytest.raises(rnnkit.Error, match="not numbers"):
        f.predict(dict(columns, promo=["x"] * 240), future=future)
    with pytest.raises(rnnkit.Error, match="unknown fill policy"):
        f.predict(columns, future=future, fill="spline")
    for not_a_mapping in (42, [columns["sales"], columns["promo"]]):
        with pytest.raises(rnnkit.Error, match="CSV file's path or a mapping"):
            f.predict(not_a_mapping, future=future)
    with pytest.raises(rnnkit.Error, match="series 'sales' is complex"):
        f.predict(dict(columns, sales=columns["sales"] + 0j), future=future)
    with pytest.raises(ValueError, match="null byte"):
        f.predict(str(SYNTHETIC) + "\0junk", future=future)
    with pytest.raises(ValueError, match="null byte"):
        rnnkit.Forecaster.load(str(quantile_run) + "\0junk")
    with pytest.raises(rnnkit.Error, match='series "sales" has no values'):
        f.predict({"sales": columns["sales"][:0], "promo": columns["promo"][:0]}, future=future)


def synthetic_variant(path, sales=None, row=100, extra_lines=(), encoding="utf-8", prefix="",
                      line_end="\n"):
    """The synthetic fixture with the sales cell of `row` replaced, lines added, re-encoded."""
    lines = SYNTHETIC.read_text().splitlines()
    if sales is not None:
        month, _, promo = lines[row + 1].split(",")
        lines[row + 1] = f"{month},{sales},{promo}"
    lines += list(extra_lines)
    path.write_bytes((prefix + line_end.join(lines) + line_end).encode(encoding))
    return path


def test_the_twins_reader_reads_files_as_rnnkit(quantile_run, tmp_path):
    f = rnnkit.Forecaster.load(quantile_run)
    columns = read_columns(SYNTHETIC)
    expected = np.stack([columns["sales"], columns["promo"]], axis=1)
    sales = SYNTHETIC.read_text().splitlines()[101].split(",")[1]
    variants = {"bom_crlf": dict(prefix="\ufeff", line_end="\r\n"),
                "quoted": dict(sales=f' "{sales}" '), "plus": dict(sales=f"+{sales}")}
    for name, variant in variants.items():
        path = synthetic_variant(tmp_path / f"{name}.csv", **variant)
        _, values = forecast_series.read_series(str(path), ["sales", "promo"], "none")
        np.testing.assert_array_equal(values, expected, err_msg=name)
        assert f.evaluate(path) == f.evaluate(SYNTHETIC), name
    path = synthetic_variant(tmp_path / "na.csv", sales="N/A")
    filled = forecast_series.read_column(str(path), "sales", "linear")
    assert filled[100] == columns["sales"][99] + (columns["sales"][101] - columns["sales"][99]) / 2
    assert f.evaluate(path, fill="linear") == f.evaluate(dict(columns, sales=filled))


@pytest.mark.parametrize("variant, fill", [
    (dict(sales="+-5"), "none"), (dict(sales='1"2"'), "none"), (dict(sales='"1"2'), "none"),
    (dict(sales="nan"), "none"), (dict(sales="1e400"), "none"), (dict(sales="1_0"), "none"),
    (dict(sales="N/A"), "none"), (dict(sales="NA", row=0), "previous"),
    (dict(extra_lines=["2020-01,NA,0"]), "linear"), (dict(encoding="utf-16"), "none"),
    (dict(line_end="\r"), "none"), (dict(extra_lines=["", "2020-01,1,0"]), "none")])
def test_the_twins_reader_refuses_what_rnnkit_refuses(quantile_run, tmp_path, variant, fill):
    path = synthetic_variant(tmp_path / "bad.csv", **variant)
    with pytest.raises(rnnkit.Error) as theirs:
        rnnkit.Forecaster.load(quantile_run).evaluate(path, fill=fill)
    with pytest.raises(forecast_series.CsvError) as ours:
        forecast_series.parse_series(str(path), ["sales", "promo"], fill)
    assert str(ours.value) == str(theirs.value)


def test_a_file_the_twin_saves_is_scored_as_the_twin_scored_it(tmp_path):
    """The twin's split, season and origin step travel in the file (rnnkit.scoring), so eval
    without options scores the windows the twin scored."""
    saved = tmp_path / "twin.safetensors"
    run = subprocess.run(
        [sys.executable, str(REPO / "tools" / "forecast_torch_twin.py"), "--data", str(SYNTHETIC),
         "--target", "sales", "--covariates", "promo", "--hidden", "4", "--epochs", "2",
         "--context", "12", "--horizon", "3", "--season", "6", "--origin-step", "4",
         "--test-fraction", "0.15", "--save", str(saved)],
        capture_output=True, text=True, check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    twin = json.loads(run.stdout)
    scores = rnnkit.Forecaster.load(saved).evaluate(SYNTHETIC)
    assert (len(scores["origins"]), scores["origins"][0]) == (twin["origins"], twin["first_origin"])
    assert scores["origins"][1] - scores["origins"][0] == 4
    model = scores["forecasters"][0]["series"][0]
    for metric in ("mae", "rmse", "mase"):
        assert model[metric] == pytest.approx(twin["series"][0][metric], rel=1e-5), metric
