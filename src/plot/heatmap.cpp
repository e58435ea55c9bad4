#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
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
constexpr size_t kMaxLabels = 500;
constexpr double kMargin = 10, kGap = 6, kBarGap = 16, kBarWidth = 16, kMinBarHeight = 120;

// Whitespace tokens of a character sequence would be invisible as labels.
std::string visible(const std::string& label) {
  std::string shown;
  for (char c : label) {
    switch (c) {
      case ' ':
        shown += "\u2423";
        break;
      case '\t':
        shown += "\u21e5";
        break;
      case '\n':
        shown += "\u21b5";
        break;
      case '\r':
        shown += "\u240d";
        break;
      default:
        shown += c;
    }
  }
  return shown;
}

void check_heatmap(const Heatmap& map) {
  size_t rows = map.row_labels.size(), cols = map.col_labels.size();
  if (rows == 0 || cols == 0) {
    throw Error("heat map '" + map.title + "' needs at least one row and one column label (has " +
                std::to_string(rows) + " and " + std::to_string(cols) + ")");
  }
  if (rows > kMaxLabels || cols > kMaxLabels) {
    throw Error("heat map '" + map.title + "' of " + std::to_string(rows) + " x " +
                std::to_string(cols) + " is too large to draw (at most " +
                std::to_string(kMaxLabels) + " rows and columns)");
  }
  if (map.values.size() != rows * cols) {
    throw Error("heat map '" + map.title + "' has " + std::to_string(map.values.size()) +
                " values but " + std::to_string(rows) + " rows x " + std::to_string(cols) +
                " columns = " + std::to_string(rows * cols));
  }
  if (std::none_of(map.values.begin(), map.values.end(),
                   [](double v) { return std::isfinite(v); })) {
    throw Error("heat map '" + map.title + "' has no finite value to draw");
  }
  plot::check_text(map.title, "heat map title");
  for (size_t r = 0; r < rows; ++r) {
    plot::check_text(map.row_labels[r], "heat map row label " + std::to_string(r));
  }
  for (size_t c = 0; c < cols; ++c) {
    plot::check_text(map.col_labels[c], "heat map column label " + std::to_string(c));
  }
}

// Sizes are measured before the canvas exists (its size depends on them), on a scratch surface.
struct Layout {
  double cell;
  Font label_font;
  bool vertical_col_labels;
  double map_left, map_top, bar_left, bar_height;
  int width, height;
  double lo, hi;  // the values mapped to the two ends of the colour scale
  plot::Ticks bar_ticks;
};

Layout lay_out(const Heatmap& map) {
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> scratch(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1), cairo_surface_destroy);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr(cairo_create(scratch.get()), cairo_destroy);
  size_t rows = map.row_labels.size(), cols = map.col_labels.size();

  Layout layout{};
  // 28 pixels a cell, smaller for long sequences so that the map stays about 900 pixels at most.
  layout.cell = std::clamp(std::floor(900.0 / std::max(rows, cols)), 8.0, 28.0);
  layout.label_font = {std::clamp(layout.cell * 0.6, 6.0, 12.0), false};

  double row_label_width = 0, col_label_width = 0;
  for (const auto& label : map.row_labels) {
    row_label_width =
        std::max(row_label_width, plot::text_width(cr.get(), visible(label), layout.label_font));
  }
  for (const auto& label : map.col_labels) {
    col_label_width =
        std::max(col_label_width, plot::text_width(cr.get(), visible(label), layout.label_font));
  }
  layout.vertical_col_labels = col_label_width > layout.cell - 2;
  double col_label_height =
      layout.vertical_col_labels ? col_label_width : layout.label_font.size * 1.3;
  double title_height = map.title.empty() ? 0 : 30;

  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : map.values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  layout.bar_ticks = plot::linear_ticks(lo, hi, 5);
  layout.lo = lo < hi ? lo : layout.bar_ticks.lo;
  layout.hi = lo < hi ? hi : layout.bar_ticks.hi;
  std::erase_if(layout.bar_ticks.values, [&](double v) {
    double slack = (layout.hi - layout.lo) * 1e-9;
    return v < layout.lo - slack || v > layout.hi + slack;
  });
  double tick_label_width = 0;
  for (double v : layout.bar_ticks.values) {
    tick_label_width = std::max(
        tick_label_width, plot::text_width(cr.get(), plot::format_tick(v, layout.bar_ticks.step)));
  }

  layout.map_left = std::ceil(kMargin + row_label_width + kGap);
  layout.map_top = std::ceil(kMargin + title_height + col_label_height + kGap);
  double map_width = layout.cell * cols, map_height = layout.cell * rows;
  layout.bar_left = layout.map_left + map_width + kBarGap;
  layout.bar_height = std::max(map_height, kMinBarHeight);
  double content_width = layout.bar_left + kBarWidth + kGap + tick_label_width + kMargin;
  double title_width = plot::text_width(cr.get(), map.title, kTitleFont) + 2 * kMargin;
  layout.width = static_cast<int>(std::ceil(std::max(content_width, title_width)));
  layout.height = static_cast<int>(std::ceil(layout.map_top + layout.bar_height + kMargin));
  return layout;
}

