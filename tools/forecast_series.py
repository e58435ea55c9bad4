"""rnnkit's forecasting windows in plain Python (numpy), shared by the tools that must score on
exactly the windows of `rnnkit forecast eval` (forecast_anchors.py, forecast_torch_twin.py):
the CSV column reader with rnnkit's fill policies, the chronological split, the rolling origins
and the scores (docs/FORECAST.md).

The reader is rnnkit's (src/data/series_csv.cpp), not Python's csv module, so that a file reads
as the same numbers, or is refused with the same error: "", "NA" and "N/A" are missing; a UTF-8
byte order mark is dropped, a UTF-16 or UTF-32 file refused; quotes (RFC 4180) enclose whole
cells only; a number is what C++'s from_chars reads, with one '+' allowed before it (so no "1_0",
no "+-5", no nan or inf); the fill policies refuse the gaps they cannot fill.
"""
import math
import re
import sys

import numpy as np

from text_encoding import wide_encoding_error


def fail(tool, message):
    sys.exit(f"{tool}: {message}")


class CsvError(ValueError):
    """A file rnnkit would refuse; the message is rnnkit's."""


# rnnkit's quote() (src/data/quoted.cpp): an error shows a cell in double quotes, its control
# and invisible characters escaped, so that the message shows what the file holds.
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _invisible(ch):
    c = ord(ch)
    return (c == 0xAD or 0x200B <= c <= 0x200F or 0x2028 <= c <= 0x202E or 0x2060 <= c <= 0x2064
            or c == 0xFEFF)


def quote(text):
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02X}")
        elif _invisible(ch):
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _trim(s):
    return s.lstrip(" \t").rstrip(" \t\r")


def _split_line(line, where):
    """The cells of one line, as RFC 4180 has them: a quoted cell's quotes enclose all of it
    (blanks around them aside), "" is a quote within it. A quote elsewhere (1"2", "1"2) is
    refused: read as a toggle, it would join the pieces into another number."""
    cells, state, i = [""], "plain", 0

    def stray():
        return CsvError(f"{where}, cell {len(cells)}: a double quote inside the cell (quotes "
                        'must enclose a whole cell, "" being a quote within it)')

    while i < len(line):
        ch = line[i]
        if state == "quoted":
            if ch != '"':
                cells[-1] += ch
            elif line.startswith('""', i):
                cells[-1] += '"'
                i += 1
            else:
                state = "closed"
        elif ch == ",":
            cells.append("")
            state = "plain"
        elif ch == '"':
            if state == "closed" or _trim(cells[-1]):
                raise stray()
            cells[-1], state = "", "quoted"
        elif state == "closed" and ch not in " \t\r":
            raise stray()
        elif state == "plain":
            cells[-1] += ch
        i += 1
    if state == "quoted":
        raise CsvError(f"{where}: unterminated quoted cell")
    return [_trim(cell) for cell in cells]


def _is_missing(cell):
    return cell in ("", "NA", "N/A")


# What std::from_chars reads as a whole number: ASCII digits (float() reads other scripts' too),
# no '+', no '_', no blanks; and its non-finite spellings, which rnnkit refuses as such.
_NUMBER = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_NON_FINITE = re.compile(r"-?(inf|infinity|nan(\([0-9A-Za-z_]*\))?)", re.IGNORECASE)


def _parse_number(cell, where):
    # One '+' is allowed before the digits, never before another sign.
    digits = cell[1:] if cell.startswith("+") else cell
    if cell.startswith("+") and digits.startswith(("+", "-")):
        raise CsvError(f"{where}: {quote(cell)} is not a number")
    if _NON_FINITE.fullmatch(digits):
        raise CsvError(f"{where}: {quote(cell)} is not a finite number (NaN or infinity)")
    if not _NUMBER.fullmatch(digits):
        raise CsvError(f"{where}: {quote(cell)} is not a number")
    value = float(digits)  # too small for a double reads as 0 or a subnormal, as in rnnkit
    if math.isinf(value):
        raise CsvError(f"{where}: {quote(cell)} is out of the range of a number")
    return value


def _fill_gaps(cells, fill, at):
    """rnnkit's fill_gaps: None cells filled in place; `at(row)` says where a row is."""
    row = 0
    while row < len(cells):
        if cells[row] is not None:
            row += 1
            continue
        if fill == "none":
            raise CsvError(f"{at(row)}: missing value (a fill policy previous or linear would "
                           "fill it)")
        if row == 0:
            raise CsvError(f"{at(row)}: missing value in the first row, with no earlier value to "
                           f"fill it from (fill {fill})")
        if fill == "previous":
            cells[row] = cells[row - 1]
            row += 1
            continue
        after = row
        while after < len(cells) and cells[after] is None:
            after += 1
        if after == len(cells):
            raise CsvError(f"{at(row)}: missing value after the last known one, which linear "
                           "interpolation cannot fill")
        before, span = cells[row - 1], after - (row - 1)
        for k in range(row, after):
            cells[k] = before + (cells[after] - before) * (k - (row - 1)) / span
        row = after


