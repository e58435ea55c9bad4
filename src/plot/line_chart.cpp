#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>

#include "plot/canvas.h"
#include "plot/ticks.h"
#include "rnnkit/error.h"
#include "rnnkit/plot.h"

namespace rnnkit {
namespace {

using plot::Font;
using plot::HAlign;
using plot::VAlign;

constexpr Font kTitleFont{14, true};
constexpr double kTickLength = 5;
constexpr double kLegendRow = 18, kLegendSample = 24, kLegendPadding = 8;

struct Point {
  double x, y;
};

struct Rect {
  double left, top, right, bottom;
  bool contains(Point p) const {
    return p.x >= left && p.x <= right && p.y >= top && p.y <= bottom;
  }
};

bool drawable(const LineChart& chart, double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && (!chart.log_y || y > 0);
}

bool has_drawable_point(const LineChart& chart, const Series& series) {
  for (size_t i = 0; i < series.x.size(); ++i) {
    if (drawable(chart, series.x[i], series.y[i])) return true;
  }
  return false;
}

void check_chart(const LineChart& chart) {
  if (chart.width < 200 || chart.width > 10000 || chart.height < 200 || chart.height > 10000) {
    throw Error("line chart size " + std::to_string(chart.width) + "x" +
                std::to_string(chart.height) + " is outside 200..10000 pixels");
  }
  plot::check_text(chart.title, "line chart title");
  plot::check_text(chart.x_label, "line chart x label");
  plot::check_text(chart.y_label, "line chart y label");
  bool any_point = false;
  for (const Series& series : chart.series) {
    plot::check_text(series.label, "line chart series label");
    if (series.x.size() != series.y.size()) {
      throw Error("line chart series '" + series.label + "' has " +
                  std::to_string(series.x.size()) + " x values but " +
                  std::to_string(series.y.size()) + " y values");
    }
    any_point = any_point || has_drawable_point(chart, series);
  }
  for (const Band& band : chart.bands) {
    plot::check_text(band.label, "line chart band label");
    if (band.lower.size() != band.x.size() || band.upper.size() != band.x.size())
      throw Error("line chart band '" + band.label + "' has " + std::to_string(band.x.size()) +
                  " x values, " + std::to_string(band.lower.size()) + " lower and " +
                  std::to_string(band.upper.size()) + " upper values");
  }
  if (!any_point) {
    throw Error("line chart '" + chart.title + "' has no finite point to draw" +
                (chart.log_y ? " (a log axis also needs y > 0)" : ""));
  }
}

// The axis maps data to pixels; a log axis maps log10 of the data.
struct Axis {
  plot::Ticks ticks;
  bool log;
  double pixel_lo, pixel_hi;
  double to_pixel(double v) const {
    // Halves: the difference of two finite doubles (-1.7e308 and 1.7e308) may overflow.
    auto scale = [this](double u) { return (log ? std::log10(u) : u) / 2; };
    double t = (scale(v) - scale(ticks.lo)) / (scale(ticks.hi) - scale(ticks.lo));
    return pixel_lo + t * (pixel_hi - pixel_lo);
  }
};

// Thin lines on half pixels stay one pixel wide in the PNG.
double crisp(double pixel) {
  return std::floor(pixel) + 0.5;
}

class LineChartDrawing {
 public:
  LineChartDrawing(const LineChart& chart, cairo_t* cr) : chart_(chart), cr_(cr) {}

