#include "plot/canvas.h"

#include <cairo-svg.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <memory>

#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/utf8.h"

namespace rnnkit::plot {
namespace {

enum class ImageFormat { svg, png };

ImageFormat image_format(const std::string& path) {
  size_t dot = path.rfind('.');
  std::string extension = dot == std::string::npos ? "" : path.substr(dot);
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".svg") return ImageFormat::svg;
  if (extension == ".png") return ImageFormat::png;
  throw Error("cannot write chart " + path + ": the file name must end in .svg or .png");
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Text for an XML element: markup escaped, and the control characters XML 1.0 forbids dropped.
std::string xml_text(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
          escaped += c;
        }
    }
  }
  return escaped;
}

// cairo writes the root <svg ...> element first; the <title> and <desc> go right inside it.
void add_svg_text(std::string& svg, std::string_view title, std::string_view description) {
  size_t root = svg.find("<svg");
  size_t end_of_tag = root == std::string::npos ? root : svg.find('>', root);
  if (end_of_tag == std::string::npos) throw Error("cairo wrote an SVG without a root element");
  svg.insert(end_of_tag + 1, "\n<title>" + xml_text(title) + "</title>\n<desc>" +
                                 xml_text(description) + "</desc>");
}

void check_status(cairo_status_t status, const std::string& path) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw Error("cannot draw " + path + ": " + cairo_status_to_string(status));
  }
}

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void draw_on(cairo_surface_t* surface, const std::string& path,
             const std::function<void(cairo_t*)>& draw) {
  ContextPtr cr(cairo_create(surface), cairo_destroy);
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  draw(cr.get());
  check_status(cairo_status(cr.get()), path);
}

// Families tried in order for a string; fontconfig substitutes its default for one that is not
// installed, which then fails the glyph check like any other.
constexpr std::array<const char*, 6> kFontFamilies = {"DejaVu Sans",        "Noto Sans CJK SC",
                                                      "Source Han Sans SC", "WenQuanYi Micro Hei",
                                                      "WenQuanYi Zen Hei",  "Droid Sans Fallback"};

void select_font_family(cairo_t* cr, const char* family, Font font) {
  cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL,
                         font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, font.size);
}

bool has_all_glyphs(cairo_t* cr, std::string_view text) {
  cairo_glyph_t* glyphs = nullptr;
  int count = 0;
  cairo_status_t status = cairo_scaled_font_text_to_glyphs(
      cairo_get_scaled_font(cr), 0, 0, text.data(), static_cast<int>(text.size()), &glyphs, &count,
      nullptr, nullptr, nullptr);
  bool complete =
      status == CAIRO_STATUS_SUCCESS &&
      std::all_of(glyphs, glyphs + count, [](const cairo_glyph_t& g) { return g.index != 0; });
  cairo_glyph_free(glyphs);
  return complete;
}

void select_font(cairo_t* cr, std::string_view text, Font font) {
  bool ascii = std::all_of(text.begin(), text.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) {
    for (const char* family : kFontFamilies) {
      select_font_family(cr, family, font);
      if (has_all_glyphs(cr, text)) return;
    }
  }
  select_font_family(cr, kFontFamilies[0], font);
}

}  // namespace

void check_image_path(const std::string& path) {
  image_format(path);
}

void check_text(std::string_view text, std::string_view what) {
  utf8::decode(text, what);
}

void render_to_file(const std::string& path, int width, int height, std::string_view title,
                    std::string_view description, const std::function<void(cairo_t*)>& draw) {
  std::string bytes;
  if (image_format(path) == ImageFormat::svg) {
    SurfacePtr surface(cairo_svg_surface_create_for_stream(append_to_string, &bytes, width, height),
                       cairo_surface_destroy);
    cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
    draw_on(surface.get(), path, draw);
    cairo_surface_finish(surface.get());
    check_status(cairo_surface_status(surface.get()), path);
    add_svg_text(bytes, title, description);
  } else {
    SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height),
                       cairo_surface_destroy);
    draw_on(surface.get(), path, draw);
    cairo_surface_flush(surface.get());
    check_status(cairo_surface_write_to_png_stream(surface.get(), append_to_string, &bytes), path);
  }
  write_file_atomically(path, bytes);
}

double text_width(cairo_t* cr, std::string_view text, Font font) {
  std::string terminated(text);
  select_font(cr, terminated, font);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, terminated.c_str(), &extents);
  return extents.x_advance;
}

void draw_text(cairo_t* cr, std::string_view text, double x, double y, HAlign h, VAlign v,
               Font font, double angle) {
  double width = text_width(cr, text, font);
  cairo_font_extents_t extents;
  cairo_font_extents(cr, &extents);
  double dx = h == HAlign::left ? 0 : h == HAlign::center ? -width / 2 : -width;
  double dy = 0;
  switch (v) {
    case VAlign::top:
      dy = extents.ascent;
      break;
    case VAlign::middle:
      dy = (extents.ascent - extents.descent) / 2;
      break;
    case VAlign::baseline:
      break;
    case VAlign::bottom:
      dy = -extents.descent;
      break;
  }
  std::string terminated(text);
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  cairo_move_to(cr, dx, dy);
  cairo_show_text(cr, terminated.c_str());
  cairo_restore(cr);
}

Rgb series_colour(size_t i) {
  static constexpr std::array<Rgb, 10> kTab10 = {{{0x1f, 0x77, 0xb4},
                                                  {0xff, 0x7f, 0x0e},
                                                  {0x2c, 0xa0, 0x2c},
                                                  {0xd6, 0x27, 0x28},
                                                  {0x94, 0x67, 0xbd},
                                                  {0x8c, 0x56, 0x4b},
                                                  {0xe3, 0x77, 0xc2},
                                                  {0x7f, 0x7f, 0x7f},
                                                  {0xbc, 0xbd, 0x22},
                                                  {0x17, 0xbe, 0xcf}}};
  Rgb c = kTab10[i % kTab10.size()];
  return {c.r / 255, c.g / 255, c.b / 255};
}

Rgb viridis(double t) {
  // matplotlib's viridis sampled at nine evenly spaced points; linear in between.
  static constexpr std::array<Rgb, 9> kStops = {{{68, 1, 84},
                                                 {72, 40, 120},
                                                 {62, 73, 137},
                                                 {49, 104, 142},
                                                 {38, 130, 142},
                                                 {31, 158, 137},
                                                 {53, 183, 121},
                                                 {110, 206, 88},
                                                 {253, 231, 37}}};
  double position = std::clamp(t, 0.0, 1.0) * (kStops.size() - 1);
  size_t i = std::min(static_cast<size_t>(position), kStops.size() - 2);
  double f = position - i;
  const Rgb& a = kStops[i];
  const Rgb& b = kStops[i + 1];
  return {(a.r + f * (b.r - a.r)) / 255, (a.g + f * (b.g - a.g)) / 255,
          (a.b + f * (b.b - a.b)) / 255};
}

void set_colour(cairo_t* cr, Rgb colour) {
  cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
}

}  // namespace rnnkit::plot
