#pragma once
#include <string_view>

namespace rnnkit::serve {

// web/index.html, embedded into the binary at build time (web/embed_page.cmake), so an installed
// server needs no files beside it.
std::string_view index_html();

}  // namespace rnnkit::serve