  void draw() {
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
    double y_lo = x_lo, y_hi = -x_lo;
    auto extend = [&](double x, double y) {
      if (!drawable(chart_, x, y)) return;
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      y_lo = std::min(y_lo, y);
      y_hi = std::max(y_hi, y);
    };
    for (const Series& series : chart_.series)
      for (size_t i = 0; i < series.x.size(); ++i) extend(series.x[i], series.y[i]);
    for (const Band& band : chart_.bands)
      for (size_t i = 0; i < band.x.size(); ++i) {
        extend(band.x[i], band.lower[i]);
        extend(band.x[i], band.upper[i]);
      }
    plot::Ticks y_ticks = chart_.log_y ? plot::log_ticks(y_lo, y_hi)
                                       : plot::linear_ticks(y_lo, y_hi, chart_.height / 80);
    double widest_y_tick = 0;
    for (double v : y_ticks.values) {
      widest_y_tick = std::max(widest_y_tick, plot::text_width(cr_, label(y_ticks, v)));
    }
    double title_height = chart_.title.empty() ? 12 : 34;
    double y_label_width = chart_.y_label.empty() ? 0 : 22;
    double x_label_height = chart_.x_label.empty() ? 0 : 20;
    plot_ = {std::ceil(12 + y_label_width + widest_y_tick + kTickLength + 4), title_height,
             chart_.width - 24.0, chart_.height - 28 - x_label_height};
    x_axis_ = {plot::linear_ticks(x_lo, x_hi, std::max(2, chart_.width / 120)), false, plot_.left,
               plot_.right};
    y_axis_ = {y_ticks, chart_.log_y, plot_.bottom, plot_.top};

    draw_grid_and_ticks();
    draw_labels();
    draw_bands();
    draw_series();
    draw_legend();
  }

 private:
  static std::string label(const plot::Ticks& ticks, double v) {
    return plot::format_tick(v, ticks.step);
  }

  void draw_grid_and_ticks() {
    cairo_set_line_width(cr_, 1);
    for (double v : x_axis_.ticks.values) {
      double x = crisp(x_axis_.to_pixel(v));
      cairo_set_source_rgb(cr_, 0.9, 0.9, 0.9);
      cairo_move_to(cr_, x, plot_.top);
      cairo_line_to(cr_, x, plot_.bottom);
      cairo_stroke(cr_);
      cairo_set_source_rgb(cr_, 0.2, 0.2, 0.2);
      cairo_move_to(cr_, x, plot_.bottom);
      cairo_line_to(cr_, x, plot_.bottom + kTickLength);
      cairo_stroke(cr_);
      plot::draw_text(cr_, label(x_axis_.ticks, v), x, plot_.bottom + kTickLength + 2,
                      HAlign::center, VAlign::top);
    }
    if (y_axis_.log) draw_minor_log_ticks();
    for (double v : y_axis_.ticks.values) {
      double y = crisp(y_axis_.to_pixel(v));
      cairo_set_source_rgb(cr_, 0.9, 0.9, 0.9);
      cairo_move_to(cr_, plot_.left, y);
      cairo_line_to(cr_, plot_.right, y);
      cairo_stroke(cr_);
      cairo_set_source_rgb(cr_, 0.2, 0.2, 0.2);
      cairo_move_to(cr_, plot_.left - kTickLength, y);
      cairo_line_to(cr_, plot_.left, y);
      cairo_stroke(cr_);
      plot::draw_text(cr_, label(y_axis_.ticks, v), plot_.left - kTickLength - 3, y, HAlign::right,
                      VAlign::middle);
    }
    cairo_rectangle(cr_, crisp(plot_.left), crisp(plot_.top), std::round(plot_.right - plot_.left),
                    std::round(plot_.bottom - plot_.top));
    cairo_stroke(cr_);
  }

  // Unlabelled lines at 2..9 times each power of ten let a log axis be read between its labels.
  void draw_minor_log_ticks() {
    double decades = std::log10(y_axis_.ticks.hi / y_axis_.ticks.lo);
    if (decades > 6) return;
    for (double power = y_axis_.ticks.lo; power < y_axis_.ticks.hi; power *= 10) {
      for (int multiple = 2; multiple <= 9; ++multiple) {
        double v = multiple * power;
        const auto& major = y_axis_.ticks.values;
        if (std::find(major.begin(), major.end(), v) != major.end()) continue;
        double y = crisp(y_axis_.to_pixel(v));
        cairo_set_source_rgb(cr_, 0.96, 0.96, 0.96);
        cairo_move_to(cr_, plot_.left, y);
        cairo_line_to(cr_, plot_.right, y);
        cairo_stroke(cr_);
        cairo_set_source_rgb(cr_, 0.2, 0.2, 0.2);
        cairo_move_to(cr_, plot_.left - kTickLength / 2, y);
        cairo_line_to(cr_, plot_.left, y);
        cairo_stroke(cr_);
      }
    }
  }

