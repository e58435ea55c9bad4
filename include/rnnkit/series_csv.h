#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rnnkit {

// What to do with a missing cell (empty, or "NA"): refuse it, carry the previous value forward,
// or interpolate linearly between the nearest values before and after it.
enum class FillPolicy { None, Previous, Linear };
FillPolicy parse_fill_policy(std::string_view name);  // "none", "previous", "linear"
std::string fill_policy_name(FillPolicy policy);

struct SeriesCsvOptions {
  std::string time_column;           // kept as text, never parsed; "" when the file has none
  std::vector<std::string> columns;  // numeric columns to read, in this order; empty: all others
  FillPolicy fill = FillPolicy::None;
};

// Numeric time series read from a CSV file with a header line, one row per time step in file
// order (the order is the time order; nothing is sorted or dropped).
struct SeriesTable {
  std::vector<std::string> names;            // the numeric columns read
  std::vector<std::vector<double>> columns;  // columns[c][row], every value finite
  std::vector<std::string> times;            // the time column's cells; empty without one
  std::string source;                        // the file or the caller's name, for errors
  bool rows_are_lines = false;               // a CSV's: row r is line r + 2 of `source`

  int64_t steps() const { return columns.empty() ? 0 : static_cast<int64_t>(columns[0].size()); }
  // Where a row came from, for errors: "sales.csv, line 192" or "predict(), row 190".
  std::string place(int64_t row) const;
  // Index of a column by name; Error listing the available names when there is none.
  int64_t index_of(std::string_view name) const;
};

// `what` names the source in errors, which give the line number (the header is line 1) and the
// column name of the offending cell: a non-numeric cell, NaN or infinity, a missing value that
// the fill policy cannot fill, a row with the wrong number of cells, an unknown column.
SeriesTable parse_series_csv(std::string_view text, const std::string& what,
                             const SeriesCsvOptions& options);
SeriesTable read_series_csv(const std::string& path, const SeriesCsvOptions& options);

// The same table from series already in memory (Python's arrays): columns[c] is the series
// names[c], NaN a missing value filled by `fill`. `what` names the source in errors, which give
// the series and the row (from 0): an infinity, a gap the policy cannot fill, series of different
// lengths or without values.
SeriesTable series_from_columns(const std::vector<std::string>& names,
                                const std::vector<std::vector<double>>& columns, FillPolicy fill,
                                const std::string& what);

}  // namespace rnnkit
