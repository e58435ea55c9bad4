#include "data/lowercase.h"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/stringpiece.h>

#include "rnnkit/error.h"

namespace rnnkit {

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode status = U_ZERO_ERROR;
  icu::CaseMap::utf8ToLower("", 0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                            sink, nullptr, status);
  if (U_FAILURE(status))
    throw Error(std::string("cannot lower-case the text: ") + u_errorName(status));
  return out;
}

}  // namespace rnnkit
