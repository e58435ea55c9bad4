#pragma once
#include <cairo.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

// What the line chart and the heat map share: the output file, text, axis ticks and colours.
namespace rnnkit::plot {

struct Rgb {
  double r, g, b;
};

// Throws Error unless `path` ends in .svg or .png (any case).
void check_image_path(const std::string& path);

// Throws Error "<what>: invalid UTF-8 at byte offset N" for text cairo could not draw.
void check_text(std::string_view text, std::string_view what);

// Calls `draw` on a white width x height canvas and writes it to `path` as SVG or PNG by the
// extension. The SVG gets `title` and `description` as its <title> and <desc>.
void render_to_file(const std::string& path, int width, int height, std::string_view title,
                    std::string_view description, const std::function<void(cairo_t*)>& draw);

enum class HAlign { left, center, right };
enum class VAlign { top, middle, baseline, bottom };

struct Font {
  double size = 12;
  bool bold = false;
};

// The toy text API uses one font face per string without fallback, so each string gets the first
// of a few families that has glyphs for all of its characters (Chinese labels need a CJK font).
double text_width(cairo_t* cr, std::string_view text, Font font = {});
// Draws `text` aligned at (x, y), rotated by `angle` radians around that point.
void draw_text(cairo_t* cr, std::string_view text, double x, double y, HAlign h, VAlign v,
               Font font = {}, double angle = 0);

// Colour of the i-th series (matplotlib's tab10, cycled).
Rgb series_colour(size_t i);
// Viridis at t in [0, 1].
Rgb viridis(double t);

void set_colour(cairo_t* cr, Rgb colour);

}  // namespace rnnkit::plot
