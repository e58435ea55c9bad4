# Turns a file into a C++ source defining `std::string_view NAMESPACE::FUNCTION()` (declared in
# HEADER), so the file is part of the binary: the server's web page, the poem rhyme table. Run as:
# cmake -DINPUT=index.html -DOUTPUT=web_page.cpp -DHEADER=serve/web_page.h
#       -DNAMESPACE=rnnkit::serve -DFUNCTION=index_html -P embed_page.cmake
file(READ "${INPUT}" bytes HEX)
# A byte array rather than a raw string literal: no delimiter can clash with the file's text.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${bytes}")
string(REGEX REPLACE "(([^,]*,){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by web/embed_page.cmake; do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {
namespace {

constexpr char kBytes[] = {
    ${bytes}
};

}  // namespace

std::string_view ${FUNCTION}() { return {kBytes, sizeof kBytes}; }

}  // namespace ${NAMESPACE}
")
