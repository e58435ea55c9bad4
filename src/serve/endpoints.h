#pragma once
#include <functional>
#include <string>

#include "rnnkit/text_generator.h"
#include "serve/serve_context.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace rnnkit::serve {

// One handler per endpoint (docs/API.md). They throw HttpError, or rnnkit::Error for what the
// library refuses; the server turns both into JSON error responses.

void handle_health(ServeContext& context, const httplib::Request& request,
                   httplib::Response& response);
void handle_model(ServeContext& context, const httplib::Request& request,
                  httplib::Response& response);
void handle_generate(ServeContext& context, const httplib::Request& request,
                     httplib::Response& response);
void handle_poem(ServeContext& context, const httplib::Request& request,
                 httplib::Response& response);
void handle_perplexity(ServeContext& context, const httplib::Request& request,
                       httplib::Response& response);
void handle_forecast(ServeContext& context, const httplib::Request& request,
                     httplib::Response& response);

// The body of GET /v1/model, computed once at startup.
nlohmann::json describe_model(LanguageModel& model, const Vocab& vocab, const std::string& path,
                              const ServeOptions& options);

// The "forecaster" part of GET /v1/model: what --forecast-model loaded (file name, config with
// context, horizon, level and quantiles, parameter count, target and covariate columns, and the
// quantile keys of a forecast's answer).
nlohmann::json describe_forecaster(ServedForecaster& forecaster, const std::string& path);

// Runs `generate` with a listener that stops at the first piece: every check the library makes
// on a request runs before any text is produced, so an invalid request is refused with a proper
// status before an event stream has committed the response to 200.
void check_by_first_piece(const std::function<void(const PieceCallback&)>& generate);

}  // namespace rnnkit::serve
