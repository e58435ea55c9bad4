#pragma once
#include <CLI/CLI.hpp>
#include <type_traits>
#include <variant>

#include "rnnkit/option_table.h"

namespace rnnkit::cli {

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
          if constexpr (std::is_same_v<std::decay_t<decltype(value)>, bool>) {
            return app.add_flag(name, value, s.help);
          } else {
            return app.add_option(name, value, s.help)->capture_default_str();
          }
        },
        s.field);
    if (!s.group.empty()) option->group(s.group);
  }
}

}  // namespace rnnkit::cli
