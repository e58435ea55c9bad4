#include "rnnkit/series_csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "data/quoted.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/formatted.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The cells of one line: comma-separated, a cell may be double-quoted ("" is a quote inside) as
// RFC 4180 has it: the quotes enclose the whole cell, blanks around them aside. A quote elsewhere
// (1"2", "1"2) is refused: read as a quote toggle, it would join the pieces into another number.
std::vector<std::string> split_line(std::string_view line, const std::string& where) {
  std::vector<std::string> cells(1);
  enum { Plain, Quoted, Closed } state = Plain;
  const auto stray_quote = [&] {
    return Error(where + ", cell " + std::to_string(cells.size()) +
                 ": a double quote inside the cell (quotes must enclose a whole cell, \"\" "
                 "being a quote within it)");
  };
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (state == Quoted) {
      if (ch != '"') {
        cells.back() += ch;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else {
        state = Closed;
      }
    } else if (ch == ',') {
      cells.emplace_back();
      state = Plain;
    } else if (ch == '"') {
      if (state == Closed || !trim(cells.back()).empty()) throw stray_quote();
      cells.back().clear();
      state = Quoted;
    } else if (state == Closed && ch != ' ' && ch != '\t' && ch != '\r') {
      throw stray_quote();
    } else if (state == Plain) {
      cells.back() += ch;
    }
  }
  if (state == Quoted) throw Error(where + ": unterminated quoted cell");
  for (std::string& cell : cells) cell = std::string(trim(cell));
  return cells;
}

// A column's name as an error shows it: quoted and escaped when it holds a control character (a
// NUL would end the message where it is printed).
std::string shown(const std::string& name) {
  const bool plain = std::none_of(name.begin(), name.end(),
                                  [](char ch) { return static_cast<unsigned char>(ch) < 0x20; });
  return plain ? name : quote(name);
}

bool is_missing(std::string_view cell) {
  return cell.empty() || cell == "NA" || cell == "N/A";
}

double parse_number(std::string_view cell, const std::string& where) {
  // from_chars reads no '+'; one is allowed before the digits, never before another sign.
  std::string_view digits = cell.starts_with('+') ? cell.substr(1) : cell;
  if (cell.starts_with('+') && (digits.starts_with('-') || digits.starts_with('+')))
    throw Error(where + ": " + quote(cell) + " is not a number");
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  const bool whole = end == digits.data() + digits.size();
  if (ec == std::errc::result_out_of_range && whole) {
    // Too small for a double reads as 0 or a subnormal, as every CSV reader has it (1e-400);
    // too large is refused.
    value = std::strtod(std::string(digits).c_str(), nullptr);
    if (std::isinf(value))
      throw Error(where + ": " + quote(cell) + " is out of the range of a number");
    return value;
  }
  if (ec != std::errc() || !whole) throw Error(where + ": " + quote(cell) + " is not a number");
  if (!std::isfinite(value))
    throw Error(where + ": " + quote(cell) + " is not a finite number (NaN or infinity)");
  return value;
}

// Fills the gaps of one column; `at(row)` says where a row's cell is, for the errors.
template <class Where>
void fill_gaps(std::vector<std::optional<double>>& cells, FillPolicy fill, const Where& at) {
  for (size_t row = 0; row < cells.size(); ++row) {
    if (cells[row]) continue;
    if (fill == FillPolicy::None)
      throw Error(at(row) + ": missing value (a fill policy previous or linear would fill it)");
    if (row == 0)
      throw Error(at(row) + ": missing value in the first row, with no earlier value to fill " +
                  "it from (fill " + fill_policy_name(fill) + ")");
    if (fill == FillPolicy::Previous) {
      cells[row] = cells[row - 1];
      continue;
    }
    size_t next = row;
    while (next < cells.size() && !cells[next]) ++next;
    if (next == cells.size())
      throw Error(at(row) + ": missing value after the last known one, which linear " +
                  "interpolation cannot fill");
    const double before = *cells[row - 1], after = *cells[next];
    const double span = static_cast<double>(next - (row - 1));
    for (size_t k = row; k < next; ++k)
      cells[k] = before + (after - before) * static_cast<double>(k - (row - 1)) / span;
    row = next;
  }
}

std::vector<double> known(const std::vector<std::optional<double>>& cells) {
  std::vector<double> values;
  values.reserve(cells.size());
  for (const auto& v : cells) values.push_back(*v);
  return values;
}

}  // namespace

FillPolicy parse_fill_policy(std::string_view name) {
  if (name == "none") return FillPolicy::None;
  if (name == "previous") return FillPolicy::Previous;
  if (name == "linear") return FillPolicy::Linear;
  throw Error("unknown fill policy \"" + std::string(name) + "\" (none, previous or linear)");
}

std::string fill_policy_name(FillPolicy policy) {
  switch (policy) {
    case FillPolicy::None:
      return "none";
    case FillPolicy::Previous:
      return "previous";
    case FillPolicy::Linear:
      return "linear";
  }
  return "?";
}

std::string SeriesTable::place(int64_t row) const {
  return rows_are_lines ? source + ", line " + std::to_string(row + 2)
                        : source + ", row " + std::to_string(row);
}

int64_t SeriesTable::index_of(std::string_view name) const {
  auto it = std::find(names.begin(), names.end(), name);
  if (it != names.end()) return it - names.begin();
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  throw Error("no series column \"" + std::string(name) + "\" (there are: " + list + ")");
}

