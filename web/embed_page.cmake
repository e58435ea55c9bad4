# Turns web/index.html into a C++ source defining rnnkit::serve::index_html(), so the page is part
# of the binary. Run as: cmake -DINPUT=index.html -DOUTPUT=web_page.cpp -P embed_page.cmake
file(READ "${INPUT}" bytes HEX)
# A byte array rather than a raw string literal: no delimiter can clash with the page's text.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${bytes}")
string(REGEX REPLACE "(([^,]*,){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by web/embed_page.cmake; do not edit.
#include \"serve/web_page.h\"

namespace rnnkit::serve {
namespace {

constexpr char kIndexHtml[] = {
    ${bytes}
};

}  // namespace

std::string_view index_html() { return {kIndexHtml, sizeof kIndexHtml}; }

}  // namespace rnnkit::serve
")
