#pragma once
#include <string>
#include <string_view>

#include "rnnkit/poem_writer.h"
#include "rnnkit/text_generator.h"
#include "serve/serve_options.h"

namespace rnnkit::serve {

// The JSON bodies of the POST endpoints turned into library requests. Absent fields take the
// library's defaults (SamplingOptions, GenerateRequest, PoemRequest), the same as the command
// line's; an absent seed is drawn at random when sampling is random and reported back. Throws
// HttpError 400 naming the field at fault.

struct GenerateCall {
  GenerateRequest request;
  bool stream = false;
};
GenerateCall parse_generate(std::string_view body, const ServeLimits& limits);

struct PoemCall {
  PoemRequest request;
  int count = 1;  // poem k is drawn with seed + k, as `rnnkit poem --count`
  bool stream = false;
};
PoemCall parse_poem(std::string_view body, const ServeLimits& limits);

// The text whose perplexity is asked for; its length is bounded by the body size alone.
std::string parse_perplexity(std::string_view body, const ServeLimits& limits);

}  // namespace rnnkit::serve