SeriesTable parse_series_csv(std::string_view text, const std::string& what,
                             const SeriesCsvOptions& options) {
  utf8::check_not_wide_encoding(text, what);
  text = utf8::without_byte_order_mark(text);
  check_line_ends(text, what);
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  if (lines.empty()) throw Error(what + ": empty file, expected a header line");
  // Column names reach the model file's JSON metadata, which holds only UTF-8 text.
  if (const size_t bad = utf8::find_invalid(lines[0]); bad != std::string_view::npos)
    throw Error(what + ", line 1: invalid UTF-8 at byte offset " + std::to_string(bad) +
                " (column names must be UTF-8 text)");
  const std::vector<std::string> header = split_line(lines[0], what + ", line 1");
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty())
      throw Error(what + ", line 1: column " + std::to_string(i + 1) + " has no name");
    if (std::find(header.begin(), header.begin() + i, header[i]) != header.begin() + i)
      throw Error(what + ", line 1: column \"" + header[i] + "\" appears twice");
  }
  const auto column_of = [&](const std::string& name) -> int64_t {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      std::string list;
      for (const std::string& n : header) list += (list.empty() ? "" : ", ") + shown(n);
      // One column holding another separator: a file of semicolons or tabs.
      std::string hint;
      const auto separator =
          header.size() == 1 ? header[0].find_first_of(";\t") : std::string::npos;
      if (separator != std::string::npos)
        hint = std::string("; the header holds no comma but a ") +
               (header[0][separator] == ';' ? "semicolon" : "tab") +
               ": the file's columns must be separated by commas";
      throw Error(what + ": no column \"" + name + "\" in the header (" + list + ")" + hint);
    }
    return it - header.begin();
  };
  const int64_t time_index = options.time_column.empty() ? -1 : column_of(options.time_column);
  std::vector<int64_t> selected;
  for (const std::string& name : options.columns) {
    if (name == options.time_column)
      throw Error(what + ": column \"" + name + "\" is the time column, not a series");
    selected.push_back(column_of(name));
  }
  if (options.columns.empty())
    for (int64_t i = 0; i < static_cast<int64_t>(header.size()); ++i)
      if (i != time_index) selected.push_back(i);
  if (selected.empty()) throw Error(what + ": no numeric column besides the time column");
  if (lines.size() < 2) throw Error(what + ": no data rows after the header");

  SeriesTable table;
  table.source = what;
  table.rows_are_lines = true;
  std::vector<std::vector<std::optional<double>>> cells(selected.size());
  for (size_t l = 1; l < lines.size(); ++l) {
    const std::string where = what + ", line " + std::to_string(l + 1);
    if (trim(lines[l]).empty()) throw Error(where + ": empty line");
    const std::vector<std::string> row = split_line(lines[l], where);
    if (row.size() != header.size())
      throw Error(where + ": " + std::to_string(row.size()) + " cells, the header has " +
                  std::to_string(header.size()));
    if (time_index >= 0) table.times.push_back(row[time_index]);
    for (size_t c = 0; c < selected.size(); ++c) {
      const std::string& cell = row[selected[c]];
      if (is_missing(cell)) {
        cells[c].push_back(std::nullopt);
      } else {
        cells[c].push_back(parse_number(cell, where + ", column \"" + header[selected[c]] + "\""));
      }
    }
  }
  for (size_t c = 0; c < selected.size(); ++c) {
    const std::string& name = header[selected[c]];
    fill_gaps(cells[c], options.fill, [&](size_t row) {
      return table.place(static_cast<int64_t>(row)) + ", column \"" + name + "\"";
    });
    table.names.push_back(name);
    table.columns.push_back(known(cells[c]));
  }
  return table;
}

SeriesTable series_from_columns(const std::vector<std::string>& names,
                                const std::vector<std::vector<double>>& columns, FillPolicy fill,
                                const std::string& what) {
  if (names.size() != columns.size())
    throw Error(what + ": " + std::to_string(names.size()) + " names for " +
                std::to_string(columns.size()) + " series");
  if (names.empty()) throw Error(what + ": no series");
  SeriesTable table;
  table.source = what;
  for (size_t c = 0; c < names.size(); ++c) {
    const std::string& name = names[c];
    const auto at = [&](size_t row) {
      return what + ", series \"" + name + "\", row " + std::to_string(row);
    };
    if (columns[c].size() != columns[0].size())
      throw Error(what + ": series \"" + name + "\" has " +
                  counted(std::ssize(columns[c]), "value", "values") + ", \"" + names[0] +
                  "\" has " + counted(std::ssize(columns[0]), "value", "values"));
    if (columns[c].empty()) throw Error(what + ": series \"" + name + "\" has no values");
    // NaN is the missing value of NumPy and pandas; an infinity is no measurement.
    std::vector<std::optional<double>> cells;
    for (size_t row = 0; row < columns[c].size(); ++row) {
      const double v = columns[c][row];
      if (std::isinf(v))
        throw Error(at(row) + ": " + (v > 0 ? "inf" : "-inf") + " is not a finite number");
      cells.push_back(std::isnan(v) ? std::nullopt : std::optional<double>(v));
    }
    fill_gaps(cells, fill, at);
    table.names.push_back(name);
    table.columns.push_back(known(cells));
  }
  return table;
}

SeriesTable read_series_csv(const std::string& path, const SeriesCsvOptions& options) {
  return parse_series_csv(read_file(path), path, options);
}

}  // namespace rnnkit