void draw_heatmap(const Heatmap& map, const Layout& layout, cairo_t* cr) {
  size_t rows = map.row_labels.size(), cols = map.col_labels.size();
  double cell = layout.cell;
  cairo_set_source_rgb(cr, 0, 0, 0);
  plot::draw_text(cr, map.title, layout.width / 2.0, kMargin, HAlign::center, VAlign::top,
                  kTitleFont);

  // Adjacent cells must not show antialiased seams in the SVG.
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      double v = map.values[r * cols + c];
      if (std::isfinite(v)) {
        plot::set_colour(cr, plot::viridis((v - layout.lo) / (layout.hi - layout.lo)));
      } else {
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
      }
      cairo_rectangle(cr, layout.map_left + c * cell, layout.map_top + r * cell, cell, cell);
      cairo_fill(cr);
    }
  }
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);

  cairo_set_source_rgb(cr, 0, 0, 0);
  for (size_t r = 0; r < rows; ++r) {
    plot::draw_text(cr, visible(map.row_labels[r]), layout.map_left - kGap,
                    layout.map_top + (r + 0.5) * cell, HAlign::right, VAlign::middle,
                    layout.label_font);
  }
  for (size_t c = 0; c < cols; ++c) {
    double x = layout.map_left + (c + 0.5) * cell;
    if (layout.vertical_col_labels) {
      plot::draw_text(cr, visible(map.col_labels[c]), x, layout.map_top - kGap, HAlign::left,
                      VAlign::middle, layout.label_font, -std::numbers::pi / 2);
    } else {
      plot::draw_text(cr, visible(map.col_labels[c]), x, layout.map_top - kGap, HAlign::center,
                      VAlign::bottom, layout.label_font);
    }
  }

  // The colour bar: the largest value at the top.
  double bar_top = layout.map_top, bar_bottom = layout.map_top + layout.bar_height;
  cairo_pattern_t* gradient = cairo_pattern_create_linear(0, bar_bottom, 0, bar_top);
  for (int i = 0; i <= 8; ++i) {
    plot::Rgb colour = plot::viridis(i / 8.0);
    cairo_pattern_add_color_stop_rgb(gradient, i / 8.0, colour.r, colour.g, colour.b);
  }
  cairo_rectangle(cr, layout.bar_left, bar_top, kBarWidth, layout.bar_height);
  cairo_set_source(cr, gradient);
  cairo_fill(cr);
  cairo_pattern_destroy(gradient);

  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_set_line_width(cr, 1);
  for (double v : layout.bar_ticks.values) {
    double y = bar_bottom - (v - layout.lo) / (layout.hi - layout.lo) * layout.bar_height;
    double x = layout.bar_left + kBarWidth;
    cairo_move_to(cr, x, std::floor(y) + 0.5);
    cairo_line_to(cr, x + 4, std::floor(y) + 0.5);
    cairo_stroke(cr);
    plot::draw_text(cr, plot::format_tick(v, layout.bar_ticks.step), x + kGap, y, HAlign::left,
                    VAlign::middle);
  }
}

std::string describe(const Heatmap& map) {
  auto joined = [](const std::vector<std::string>& labels) {
    std::string text;
    for (const auto& label : labels) {
      if (!text.empty()) text += ' ';
      text += visible(label);
    }
    return text;
  };
  return "Heat map of " + std::to_string(map.row_labels.size()) + " x " +
         std::to_string(map.col_labels.size()) + " values. Rows: " + joined(map.row_labels) +
         ". Columns: " + joined(map.col_labels) + ".";
}

}  // namespace

void write_heatmap(const Heatmap& map, const std::string& path) {
  check_heatmap(map);
  plot::check_image_path(path);
  Layout layout = lay_out(map);
  plot::render_to_file(path, layout.width, layout.height, map.title, describe(map),
                       [&](cairo_t* cr) { draw_heatmap(map, layout, cr); });
}

}  // namespace rnnkit
