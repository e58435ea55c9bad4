#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace rnnkit {

// Parses JSON that a file claims to hold: Error, naming `what` ("x.safetensors: header"), where
// the text is not JSON (with nlohmann's line and column), where an object repeats a key (which
// nlohmann::json would resolve to the last value without a word) or where it nests deeper than
// `max_nesting`. A repeated key at the top level is called a `top_level_key` ("tensor name").
nlohmann::json parse_strict_json(std::string_view text, const std::string& what,
                                 size_t max_nesting = 16, const char* top_level_key = "key");

// nlohmann's message without its "[json.exception.parse_error.101] " prefix, bytes outside
// ASCII escaped (it quotes the offending input raw, which may not be UTF-8).
std::string json_error_reason(const nlohmann::json::exception& e);

}  // namespace rnnkit
