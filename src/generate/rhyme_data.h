#pragma once
#include <string_view>

namespace rnnkit {

// models/tang_rhymes.tsv, embedded into the binary at build time (web/embed_page.cmake), so an
// installed `rnnkit poem` finds it from any directory.
std::string_view shipped_rhyme_data();

}  // namespace rnnkit
