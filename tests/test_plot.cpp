#include "rnnkit/plot.h"

#include <cairo/cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "plot/ticks.h"
#include "rnnkit/error.h"

namespace fs = std::filesystem;

// cairo's toy text API makes fontconfig allocate state that lives as long as the process, which
// LeakSanitizer reports at exit (a fixed amount per font face, not per chart). Only sanitizer
// builds call this hook.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\n";
}

namespace rnnkit {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rnnkit_plot_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  bool empty() const { return fs::is_empty(path_); }

 private:
  fs::path path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint32_t big_endian_u32(const std::string& bytes, size_t offset) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[offset + i]);
  return value;
}

struct PngSize {
  uint32_t width, height;
};

// The PNG signature, then the IHDR chunk (length 13, "IHDR", width, height) as the PNG spec fixes.
PngSize png_size(const std::string& path) {
  std::string bytes = slurp(path);
  EXPECT_GE(bytes.size(), 24u);
  if (bytes.size() < 24) return {0, 0};
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(big_endian_u32(bytes, 8), 13u);
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  return {big_endian_u32(bytes, 16), big_endian_u32(bytes, 20)};
}

struct ColourPixels {
  size_t count = 0;
  double mean_x = 0;
};

// The pixels of the PNG that have exactly the colour (r, g, b): how many, and where on average.
ColourPixels find_pixels(const std::string& path, int r, int g, int b) {
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> image(
      cairo_image_surface_create_from_png(path.c_str()), cairo_surface_destroy);
  EXPECT_EQ(cairo_surface_status(image.get()), CAIRO_STATUS_SUCCESS);
  const unsigned char* data = cairo_image_surface_get_data(image.get());
  int stride = cairo_image_surface_get_stride(image.get());
  uint32_t wanted = static_cast<uint32_t>(r) << 16 | static_cast<uint32_t>(g) << 8 | b;
  ColourPixels found;
  double x_sum = 0;
  for (int y = 0; y < cairo_image_surface_get_height(image.get()); ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + y * stride);
    for (int x = 0; x < cairo_image_surface_get_width(image.get()); ++x) {
      if ((row[x] & 0xffffff) != wanted) continue;
      ++found.count;
      x_sum += x;
    }
  }
  if (found.count > 0) found.mean_x = x_sum / found.count;
  return found;
}

// A small XML well-formedness check: one root element, tags balanced and nested, quoted
// attributes, no stray '<', and every '&' starting an entity. Returns "" or what is wrong.
std::string xml_problem(const std::string& xml) {
  auto entity_ok = [&](size_t amp) {
    size_t semicolon = xml.find(';', amp);
    if (semicolon == std::string::npos || semicolon == amp + 1 || semicolon - amp > 10)
      return false;
    for (size_t i = amp + 1; i < semicolon; ++i) {
      if (!std::isalnum(static_cast<unsigned char>(xml[i])) && xml[i] != '#') return false;
    }
    return true;
  };
  std::vector<std::string> open;
  bool had_root = false;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      if (!entity_ok(i)) return "bad entity at " + std::to_string(i);
      ++i;
      continue;
    }
    if (xml[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i]))) {
        return "text outside the root at " + std::to_string(i);
      }
      ++i;
      continue;
    }
    for (auto [start, end] : {std::pair{"<?", "?>"}, {"<!--", "-->"}, {"<![CDATA[", "]]>"}}) {
      if (xml.compare(i, std::string(start).size(), start) == 0) {
        size_t close = xml.find(end, i);
        if (close == std::string::npos) return std::string("unterminated ") + start;
        i = close + std::string(end).size();
        break;
      }
    }
    if (i >= xml.size() || xml[i] != '<') continue;
    size_t end = i + 1;
    char quote = 0;
    for (; end < xml.size() && (quote || xml[end] != '>'); ++end) {
      if (quote && xml[end] == quote) {
        quote = 0;
      } else if (!quote && (xml[end] == '"' || xml[end] == '\'')) {
        quote = xml[end];
      } else if (xml[end] == '<') {
        return "'<' inside a tag at " + std::to_string(end);
      } else if (quote && xml[end] == '&' && !entity_ok(end)) {
        return "bad entity in an attribute at " + std::to_string(end);
      }
    }
    if (end >= xml.size()) return "unterminated tag";
    std::string tag = xml.substr(i + 1, end - i - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    bool self_closing = !tag.empty() && tag.back() == '/';
    size_t name_start = closing ? 1 : 0;
    size_t name_end = tag.find_first_of(" \t\r\n/", name_start);
    std::string name = tag.substr(
        name_start, name_end == std::string::npos ? std::string::npos : name_end - name_start);
    if (name.empty()) return "a tag without a name at " + std::to_string(i);
    if (closing) {
      if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open";
      open.pop_back();
    } else {
      if (open.empty() && had_root) return "a second root element <" + name + ">";
      had_root = true;
      if (!self_closing) open.push_back(name);
    }
    i = end + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return had_root ? "" : "no root element";
}

