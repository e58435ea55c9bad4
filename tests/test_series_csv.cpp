#include "rnnkit/series_csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/file_io.h"

namespace rnnkit {
namespace {

SeriesCsvOptions with_time(FillPolicy fill = FillPolicy::None) {
  SeriesCsvOptions options;
  options.time_column = "date";
  options.fill = fill;
  return options;
}

// The Error message of parsing `text`, or "" when it parses.
std::string error_of(const std::string& text, const SeriesCsvOptions& options) {
  try {
    parse_series_csv(text, "s.csv", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SeriesCsv, ReadsTheNumericColumnsInFileOrderAndKeepsTheTimeColumn) {
  const SeriesTable t = parse_series_csv(
      "date,a,b\n2020-01,1.5,-2\n2020-02, 2e1 ,\"+3\"\r\n2020-03,3,4\n\n", "s.csv", with_time());
  ASSERT_EQ(t.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.steps(), 3);
  EXPECT_EQ(t.columns[0], (std::vector<double>{1.5, 20, 3}));
  EXPECT_EQ(t.columns[1], (std::vector<double>{-2, 3, 4}));
  EXPECT_EQ(t.times, (std::vector<std::string>{"2020-01", "2020-02", "2020-03"}));
  EXPECT_EQ(t.index_of("b"), 1);
  EXPECT_THROW(t.index_of("c"), Error);
}

// A leading byte-order mark (spreadsheets write one) is no part of the first column's name, and a
// number too small for a double reads as 0 or a subnormal, as in every CSV reader.
TEST(SeriesCsv, DropsAByteOrderMarkAndReadsTinyNumbers) {
  const SeriesTable t = parse_series_csv(
      "\xEF\xBB\xBF"
      "a,b\n1e-400,1\n-4e-320,2\n",
      "s.csv", SeriesCsvOptions{});
  ASSERT_EQ(t.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.columns[0][0], 0.0);
  EXPECT_EQ(t.columns[0][1], -4e-320);
  EXPECT_NE(error_of("a\n1e-400x\n", SeriesCsvOptions{}).find("is not a number"),
            std::string::npos);
}

// Files of another convention are named as such rather than read as one column or one line.
TEST(SeriesCsv, SemicolonsTabsAndCarriageReturnsAreNamed) {
  SeriesCsvOptions options;
  options.columns = {"y"};
  EXPECT_NE(error_of("date;y\nx;1\n", options).find("holds no comma but a semicolon"),
            std::string::npos);
  EXPECT_NE(error_of("date\ty\nx\t1\n", options).find("holds no comma but a tab"),
            std::string::npos);
  EXPECT_EQ(error_of("date,z\nx,1\n", options).find("holds no comma"), std::string::npos);
  EXPECT_NE(error_of("y\r1\r2\r", SeriesCsvOptions{}).find("lines end in CR alone"),
            std::string::npos);
  EXPECT_NO_THROW(parse_series_csv("y\r\n1\r\n2\r\n", "s.csv", SeriesCsvOptions{}));
}

// Quotes around a whole cell, blanks outside them and "" inside are RFC 4180's.
TEST(SeriesCsv, QuotedCellsMayHaveBlanksAroundThem) {
  const SeriesTable t =
      parse_series_csv("\"a \"\"x\"\"\",b\n \"1\" ,\"-2\"\n", "s.csv", SeriesCsvOptions{});
  ASSERT_EQ(t.names, (std::vector<std::string>{"a \"x\"", "b"}));
  EXPECT_EQ(t.columns[0], (std::vector<double>{1}));
  EXPECT_EQ(t.columns[1], (std::vector<double>{-2}));
}

// A file saved as UTF-16 (a spreadsheet's "Unicode Text") is named as such, with or without its
// byte order mark, rather than read as a header of NUL-cut names.
TEST(SeriesCsv, AUtf16FileIsNamed) {
  const std::string little(
      "\xFF\xFEy\0\n\0"
      "1\0\n\0",
      10);
  const std::string big(
      "\0y\0\n\0"
      "1\0\n",
      7);
  for (const std::string& text : {little, little.substr(2), big})
    EXPECT_NE(error_of(text, SeriesCsvOptions{}).find("s.csv: the file is UTF-16 or UTF-32"),
              std::string::npos)
        << error_of(text, SeriesCsvOptions{});
  EXPECT_NE(error_of(std::string("y\0,z\nx,1\n", 10), SeriesCsvOptions{"t", {}, FillPolicy::None})
                .find("(\"y\\x00\", z)"),
            std::string::npos);
}

TEST(SeriesCsv, ReadsOnlyTheChosenColumnsInTheChosenOrder) {
  SeriesCsvOptions options = with_time();
  options.columns = {"c", "a"};
  // Column b is not read, so its text cell is no error.
  const SeriesTable t = parse_series_csv("date,a,b,c\nx,1,text,5\ny,2,text,6\n", "s.csv", options);
  ASSERT_EQ(t.names, (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(t.columns[0], (std::vector<double>{5, 6}));
  EXPECT_EQ(t.columns[1], (std::vector<double>{1, 2}));
  options.columns = {"z"};
  EXPECT_NE(error_of("date,a\nx,1\n", options).find("no column \"z\""), std::string::npos);
  options.columns = {"date"};
  EXPECT_NE(error_of("date,a\nx,1\n", options).find("is the time column"), std::string::npos);
}

TEST(SeriesCsv, BadCellsAreErrorsNamingTheLineAndTheColumn) {
  const std::string header = "date,a,b\n";
  const auto expect_error = [&](const std::string& rows, const std::string& part) {
    const std::string message = error_of(header + rows, with_time());
    EXPECT_NE(message.find(part), std::string::npos) << "got: " << message;
  };
  expect_error("x,1,2\ny,1,abc\n", "s.csv, line 3, column \"b\": \"abc\" is not a number");
  expect_error("x,1,2\ny,1.5.2,3\n", "line 3, column \"a\": \"1.5.2\" is not a number");
  expect_error("x,nan,2\n", "line 2, column \"a\": \"nan\" is not a finite number");
  expect_error("x,1,NaN\n", "line 2, column \"b\": \"NaN\" is not a finite number");
  expect_error("x,inf,2\n", "line 2, column \"a\": \"inf\" is not a finite number");
  expect_error("x,1,-infinity\n", "column \"b\": \"-infinity\" is not a finite number");
  // A NUL or another control character is shown escaped, so the reason that follows it is kept.
  expect_error(std::string("x,1,12") + '\0' + "7\n", "\"12\\x007\" is not a number");
  expect_error("x,1\x01,2\n", "\"1\\x01\" is not a number");
  expect_error("x,1e999,2\n", "line 2, column \"a\": \"1e999\" is out of the range");
  expect_error("x,-1e999,2\n", "line 2, column \"a\": \"-1e999\" is out of the range");
  expect_error("x,1,2\ny,3\n", "line 3: 2 cells, the header has 3");
  expect_error("x,1,2\n\ny,3,4\n", "line 3: empty line");
  expect_error("x,1,\"2\n", "line 2: unterminated quoted cell");
  // A quote that does not enclose its whole cell, and a sign after '+', are no number (read as
  // a quote toggle, 1"2" was 12; +-5 was -5).
  expect_error("x,1\"2\",3\n", "line 2, cell 2: a double quote inside the cell");
  expect_error("x,\"1\"2,3\n", "line 2, cell 2: a double quote inside the cell");
  expect_error("x,1,\"2\" \"3\"\n", "line 2, cell 3: a double quote inside the cell");
  expect_error("x,+-5,3\n", "line 2, column \"a\": \"+-5\" is not a number");
  expect_error("x,++5,3\n", "line 2, column \"a\": \"++5\" is not a number");
  expect_error("x,1,2\ny,,3\n", "line 3, column \"a\": missing value");
  expect_error("x,1,2\ny,NA,3\n", "line 3, column \"a\": missing value");
  // A long cell is shown cut, with its length: a megabyte cell is not a megabyte of message.
  const std::string long_cell = "x,1," + std::string(2000000, '7') + "z\n";
  expect_error(long_cell,
               "column \"b\": \"" + std::string(80, '7') + "...\" (2000001 bytes) is not");
  EXPECT_LT(error_of(header + long_cell, with_time()).size(), 300u);
  EXPECT_NE(error_of("", with_time()).find("empty file"), std::string::npos);
  EXPECT_NE(error_of("date,a\n", with_time()).find("no data rows"), std::string::npos);
  EXPECT_NE(error_of("date,a,a\nx,1,2\n", with_time()).find("\"a\" appears twice"),
            std::string::npos);
  // Column names go into the model's JSON metadata: a Latin-1 one is refused where it is.
  EXPECT_NE(error_of("date,v\xE9\nx,1\n", with_time())
                .find("s.csv, line 1: invalid UTF-8 at byte offset 6 (column names must be UTF-8"),
            std::string::npos);
  EXPECT_NE(error_of("date,a\nx,1\n", SeriesCsvOptions{"time", {}, FillPolicy::None})
                .find("no column \"time\""),
            std::string::npos);
}

TEST(SeriesCsv, PreviousFillCarriesTheLastValueForward) {
  const SeriesTable t =
      parse_series_csv("date,a\nw,1\nx,\ny,NA\nz,4\n", "s.csv", with_time(FillPolicy::Previous));
  EXPECT_EQ(t.columns[0], (std::vector<double>{1, 1, 1, 4}));
  EXPECT_NE(error_of("date,a\nw,\nx,2\n", with_time(FillPolicy::Previous))
                .find("line 2, column \"a\": missing value in the first row"),
            std::string::npos);
}

TEST(SeriesCsv, LinearFillInterpolatesBetweenTheNearestKnownValues) {
  const SeriesTable t = parse_series_csv("date,a,b\nw,1,5\nx,,6\ny,,7\nz,7,8\n", "s.csv",
                                         with_time(FillPolicy::Linear));
  EXPECT_EQ(t.columns[0], (std::vector<double>{1, 3, 5, 7}));
  EXPECT_EQ(t.columns[1], (std::vector<double>{5, 6, 7, 8}));
  EXPECT_NE(error_of("date,a\nw,1\nx,\n", with_time(FillPolicy::Linear))
                .find("line 3, column \"a\": missing value after the last known one"),
            std::string::npos);
}

// The Error message of series_from_columns, or "" when it makes a table.
std::string columns_error(const std::vector<std::string>& names,
                          const std::vector<std::vector<double>>& columns) {
  try {
    series_from_columns(names, columns, FillPolicy::Linear, "data");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SeriesCsv, SeriesInMemoryFillTheirNaNsAndNameTheRowOfAFault) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const SeriesTable t =
      series_from_columns({"a", "b"}, {{1, nan, nan, 7}, {5, 6, 7, 8}}, FillPolicy::Linear, "data");
  EXPECT_EQ(t.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.columns[0], (std::vector<double>{1, 3, 5, 7}));
  EXPECT_EQ(t.columns[1], (std::vector<double>{5, 6, 7, 8}));
  EXPECT_EQ(series_from_columns({"a"}, {{2, nan}}, FillPolicy::Previous, "d").columns[0],
            (std::vector<double>{2, 2}));
  EXPECT_NE(columns_error({"a"}, {{1, 2, nan}})
                .find("data, series \"a\", row 2: missing value after the last known one"),
            std::string::npos);
  EXPECT_NE(columns_error({"a", "b"}, {{1, 2}, {1, -std::numeric_limits<double>::infinity()}})
                .find("series \"b\", row 1: -inf is not a finite number"),
            std::string::npos);
  EXPECT_NE(columns_error({"a", "b"}, {{1, 2}, {1}}).find("\"b\" has 1 value, \"a\" has 2 values"),
            std::string::npos);
  EXPECT_NE(columns_error({"a"}, {{}}).find("series \"a\" has no values"), std::string::npos);
  EXPECT_NE(columns_error({"a", "b"}, {{1}}).find("2 names for 1 series"), std::string::npos);
  EXPECT_NE(columns_error({}, {}).find("no series"), std::string::npos);
}

TEST(SeriesCsv, FillPolicyNames) {
  for (FillPolicy p : {FillPolicy::None, FillPolicy::Previous, FillPolicy::Linear})
    EXPECT_EQ(parse_fill_policy(fill_policy_name(p)), p);
  EXPECT_THROW(parse_fill_policy("zero"), Error);
}

// The real series of tools/fetch_series.sh, when it has been run (they are not committed).
TEST(SeriesCsv, ReadsTheFetchedRealSeries) {
  const std::string dir = std::string(RNNKIT_SOURCE_DIR) + "/data/series/";
  if (!std::filesystem::exists(dir + "co2-weekly.csv"))
    GTEST_SKIP() << "run tools/fetch_series.sh to fetch " << dir;
  const SeriesTable sunspots = read_series_csv(dir + "sunspots.csv", {"YEAR", {}, {}});
  EXPECT_EQ(sunspots.names, (std::vector<std::string>{"SUNACTIVITY"}));
  EXPECT_EQ(sunspots.steps(), 309);  // 1700..2008
  // The weekly CO2 record has gaps: refused as they are, filled on request.
  const std::string weekly = dir + "co2-weekly.csv";
  EXPECT_NE(error_of(read_file(weekly), SeriesCsvOptions{"date", {}, FillPolicy::None})
                .find("line 8, column \"co2\": missing value"),
            std::string::npos);
  const SeriesTable co2 = read_series_csv(weekly, {"date", {}, FillPolicy::Linear});
  EXPECT_EQ(co2.steps(), 2284);
  EXPECT_DOUBLE_EQ(co2.columns[0][6], (316.9 + 317.5) / 2);
  const SeriesTable weather =
      read_series_csv(dir + "seattle-weather.csv", {"date", {"temp_max", "precipitation"}, {}});
  EXPECT_EQ(weather.steps(), 1461);
  EXPECT_THROW(read_series_csv(dir + "seattle-weather.csv", {"date", {}, {}}), Error);  // "weather"
}

}  // namespace
}  // namespace rnnkit
