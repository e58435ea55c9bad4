#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

namespace httplib {
struct Response;
}

namespace rnnkit {
class Error;
}

namespace rnnkit::serve {

// A request the server refuses, with its HTTP status and, when one field is at fault, its name.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message, std::string field = "")
      : std::runtime_error(message), status_(status), field_(std::move(field)) {}
  int status() const { return status_; }
  const std::string& field() const { return field_; }

 private:
  int status_;
  std::string field_;
};

// The library reports every refused input as an Error; characters or words outside the model's
// vocabulary are 422 (the request is well formed, the model cannot take it), the rest 400.
HttpError http_error(const Error& error);

// What a request answered whole (not streamed) gets when it is cut short, never a 200 holding a
// cut answer (a stream ends with an error event instead): 503 when the server's stop cut it,
// else 400, its client having closed its side of the connection (which a client that is gone
// does; one that only half-closed still reads this).
HttpError cut_short(bool stopping);

// What a request that the server's stop left unanswered gets, whether it was waiting or running.
HttpError shutting_down();

// Sets `response` to the JSON error body {"error": message[, "field": name]}.
void set_error(httplib::Response& response, const HttpError& error);
void set_error(httplib::Response& response, int status, std::string_view message);

}  // namespace rnnkit::serve
