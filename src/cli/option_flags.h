#pragma once
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <type_traits>
#include <variant>

#include "rnnkit/option_table.h"

namespace rnnkit::cli {

// A 64-bit unsigned option (a seed) in decimal digits that fit: CLI11 reads "-1" as 2^64 - 1 and
// clamps a value beyond the range to it, so each would quietly be the same seed.
inline const CLI::Validator kDecimalUint64(
    [](std::string& input) -> std::string {
      if (input.empty() ||
          !std::all_of(input.begin(), input.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return "must be a non-negative integer in decimal digits, got " + input;
      errno = 0;
      std::strtoull(input.c_str(), nullptr, 10);
      if (errno == ERANGE) return "must be at most 18446744073709551615, got " + input;
      return {};
    },
    "");  // the help shows the option's type already (a description here read "UINT:UINT")

// A 64-bit signed option beyond its range, which CLI11 clamps to the nearest end (--steps
// 99999999999999999999 trained as 2^63 - 1 steps); any other text is CLI11's to judge.
inline const CLI::Validator kInt64InRange(
    [](std::string& input) -> std::string {
      errno = 0;
      std::strtoll(input.c_str(), nullptr, 10);
      if (errno == ERANGE)
        return "must be in [-9223372036854775808, 9223372036854775807], got " + input;
      return {};
    },
    "");

// Declares every option of `table` on `app`, bound to `options`; the library validates them
// (validate_options) when the command runs, so the command line, the Python package and stored
// runs share one set of rules.
template <class Options>
void add_option_table(CLI::App& app, Options& options, const OptionTable<Options>& table) {
  for (const OptionSpec<Options>& s : table) {
    const std::string name = s.short_flag.empty() ? s.flag : s.short_flag + "," + s.flag;
    CLI::Option* option = std::visit(
        [&](auto member) -> CLI::Option* {
          auto& value = options.*member;
          using Value = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<Value, bool>) {
            // CLI11's own "!" form of a flag that sets false would show as --padded{false} in
            // the help.
            if (s.flag_sets_false)
              return app.add_flag_callback(
                  name, [&value] { value = false; }, s.help);
            return app.add_flag(name, value, s.help);
          } else if constexpr (std::is_same_v<Value, uint64_t>) {
            return app.add_option(name, value, s.help)
                ->capture_default_str()
                ->check(kDecimalUint64);
          } else if constexpr (std::is_same_v<Value, int64_t>) {
            return app.add_option(name, value, s.help)->capture_default_str()->check(kInt64InRange);
          } else {
            return app.add_option(name, value, s.help)->capture_default_str();
          }
        },
        s.field);
    if (!s.group.empty()) option->group(s.group);
  }
}

// The JSON keys of the table's options that this command line gives.
template <class Options>
std::set<std::string> given_options(const CLI::App& app, const OptionTable<Options>& table) {
  std::set<std::string> keys;
  for (const OptionSpec<Options>& s : table)
    if (app.count(s.flag)) keys.insert(s.key);
  return keys;
}

}  // namespace rnnkit::cli