  void draw_labels() {
    cairo_set_source_rgb(cr_, 0, 0, 0);
    double centre_x = (plot_.left + plot_.right) / 2;
    plot::draw_text(cr_, chart_.title, centre_x, 12, HAlign::center, VAlign::top, kTitleFont);
    plot::draw_text(cr_, chart_.x_label, centre_x, chart_.height - 8.0, HAlign::center,
                    VAlign::bottom);
    std::string y_label =
        chart_.y_label + (chart_.log_y && !chart_.y_label.empty() ? " (log scale)" : "");
    plot::draw_text(cr_, y_label, 12, (plot_.top + plot_.bottom) / 2, HAlign::center, VAlign::top,
                    {}, -std::numbers::pi / 2);
  }

  // Pixel positions of a series; NaN where a point is skipped, which breaks the line there.
  std::vector<Point> pixels(const Series& series) const {
    std::vector<Point> points;
    for (size_t i = 0; i < series.x.size(); ++i) {
      if (drawable(chart_, series.x[i], series.y[i])) {
        points.push_back({x_axis_.to_pixel(series.x[i]), y_axis_.to_pixel(series.y[i])});
      } else {
        points.push_back({NAN, NAN});
      }
    }
    return points;
  }

  static plot::Rgb light(plot::Rgb c) {
    return {0.7 + 0.3 * c.r, 0.7 + 0.3 * c.g, 0.7 + 0.3 * c.b};
  }

  // Each band as one polygon: along its upper curve, back along its lower one.
  void draw_bands() {
    cairo_save(cr_);
    cairo_rectangle(cr_, plot_.left, plot_.top, plot_.right - plot_.left, plot_.bottom - plot_.top);
    cairo_clip(cr_);
    for (const Band& band : chart_.bands) {
      std::vector<size_t> shown;
      for (size_t i = 0; i < band.x.size(); ++i)
        if (drawable(chart_, band.x[i], band.lower[i]) &&
            drawable(chart_, band.x[i], band.upper[i]))
          shown.push_back(i);
      if (shown.empty()) continue;
      for (size_t i : shown)
        cairo_line_to(cr_, x_axis_.to_pixel(band.x[i]), y_axis_.to_pixel(band.upper[i]));
      for (auto i = shown.rbegin(); i != shown.rend(); ++i)
        cairo_line_to(cr_, x_axis_.to_pixel(band.x[*i]), y_axis_.to_pixel(band.lower[*i]));
      cairo_close_path(cr_);
      plot::set_colour(cr_, light(plot::series_colour(band.series)));
      cairo_fill(cr_);
    }
    cairo_restore(cr_);
  }

  void draw_series() {
    cairo_save(cr_);
    cairo_rectangle(cr_, plot_.left, plot_.top, plot_.right - plot_.left, plot_.bottom - plot_.top);
    cairo_clip(cr_);
    cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr_, 1.8);
    for (size_t s = 0; s < chart_.series.size(); ++s) {
      std::vector<Point> points = pixels(chart_.series[s]);
      plot::set_colour(cr_, plot::series_colour(s));
      bool in_line = false;
      for (const Point& p : points) {
        if (std::isnan(p.x)) {
          in_line = false;
          continue;
        }
        in_line ? cairo_line_to(cr_, p.x, p.y) : cairo_move_to(cr_, p.x, p.y);
        in_line = true;
      }
      cairo_stroke(cr_);
      // Few points: mark each, so that a series of one point (or one between gaps) shows.
      size_t finite = std::count_if(points.begin(), points.end(),
                                    [](const Point& p) { return !std::isnan(p.x); });
      if (finite <= 40) {
        for (const Point& p : points) {
          if (std::isnan(p.x)) continue;
          cairo_new_sub_path(cr_);
          cairo_arc(cr_, p.x, p.y, 2.8, 0, 2 * std::numbers::pi);
        }
        cairo_fill(cr_);
      }
      for (const Point& p : points) {
        if (!std::isnan(p.x)) all_points_.push_back(p);
      }
    }
    cairo_restore(cr_);
  }

