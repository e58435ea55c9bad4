#include "serve/routes.h"

#include <httplib.h>

#include "serve/http_error.h"
#include "serve/web_page.h"

namespace rnnkit::serve {
namespace {

void handle_page(ServeContext&, const httplib::Request&, httplib::Response& response) {
  response.set_content(index_html().data(), index_html().size(), "text/html; charset=utf-8");
}

constexpr Route kRoutes[] = {
    {"GET", "/", handle_page},
    {"GET", "/health", handle_health},
    {"GET", "/v1/model", handle_model},
    {"POST", "/v1/generate", handle_generate},
    {"POST", "/v1/poem", handle_poem},
    {"POST", "/v1/perplexity", handle_perplexity},
    {"POST", "/v1/forecast", handle_forecast},
};

}  // namespace

std::span<const Route> routes() {
  return kRoutes;
}

std::string allowed_methods(std::string_view path) {
  std::string allowed;
  for (const Route& route : kRoutes)
    if ((path == "*" || route.path == path) && allowed.find(route.method) == std::string::npos)
      // httplib answers HEAD wherever it answers GET.
      allowed += std::string(allowed.empty() ? "" : ", ") + std::string(route.method) +
                 (route.method == "GET" ? ", HEAD" : "");
  return allowed.empty() ? allowed : allowed + ", OPTIONS";
}

void handle_options(const httplib::Request& request, httplib::Response& response) {
  const std::string allowed = allowed_methods(request.path);
  if (allowed.empty()) {
    set_error(response, 404, "no endpoint " + request.path);
    return;
  }
  response.status = 204;
  response.set_header("Allow", allowed);
}

}  // namespace rnnkit::serve