TEST(PlotXmlCheck, RejectsWhatIsNotWellFormed) {
  EXPECT_EQ(xml_problem("<?xml version=\"1.0\"?><svg a=\"1\"><g/><t>a &amp; b</t></svg>"), "");
  EXPECT_NE(xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(xml_problem("<svg><t>a & b</t></svg>"), "");
  EXPECT_NE(xml_problem("<svg><t>a < b</t></svg>"), "");
  EXPECT_NE(xml_problem("<svg></svg><svg></svg>"), "");
}

LineChart two_series_chart() {
  LineChart chart;
  chart.title = "Loss & <perplexity>";
  chart.x_label = "step";
  chart.y_label = "loss";
  chart.series = {{"train loss", {0, 100, 200, 300, 400}, {4.2, 3.1, 2.5, 2.2, 2.0}},
                  {"valid loss", {200, 400}, {2.7, 2.3}}};
  return chart;
}

TEST(PlotTicks, LinearStepsAreOneTwoOrFiveTimesAPowerOfTen) {
  // Hand-worked: (1 - 0) / 5 = 0.2 -> step 0.2; (97 - 3) / 5 = 18.8 -> 20, range widened to 0..100.
  plot::Ticks unit = plot::linear_ticks(0, 1, 5);
  EXPECT_DOUBLE_EQ(unit.step, 0.2);
  ASSERT_EQ(unit.values.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(unit.values[i], 0.2 * i, 1e-12);

  plot::Ticks wide = plot::linear_ticks(3, 97, 5);
  EXPECT_DOUBLE_EQ(wide.step, 20);
  EXPECT_DOUBLE_EQ(wide.lo, 0);
  EXPECT_DOUBLE_EQ(wide.hi, 100);
  EXPECT_EQ(wide.values.size(), 6u);

  // 0.3 / 0.1 is 2.9999999999999996 in doubles; the range must still start at 0.3, not 0.2.
  plot::Ticks tenths = plot::linear_ticks(0.3, 0.7, 4);
  EXPECT_NEAR(tenths.lo, 0.3, 1e-12);
  EXPECT_NEAR(tenths.hi, 0.7, 1e-12);
  EXPECT_EQ(tenths.values.size(), 5u);

  // (1000 - 0) / 6 = 166.7 -> 200; (-7 - -23) / 4 = 4 -> 5, range -25..-5.
  EXPECT_DOUBLE_EQ(plot::linear_ticks(0, 1000, 6).step, 200);
  plot::Ticks negative = plot::linear_ticks(-23, -7, 4);
  EXPECT_DOUBLE_EQ(negative.step, 5);
  EXPECT_DOUBLE_EQ(negative.lo, -25);
  EXPECT_DOUBLE_EQ(negative.hi, -5);

  plot::Ticks flat = plot::linear_ticks(2, 2, 5);
  EXPECT_LT(flat.lo, 2);
  EXPECT_GT(flat.hi, 2);
  // A flat subnormal (a tenth of it rounds away) and a flat largest double (a tenth more
  // overflows) still get a finite range around them.
  const double tiny = std::numeric_limits<double>::denorm_min();
  const double top = std::numeric_limits<double>::max();
  for (double v : {tiny, -tiny, top, -top}) {
    plot::Ticks around = plot::linear_ticks(v, v, 5);
    EXPECT_TRUE(around.lo < around.hi && around.lo <= v && v <= around.hi) << v;
    EXPECT_TRUE(std::isfinite(around.lo) && std::isfinite(around.hi)) << v;
  }
}

TEST(PlotTicks, RangesBeyondDoublePrecisionStillEnd) {
  // The width overflows to infinity; at 1e17 doubles are 16 apart, so a step of 10 is lost.
  for (auto [lo, hi] : {std::pair{-1e308, 1e308}, {1e17, 1e17 + 64}}) {
    plot::Ticks ticks = plot::linear_ticks(lo, hi, 5);
    EXPECT_GE(ticks.values.size(), 2u);
    EXPECT_LE(ticks.values.size(), 101u);
  }
  plot::Ticks huge = plot::log_ticks(1e-320, 1.7e308);
  EXPECT_TRUE(std::isfinite(huge.hi));
  EXPECT_GT(huge.lo, 0);
}

TEST(PlotTicks, LogAxisTicksArePowersOfTen) {
  plot::Ticks perplexity = plot::log_ticks(5, 3000);
  EXPECT_DOUBLE_EQ(perplexity.lo, 1);
  EXPECT_DOUBLE_EQ(perplexity.hi, 10000);
  EXPECT_EQ(perplexity.values, (std::vector<double>{1, 10, 100, 1000, 10000}));
  // Within one decade the powers alone would be two ticks; 2 and 5 fill in.
  EXPECT_EQ(plot::log_ticks(3, 8).values, (std::vector<double>{1, 2, 5, 10}));
  EXPECT_EQ(plot::log_ticks(10, 100).values, (std::vector<double>{10, 20, 50, 100}));
}

TEST(PlotTicks, LabelsHaveTheDecimalsTheStepNeeds) {
  EXPECT_EQ(plot::format_tick(0.4, 0.2), "0.4");
  EXPECT_EQ(plot::format_tick(0.30000000000000004, 0.1), "0.3");
  EXPECT_EQ(plot::format_tick(0.15, 0.05), "0.15");
  EXPECT_EQ(plot::format_tick(1000, 200), "1000");
  EXPECT_EQ(plot::format_tick(0, 0.2), "0");
  EXPECT_EQ(plot::format_tick(100, 0), "100");
  EXPECT_EQ(plot::format_tick(3e7, 1e7), "3e+07");
}

TEST(LineChart, WritesPngOfTheChartSize) {
  TempDir dir;
  LineChart chart = two_series_chart();
  write_line_chart(chart, dir / "curves.png");
  PngSize size = png_size(dir / "curves.png");
  EXPECT_EQ(size.width, 800u);
  EXPECT_EQ(size.height, 500u);

  chart.width = 640;
  chart.height = 360;
  write_line_chart(chart, dir / "small.PNG");
  size = png_size(dir / "small.PNG");
  EXPECT_EQ(size.width, 640u);
  EXPECT_EQ(size.height, 360u);
}

TEST(LineChart, DrawsEachSeriesInItsOwnColour) {
  TempDir dir;
  write_line_chart(two_series_chart(), dir / "curves.png");
  // matplotlib's first two tab10 colours, #1f77b4 and #ff7f0e.
  EXPECT_GT(find_pixels(dir / "curves.png", 0x1f, 0x77, 0xb4).count, 20u);
  EXPECT_GT(find_pixels(dir / "curves.png", 0xff, 0x7f, 0x0e).count, 20u);
}

TEST(LineChart, SvgIsWellFormedAndNamesTitleAndLegend) {
  TempDir dir;
  write_line_chart(two_series_chart(), dir / "curves.svg");
  std::string svg = slurp(dir / "curves.svg");
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("width=\"800"), std::string::npos);
  EXPECT_NE(svg.find("<title>Loss &amp; &lt;perplexity&gt;</title>"), std::string::npos);
  EXPECT_NE(svg.find("train loss"), std::string::npos);
  EXPECT_NE(svg.find("valid loss"), std::string::npos);
}

TEST(LineChart, ShadesABandInALightShadeOfItsSeriesColour) {
  TempDir dir;
  LineChart chart = two_series_chart();
  chart.bands = {{"interval", {200, 300, 400}, {2.0, 1.8, 1.5}, {3.2, 3.0, 2.9}, 1}};
  write_line_chart(chart, dir / "band.png");
  // 0.7 + 0.3 x (#ff7f0e / 255) = (255, 216.6, 182.7): whichever way the rasteriser rounds.
  size_t shaded = 0;
  for (int g : {216, 217})
    for (int b : {182, 183}) shaded += find_pixels(dir / "band.png", 0xff, g, b).count;
  EXPECT_GT(shaded, 1000u);
  write_line_chart(chart, dir / "band.svg");
  EXPECT_NE(slurp(dir / "band.svg").find("interval (band)"), std::string::npos);

  chart.bands[0].upper.pop_back();
  EXPECT_THROW(write_line_chart(chart, dir / "bad.png"), Error);
}

TEST(LineChart, SkipsNonFinitePoints) {
  TempDir dir;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  LineChart chart = two_series_chart();
  chart.series[0].y = {4.2, nan, inf, 2.2, -inf};
  chart.series.push_back({"all missing", {1, 2}, {nan, nan}});
  EXPECT_NO_THROW(write_line_chart(chart, dir / "gaps.png"));
  EXPECT_NO_THROW(write_line_chart(chart, dir / "gaps.svg"));
  // The log axis cannot show y <= 0; such points are skipped too.
  chart.log_y = true;
  chart.series[1].y = {0, 2.3};
  EXPECT_NO_THROW(write_line_chart(chart, dir / "log.png"));
  EXPECT_EQ(png_size(dir / "log.png").width, 800u);
}

// Values whose range overflows a double (-1.7e308 to 1.7e308) or is a single subnormal are drawn,
// where the pixel mapping divided by an infinite or zero width (cairo: "invalid matrix").
TEST(LineChart, DrawsExtremeRanges) {
  TempDir dir;
  LineChart chart = two_series_chart();
  chart.series = {{"wide", {1, 2}, {-1.7e308, 1.7e308}}};
  EXPECT_NO_THROW(write_line_chart(chart, dir / "wide.png"));
  EXPECT_GT(find_pixels(dir / "wide.png", 0x1f, 0x77, 0xb4).count, 20u);
  const double tiny = std::numeric_limits<double>::denorm_min();
  chart.series = {{"tiny", {1, 2}, {tiny, tiny}}};
  EXPECT_NO_THROW(write_line_chart(chart, dir / "tiny.png"));
  EXPECT_GT(find_pixels(dir / "tiny.png", 0x1f, 0x77, 0xb4).count, 20u);
}

TEST(LineChart, RejectsBadInputWithoutWritingAFile) {
  TempDir dir;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  LineChart nothing = two_series_chart();
  nothing.series = {{"a", {1, 2}, {nan, std::numeric_limits<double>::infinity()}}};
  EXPECT_THROW(write_line_chart(nothing, dir / "x.png"), Error);
  nothing.series.clear();
  EXPECT_THROW(write_line_chart(nothing, dir / "x.png"), Error);

  LineChart negative_on_log = two_series_chart();
  negative_on_log.log_y = true;
  negative_on_log.series = {{"a", {1, 2}, {0, -1}}};
  EXPECT_THROW(write_line_chart(negative_on_log, dir / "x.svg"), Error);

  LineChart mismatch = two_series_chart();
  mismatch.series[1].y.push_back(1);
  EXPECT_THROW(write_line_chart(mismatch, dir / "x.png"), Error);

  LineChart bad_text = two_series_chart();
  bad_text.series[0].label = "train \xff";
  EXPECT_THROW(write_line_chart(bad_text, dir / "x.svg"), Error);

  LineChart tiny = two_series_chart();
  tiny.width = 10;
  EXPECT_THROW(write_line_chart(tiny, dir / "x.png"), Error);

  EXPECT_THROW(write_line_chart(two_series_chart(), dir / "x.jpg"), Error);
  EXPECT_THROW(write_line_chart(two_series_chart(), dir / "curves"), Error);
  EXPECT_THROW(write_line_chart(two_series_chart(), dir / "no_such_dir/x.png"), Error);
  EXPECT_TRUE(dir.empty());
}

Heatmap attention_map() {
  Heatmap map;
  map.title = "Attention";
  map.row_labels = {"月", "光", "<EOS>"};
  map.col_labels = {"床", "前", " ", "明"};
  map.values = {0.7,  0.1,  0.1,  0.1,  //
                0.0,  0.2,  0.3,  0.5,  //
                0.25, 0.25, 0.25, 0.25};
  return map;
}

TEST(Heatmap, WritesPngAndSvgWithItsLabels) {
  TempDir dir;
  Heatmap map = attention_map();
  write_heatmap(map, dir / "attention.png");
  PngSize size = png_size(dir / "attention.png");
  // Four columns and three rows of cells, plus labels and a colour bar, all well under 2000 px.
  EXPECT_GT(size.width, 4u * 20);
  EXPECT_GT(size.height, 3u * 20);
  EXPECT_LT(size.width, 2000u);
  EXPECT_LT(size.height, 2000u);

  write_heatmap(map, dir / "attention.svg");
  std::string svg = slurp(dir / "attention.svg");
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("<title>Attention</title>"), std::string::npos);
  for (const char* label : {"月", "光", "&lt;EOS&gt;", "床", "前", "明"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
}

TEST(Heatmap, CellsRunFromViridisPurpleToYellow) {
  TempDir dir;
  Heatmap map{"", {"a"}, {"x", "y", "z"}, {-3, 5, std::numeric_limits<double>::quiet_NaN()}};
  write_heatmap(map, dir / "scale.png");
  // matplotlib's viridis starts at #440154 and ends at #fde725. A whole 28 x 28 cell of each (the
  // colour bar has only a line or two of its end colours) shows the smallest and largest value.
  ColourPixels purple = find_pixels(dir / "scale.png", 0x44, 0x01, 0x54);
  ColourPixels yellow = find_pixels(dir / "scale.png", 0xfd, 0xe7, 0x25);
  EXPECT_GE(purple.count, 28u * 28);
  EXPECT_GE(yellow.count, 28u * 28);
  // The smallest value is in the first column, the largest in the second, one cell to its right.
  EXPECT_NEAR(yellow.mean_x - purple.mean_x, 28, 6);
}

TEST(Heatmap, LongSequencesGetSmallerCells) {
  TempDir dir;
  Heatmap map;
  for (int i = 0; i < 100; ++i) {
    map.row_labels.push_back(std::to_string(i));
    map.col_labels.push_back("word" + std::to_string(i));
  }
  map.values.assign(100 * 100, 0.0);
  map.values[0] = 1;
  write_heatmap(map, dir / "long.png");
  PngSize size = png_size(dir / "long.png");
  // 100 cells of 28 pixels would take 2800.
  EXPECT_LT(size.width, 1400u);
  EXPECT_LT(size.height, 1400u);
}

TEST(Heatmap, RejectsBadInputWithoutWritingAFile) {
  TempDir dir;
  Heatmap short_values = attention_map();
  short_values.values.pop_back();
  EXPECT_THROW(write_heatmap(short_values, dir / "x.png"), Error);

  Heatmap no_rows = attention_map();
  no_rows.row_labels.clear();
  no_rows.values.clear();
  EXPECT_THROW(write_heatmap(no_rows, dir / "x.png"), Error);

  Heatmap all_nan = attention_map();
  all_nan.values.assign(12, std::numeric_limits<double>::quiet_NaN());
  EXPECT_THROW(write_heatmap(all_nan, dir / "x.svg"), Error);

  Heatmap bad_label = attention_map();
  bad_label.col_labels[1] = "\xe5\x89";  // the first two bytes of 前
  EXPECT_THROW(write_heatmap(bad_label, dir / "x.svg"), Error);

  EXPECT_THROW(write_heatmap(attention_map(), dir / "x.pdf"), Error);
  EXPECT_TRUE(dir.empty());
}

}  // namespace
}  // namespace rnnkit
