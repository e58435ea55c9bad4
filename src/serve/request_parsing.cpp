#include "serve/request_parsing.h"

#include <algorithm>
#include <limits>

#include "rnnkit/beam_search.h"
#include "serve/http_error.h"
#include "serve/json_fields.h"

namespace rnnkit::serve {
namespace {

constexpr int64_t kMaxTopK = std::numeric_limits<int32_t>::max();

SamplingOptions read_sampling(JsonFields& fields) {
  SamplingOptions options;
  options.temperature = fields.number("temperature").value_or(options.temperature);
  options.top_k = static_cast<int>(fields.integer("top_k", 0, kMaxTopK).value_or(options.top_k));
  options.top_p = fields.number("top_p").value_or(options.top_p);
  if (const auto seed = fields.unsigned_integer("seed")) {
    options.seed = *seed;
  } else if (options.temperature > 0) {
    options.seed = random_seed();
  }
  if (const auto fault = sampling_fault(options))
    throw HttpError(400, "field \"" + fault->option + "\" " + fault->message, fault->option);
  return options;
}

}  // namespace

GenerateCall parse_generate(std::string_view body, const ServeLimits& limits) {
  JsonFields fields(body);
  GenerateCall call;
  call.request.prompt = fields.string("prompt", limits.max_prompt).value_or("");
  if (call.request.prompt.empty())
    throw HttpError(400, "field \"prompt\" is required: the text to continue", "prompt");
  const int64_t n = fields.integer("n", -1, limits.max_tokens).value_or(call.request.max_tokens);
  call.request.max_tokens = n < 0 ? limits.max_tokens : n;
  // Absent: sampling (in the decode loop when there is one); a width: beam search on a worker.
  call.request.beam_width = static_cast<int>(fields.integer("beam", 1, kMaxBeamWidth).value_or(0));
  if (call.request.beam_width > 0) {
    for (const char* field : {"temperature", "top_k", "top_p", "seed"})
      if (fields.value(field))
        throw HttpError(400,
                        "field \"" + std::string(field) +
                            "\" is sampling's: beam search draws nothing, so it would do "
                            "nothing beside \"beam\"",
                        field);
  } else {
    call.request.sampling = read_sampling(fields);
  }
  call.stream = fields.boolean("stream").value_or(false);
  fields.finish();
  return call;
}

PoemCall parse_poem(std::string_view body, const ServeLimits& limits) {
  JsonFields fields(body);
  PoemCall call;
  PoemRequest& request = call.request;
  request.start = fields.string("start", limits.max_prompt).value_or("");
  request.acrostic = fields.string("acrostic", limits.max_prompt).value_or("");
  request.style = fields.string("style", std::min<int64_t>(limits.max_prompt, kMaxPoemStyleLength))
                      .value_or("");
  // 0 leaves the choice to write_poem, as an absent --form or --lines does.
  // One message for 6, 5.0 and "5": an integer in 5..7 would suggest that 6 is one.
  try {
    request.form = static_cast<int>(fields.integer("form", 5, 7).value_or(request.form));
  } catch (const HttpError&) {
    request.form = 6;
  }
  if (request.form == 6) throw HttpError(400, "field \"form\" must be 5 or 7", "form");
  request.lines =
      static_cast<int>(fields.integer("lines", 1, kMaxPoemLines).value_or(request.lines));
  request.rhyme = fields.boolean("rhyme").value_or(false);
  request.tones = fields.boolean("tones").value_or(false);
  request.sampling = read_sampling(fields);
  call.count = static_cast<int>(fields.integer("count", 1, limits.max_count).value_or(call.count));
  call.stream = fields.boolean("stream").value_or(false);
  fields.finish();
  return call;
}

std::string parse_perplexity(std::string_view body, const ServeLimits& limits) {
  JsonFields fields(body);
  const auto text = fields.string("text", static_cast<int64_t>(limits.max_body));
  fields.finish();
  if (!text) throw HttpError(400, "field \"text\" is required", "text");
  return *text;
}

}  // namespace rnnkit::serve