  void draw_legend() {
    // Series s is entry s; band b is entry series.size() + b, shown as a filled sample.
    std::vector<size_t> entries;
    double widest = 0;
    for (size_t s = 0; s < chart_.series.size(); ++s) {
      const Series& series = chart_.series[s];
      if (series.label.empty() || !has_drawable_point(chart_, series)) continue;
      entries.push_back(s);
      widest = std::max(widest, plot::text_width(cr_, series.label));
    }
    for (size_t b = 0; b < chart_.bands.size(); ++b) {
      if (chart_.bands[b].label.empty()) continue;
      entries.push_back(chart_.series.size() + b);
      widest = std::max(widest, plot::text_width(cr_, chart_.bands[b].label));
    }
    if (entries.empty()) return;
    double width = kLegendPadding * 2 + kLegendSample + 6 + widest;
    double height = kLegendPadding * 2 + kLegendRow * entries.size();
    Rect box = least_covered_corner(width, height);

    cairo_rectangle(cr_, box.left, box.top, width, height);
    cairo_set_source_rgba(cr_, 1, 1, 1, 0.85);
    cairo_fill_preserve(cr_);
    cairo_set_source_rgb(cr_, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr_, 1);
    cairo_stroke(cr_);
    for (size_t e = 0; e < entries.size(); ++e) {
      double y = box.top + kLegendPadding + kLegendRow * (e + 0.5);
      double x = box.left + kLegendPadding;
      const bool is_band = entries[e] >= chart_.series.size();
      const Band* band = is_band ? &chart_.bands[entries[e] - chart_.series.size()] : nullptr;
      if (band) {
        plot::set_colour(cr_, light(plot::series_colour(band->series)));
        cairo_rectangle(cr_, x, y - 5, kLegendSample, 10);
        cairo_fill(cr_);
      } else {
        plot::set_colour(cr_, plot::series_colour(entries[e]));
        cairo_set_line_width(cr_, 2.5);
        cairo_move_to(cr_, x, y);
        cairo_line_to(cr_, x + kLegendSample, y);
        cairo_stroke(cr_);
      }
      cairo_set_source_rgb(cr_, 0, 0, 0);
      plot::draw_text(cr_, band ? band->label : chart_.series[entries[e]].label,
                      x + kLegendSample + 6, y, HAlign::left, VAlign::middle);
    }
  }

  // The legend goes into the corner of the plot that hides the fewest points (top right first:
  // loss curves fall, accuracy curves rise).
  Rect least_covered_corner(double width, double height) const {
    constexpr double kInset = 10;
    double left = plot_.left + kInset, right = plot_.right - kInset - width;
    double top = plot_.top + kInset, bottom = plot_.bottom - kInset - height;
    std::array<Rect, 4> corners = {{{right, top, right + width, top + height},
                                    {right, bottom, right + width, bottom + height},
                                    {left, top, left + width, top + height},
                                    {left, bottom, left + width, bottom + height}}};
    Rect best = corners[0];
    long fewest = std::numeric_limits<long>::max();
    for (const Rect& corner : corners) {
      long covered = std::count_if(all_points_.begin(), all_points_.end(),
                                   [&](const Point& p) { return corner.contains(p); });
      if (covered < fewest) {
        fewest = covered;
        best = corner;
      }
    }
    return best;
  }

  const LineChart& chart_;
  cairo_t* cr_;
  Rect plot_{};
  Axis x_axis_{}, y_axis_{};
  std::vector<Point> all_points_;
};

std::string describe(const LineChart& chart) {
  std::string description = "Line chart. x: " + chart.x_label + ". y: " + chart.y_label +
                            (chart.log_y ? " (log scale)" : "") + ". Series:";
  for (const Series& series : chart.series) {
    if (!series.label.empty()) description += " " + series.label + ";";
  }
  for (const Band& band : chart.bands) {
    if (!band.label.empty()) description += " " + band.label + " (band);";
  }
  return description;
}

}  // namespace

void write_line_chart(const LineChart& chart, const std::string& path) {
  check_chart(chart);
  plot::check_image_path(path);
  plot::render_to_file(path, chart.width, chart.height, chart.title, describe(chart),
                       [&chart](cairo_t* cr) { LineChartDrawing(chart, cr).draw(); });
}

}  // namespace rnnkit
