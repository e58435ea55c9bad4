#pragma once
#include <string>
#include <vector>

namespace rnnkit {

// Charts are drawn once and written as SVG or PNG, chosen by the extension of the output path
// (".svg" or ".png", any case; anything else is an Error). The PNG is `width` x `height` pixels and
// the SVG the same size in px. Text must be valid UTF-8 (an Error otherwise). The SVG draws its
// text as outlines, so it also carries the title and the legend or axis labels as <title> and
// <desc> text, which makes it searchable and accessible. Files are replaced atomically.

struct Series {
  std::string label;  // empty: drawn but left out of the legend
  std::vector<double> x, y;
};

// A shaded area between two curves (a prediction interval), drawn under the lines in a light
// shade of the colour of series[series]; points with a non-finite coordinate are skipped.
struct Band {
  std::string label;  // empty: left out of the legend
  std::vector<double> x, lower, upper;
  size_t series = 0;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool log_y = false;  // a logarithmic y axis; points with y <= 0 are then skipped
  int width = 800, height = 500;
  std::vector<Band> bands = {};
};

// Axes with ticks at 1-2-5 steps (powers of ten on a log axis), a grid, a legend and a distinct
// colour per series. Points with a non-finite coordinate are skipped and break the line. Errors:
// x and y of a series (or x, lower and upper of a band) of different lengths, no finite point in
// the whole chart, a size outside [200, 10000].
void write_line_chart(const LineChart& chart, const std::string& path);

struct Heatmap {
  std::string title;
  std::vector<std::string> row_labels, col_labels;
  std::vector<double> values;  // row-major, row_labels.size() x col_labels.size()
};

// One square cell per value, coloured on a viridis scale from the smallest to the largest finite
// value, with a colour bar; rows are labelled on the left and columns along the top (space, tab and
// newline shown as ␣, ⇥ and ↵, so that character sequences stay readable). Non-finite values are
// drawn grey. Cells are 28 pixels, smaller (down to 8) for sequences longer than 32. Errors: no
// rows or columns, more than 500 of either, a value count that is not rows x cols, no finite value.
void write_heatmap(const Heatmap& map, const std::string& path);

}  // namespace rnnkit
