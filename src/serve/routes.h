#pragma once
#include <span>
#include <string>
#include <string_view>

#include "serve/endpoints.h"

namespace rnnkit::serve {

using Handler = void (*)(ServeContext&, const httplib::Request&, httplib::Response&);

enum class Method { Get, Post };

struct Route {
  Method method;
  std::string_view path;
  Handler handler;
};

// Every endpoint of the server, declared once: the server registers them, and 405 and OPTIONS
// answers read their methods from them.
std::span<const Route> routes();

// The methods `path` takes ("*": every method the server takes) as an Allow header lists them,
// OPTIONS included; "" where no endpoint has that path.
std::string allowed_methods(std::string_view path);

// OPTIONS: 204 with the path's methods in Allow, 404 for no endpoint. No CORS headers: the web
// page is served from the API's own origin.
void handle_options(const httplib::Request& request, httplib::Response& response);

}  // namespace rnnkit::serve