def _read_text(path):
    """The file's text as rnnkit reads it: not UTF-16/32, without a UTF-8 byte order mark, lines
    ended by LF or CRLF (CR alone is refused). Bytes that are not UTF-8 are kept (surrogate
    escapes): rnnkit compares column names and cells as bytes."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CsvError(f"cannot read {path}: {e.strerror}") from e
    if (wide := wide_encoding_error(data, path)) is not None:
        raise CsvError(wide)
    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    cr = data.find(b"\r")
    if b"\n" not in data and cr != -1 and cr + 1 < len(data):
        raise CsvError(f"{path}: its lines end in CR alone (classic Mac OS); convert them to LF")
    return data.decode("utf-8", errors="surrogateescape")


def _column_index(header, name, path):
    if name in header:
        return header.index(name)
    shown = ", ".join(n if not any(ord(c) < 0x20 for c in n) else quote(n) for n in header)
    hint = ""
    if len(header) == 1 and re.search("[;\t]", header[0]):
        separator = "semicolon" if re.search("[;\t]", header[0]).group() == ";" else "tab"
        hint = (f"; the header holds no comma but a {separator}: the file's columns must be "
                "separated by commas")
    raise CsvError(f'{path}: no column "{name}" in the header ({shown}){hint}')


def parse_series(path, columns, fill, time=None):
    """(times, values [steps, len(columns)]): rnnkit's parse_series_csv on the file, the
    missing cells filled by `fill` (none, previous, linear); times are the `time` column's
    cells (empty without one). Raises CsvError with rnnkit's message."""
    lines = _read_text(path).split("\n")
    while lines and not _trim(lines[-1]):
        lines.pop()
    if not lines:
        raise CsvError(f"{path}: empty file, expected a header line")
    header = _split_line(lines[0], f"{path}, line 1")
    for i, name in enumerate(header):
        if not name:
            raise CsvError(f"{path}, line 1: column {i + 1} has no name")
        if name in header[:i]:
            raise CsvError(f'{path}, line 1: column "{name}" appears twice')
    time_index = _column_index(header, time, path) if time else -1
    selected = []
    for name in columns:
        if name == time:
            raise CsvError(f'{path}: column "{name}" is the time column, not a series')
        selected.append(_column_index(header, name, path))
    if len(lines) < 2:
        raise CsvError(f"{path}: no data rows after the header")
    times, cells, line_numbers = [], [[] for _ in selected], []
    for number, line in enumerate(lines[1:], start=2):
        where = f"{path}, line {number}"
        if not _trim(line):
            raise CsvError(f"{where}: empty line")
        row = _split_line(line, where)
        if len(row) != len(header):
            raise CsvError(f"{where}: {len(row)} cells, the header has {len(header)}")
        line_numbers.append(number)
        if time_index >= 0:
            times.append(row[time_index])
        for c, index in enumerate(selected):
            cell = row[index]
            cells[c].append(None if _is_missing(cell) else
                            _parse_number(cell, f'{where}, column "{header[index]}"'))
    for c, index in enumerate(selected):
        _fill_gaps(cells[c], fill, lambda row: f'{path}, line {line_numbers[row]}, column '
                                               f'"{header[index]}"')
    return times, np.array(cells, dtype=float).T.reshape(len(line_numbers), len(selected))


def read_series(path, columns, fill, tool="forecast", time=None):
    """parse_series, a refusal ending the tool with rnnkit's message."""
    try:
        return parse_series(path, columns, fill, time)
    except CsvError as e:
        fail(tool, str(e))


def read_column(path, column, fill, tool="forecast"):
    """The column's values in file order, missing cells filled as rnnkit fills them."""
    return read_series(path, [column], fill, tool)[1][:, 0]


def llround(x):
    return int(math.floor(x + 0.5))


def split(steps, valid_fraction, test_fraction, context, horizon, tool="forecast",
          forecasts_validation=True):
    """(train_end, valid_end): the split of rnnkit's split_series, with its refusals.
    `forecasts_validation` False: the validation part only ends the MASE scale's steps, as in
    `rnnkit forecast eval` (ValidationUse::Boundary), so a part shorter than the horizon is no
    error."""
    valid, test = llround(valid_fraction * steps), llround(test_fraction * steps)
    train = steps - valid - test
    if train < context + horizon:
        fail(tool, f"the training part has {train} steps, shorter than context + horizon")
    for n, name in ((valid, "validation"), (test, "test")):
        if name == "validation" and not forecasts_validation:
            continue
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
