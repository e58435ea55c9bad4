#include "serve/http_error.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "rnnkit/error.h"

namespace rnnkit::serve {

HttpError http_error(const Error& error) {
  const bool outside_vocabulary = dynamic_cast<const OutOfVocabularyError*>(&error) != nullptr;
  return HttpError(outside_vocabulary ? 422 : 400, error.what());
}

void set_error(httplib::Response& response, const HttpError& error) {
  nlohmann::json body = {{"error", error.what()}};
  if (!error.field().empty()) body["field"] = error.field();
  response.status = error.status();
  response.set_content(body.dump() + "\n", "application/json");
}

void set_error(httplib::Response& response, int status, std::string_view message) {
  set_error(response, HttpError(status, std::string(message)));
}

HttpError shutting_down() {
  return HttpError(503, "the server is shutting down; this request was not finished");
}

HttpError cut_short(bool stopping) {
  if (stopping) return shutting_down();
  return HttpError(400,
                   "the client closed its side of the connection before the answer was ready, "
                   "so the request was cancelled (keep the connection open until the answer)");
}

}  // namespace rnnkit::serve
