#pragma once
#include <atomic>
#include <functional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace httplib {
class DataSink;
struct Request;
struct Response;
}  // namespace httplib

namespace rnnkit::serve {

// Server-sent events (text/event-stream) written to a chunked HTTP response.
class EventWriter {
 public:
  EventWriter(httplib::DataSink& sink, const std::atomic<bool>& stopping)
      : sink_(sink), stopping_(stopping) {}

  // Writes one event (`event: name` when a name is given) whose data is `data` as one line of
  // JSON. False once the client is gone or the server is stopping: the generation feeding the
  // stream should then stop and free its worker. The first send after the server began stopping
  // writes a final "error" event instead.
  bool send(const nlohmann::json& data, std::string_view event = {});

 private:
  bool write(const nlohmann::json& data, std::string_view event);

  httplib::DataSink& sink_;
  const std::atomic<bool>& stopping_;
  bool open_ = true;
};

// Makes `response` an event stream filled by `produce`, which runs once, after the headers are
// sent, on the connection's thread; whatever it captures (a model lease) is released when the
// stream ends. An exception from `produce` becomes a final "error" event.
// The events are chunked, but in answer to an HTTP/1.0 request (no chunked coding), which the
// connection's close ends.
void respond_with_events(const httplib::Request& request, httplib::Response& response,
                         const std::atomic<bool>& stopping,
                         std::function<void(EventWriter&)> produce);

}  // namespace rnnkit::serve
