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
    {Method::Get, "/", handle_page},
    {Method::Get, "/health", handle_health},
    {Method::Get, "/v1/model", handle_model},
    {Method::Post, "/v1/generate", handle_generate},
    {Method::Post, "/v1/poem", handle_poem},
    {Method::Post, "/v1/perplexity", handle_perplexity},
    {Method::Post, "/v1/forecast", handle_forecast},
};

}  // namespace

std::span<const Route> routes() {
  return kRoutes;
}

std::string allowed_methods(std::string_view path) {
  bool get = false, post = false;
  for (const Route& route : kRoutes)
    if (path == "*" || route.path == path) (route.method == Method::Get ? get : post) = true;
  if (!get && !post) return "";
  // httplib answers HEAD wherever it answers GET.
  return std::string(get ? "GET, HEAD, " : "") + (post ? "POST, " : "") + "OPTIONS";
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
