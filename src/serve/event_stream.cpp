#include "serve/event_stream.h"

#include <httplib.h>

#include <memory>
#include <string>

#include "serve/bounded_server.h"

namespace rnnkit::serve {

bool EventWriter::send(const nlohmann::json& data, std::string_view event) {
  if (!open_ || !sink_.is_writable()) return open_ = false;
  // A stream the server's stop cuts short says so, so that a client can tell it from a finished one
  // or a broken connection.
  if (stopping_.load()) {
    write({{"error", "the server is stopping; this stream ends here"}}, "error");
    return open_ = false;
  }
  return write(data, event);
}

bool EventWriter::write(const nlohmann::json& data, std::string_view event) {
  std::string message;
  if (!event.empty()) message.append("event: ").append(event).append("\n");
  // dump() escapes newlines, so the data is always one line; invalid UTF-8 cannot arise because
  // every piece is whole characters.
  message.append("data: ").append(data.dump()).append("\n\n");
  open_ = sink_.write(message.data(), message.size());
  return open_;
}

void respond_with_events(const httplib::Request& request, httplib::Response& response,
                         const std::atomic<bool>& stopping,
                         std::function<void(EventWriter&)> produce) {
  response.set_header("Cache-Control", "no-cache");
  // httplib copies the provider, so the single run is shared.
  auto run = std::make_shared<std::function<void(EventWriter&)>>(std::move(produce));
  const auto provider = [run, &stopping](size_t, httplib::DataSink& sink) {
    EventWriter events(sink, stopping);
    try {
      (*run)(events);
    } catch (const std::exception& e) {
      events.send({{"error", e.what()}}, "error");
    }
    *run = nullptr;  // releases what produce holds before the connection lingers in keep-alive
    sink.done();
    return true;
  };
  const char* type = "text/event-stream; charset=utf-8";
  if (request.version != "HTTP/1.0") {
    response.set_chunked_content_provider(type, provider);
    return;
  }
  // HTTP/1.0 has no chunked coding: the stream's end is the connection's.
  if (ConnectionStream* connection = BoundedServer::current_connection())
    connection->close_after_response();
  response.set_content_provider(type, provider);
}

}  // namespace rnnkit::serve
