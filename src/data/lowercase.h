#pragma once
#include <string>
#include <string_view>

namespace rnnkit {

// Python's str.lower() of valid UTF-8 text: Unicode's full lowercase mapping, without a locale's
// rules (ICU's root locale): every cased script, İ as i + U+0307, Σ as ς at the end of a word.
// The d2l pipelines build their vocabularies from text.lower(), so a model's tokens are these.
std::string lowercase(std::string_view text);

}  // namespace rnnkit
