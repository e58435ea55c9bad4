#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace rnnkit {

// What a value must satisfy. Numbers are always finite; strings, when `choices` is not empty, are
// one of them.
struct OptionCheck {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false, max_exclusive = false;
  std::vector<std::string> choices;
};

inline OptionCheck between(double min, double max) {
  OptionCheck c;
  c.min = min;
  c.max = max;
  return c;
}
inline OptionCheck at_least(double min) {
  return between(min, std::numeric_limits<double>::infinity());
}
// [min, max): a fraction that may be 0 but not 1 (dropout).
inline OptionCheck from_below(double min, double max) {
  OptionCheck c = between(min, max);
  c.max_exclusive = true;
  return c;
}
// (min, max]: a share that must hold something (a held-out part).
inline OptionCheck above_up_to(double min, double max) {
  OptionCheck c = between(min, max);
  c.min_exclusive = true;
  return c;
}
inline OptionCheck above(double min) {
  OptionCheck c = at_least(min);
  c.min_exclusive = true;
  return c;
}
inline OptionCheck one_of(std::vector<std::string> choices) {
  OptionCheck c;
  c.choices = std::move(choices);
  return c;
}

// One option as data: the flag it has on the command line, the key it has in JSON (state.bin,
// the Python package's keyword arguments), the member of an options struct it sets, its help and
// its check. Its default is the member's value in a default-constructed struct, so a model family
// that needs another default sets it in its own struct's initialiser, beside the shared option.
template <class Options>
struct OptionSpec {
  using Field = std::variant<bool Options::*, int Options::*, int64_t Options::*,
                             uint64_t Options::*, double Options::*, std::string Options::*>;
  std::string flag;  // "--lr"
  std::string key;   // "lr"
  Field field;
  std::string help;
  OptionCheck check = {};
  std::string group = "";
  std::string short_flag = "";   // "-t"
  bool flag_sets_false = false;  // a flag that turns its option off: --padded sets packed false
};

template <class Options>
using OptionTable = std::vector<OptionSpec<Options>>;

namespace detail {
template <class Member, class Derived>
struct AsMemberOf;
template <class T, class Base, class Derived>
struct AsMemberOf<T Base::*, Derived> {
  using type = T Derived::*;
};
}  // namespace detail

// The specs of a group struct, as specs of a struct that derives from it.
template <class Derived, class Base>
OptionTable<Derived> inherit_options(const OptionTable<Base>& base, const std::string& group) {
  OptionTable<Derived> out;
  for (const OptionSpec<Base>& s : base) {
    typename OptionSpec<Derived>::Field field = std::visit(
        [](auto member) -> typename OptionSpec<Derived>::Field {
          using Member = decltype(member);
          return static_cast<typename detail::AsMemberOf<Member, Derived>::type>(member);
        },
        s.field);
    out.push_back({s.flag, s.key, field, s.help, s.check, s.group.empty() ? group : s.group,
                   s.short_flag, s.flag_sets_false});
  }
  return out;
}

// A message naming the flag and the value when `value` fails its check, else empty.
std::string option_error(const std::string& flag, const OptionCheck& check, double value);
std::string option_error(const std::string& flag, const OptionCheck& check,
                         const std::string& value);

// A message naming the flag when `value` is not UTF-8 text, else empty.
std::string not_utf8_error(const std::string& flag, const std::string& value);

[[noreturn]] void throw_option_error(const std::string& message);

// Throws Error naming the first option whose value fails its check.
template <class Options>
void validate_options(const Options& o, const OptionTable<Options>& table) {
  for (const OptionSpec<Options>& s : table) {
    std::string message = std::visit(
        [&](auto member) {
          const auto& value = o.*member;
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, bool>) {
            return std::string();
          } else if constexpr (std::is_same_v<T, std::string>) {
            return option_error(s.flag, s.check, value);
          } else {
            return option_error(s.flag, s.check, static_cast<double>(value));
          }
        },
        s.field);
    if (!message.empty()) throw_option_error(message);
  }
}

// Throws Error naming the first string option that is not UTF-8 text (a Latin-1 file name):
// options a training run stores (state.bin's JSON, which holds only UTF-8) are checked so before
// the run, not refused by the JSON library at its first checkpoint.
template <class Options>
void require_utf8_strings(const Options& o, const OptionTable<Options>& table) {
  for (const OptionSpec<Options>& s : table)
    std::visit(
        [&](auto member) {
          if constexpr (std::is_same_v<std::decay_t<decltype(o.*member)>, std::string>)
            if (std::string message = not_utf8_error(s.flag, o.*member); !message.empty())
              throw_option_error(message);
        },
        s.field);
}

// Every option as {key: value}.
template <class Options>
nlohmann::json options_to_json(const Options& o, const OptionTable<Options>& table) {
  nlohmann::json j = nlohmann::json::object();
  for (const OptionSpec<Options>& s : table)
    std::visit([&](auto member) { j[s.key] = o.*member; }, s.field);
  return j;
}

// Sets the options named in `j` (keys absent from `j` keep their value). An unknown key or a
// value of the wrong type is an Error naming it, prefixed by `where`.
template <class Options>
void options_from_json(Options& o, const OptionTable<Options>& table, const nlohmann::json& j,
                       const std::string& where) {
  if (!j.is_object()) throw_option_error(where + ": the options are not a JSON object");
  for (const auto& item : j.items()) {
    // Named, not structured bindings: lambdas capture those from C++20 on, clang only from 16.
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    auto spec = std::find_if(table.begin(), table.end(),
                             [&](const OptionSpec<Options>& s) { return s.key == key; });
    if (spec == table.end()) throw_option_error(where + ": unknown option \"" + key + "\"");
    std::visit(
        [&](auto member) {
          using T = std::decay_t<decltype(o.*member)>;
          const bool fits = std::is_same_v<T, bool>          ? value.is_boolean()
                            : std::is_same_v<T, std::string> ? value.is_string()
                            : std::is_floating_point_v<T>    ? value.is_number()
                                                             : value.is_number_integer();
          if (!fits)
            throw_option_error(where + ": option \"" + key + "\" takes " +
                               (std::is_same_v<T, bool>          ? "true or false"
                                : std::is_same_v<T, std::string> ? "a string"
                                : std::is_floating_point_v<T>    ? "a number"
                                                                 : "an integer") +
                               ", not " + value.dump());
          if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
            if (value.is_number_integer() && !value.is_number_unsigned())
              throw_option_error(where + ": option \"" + key + "\" must not be negative");
          }
          if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            // get<T>() would wrap an integer T cannot hold (2^32 + 1 threads: 1).
            const bool held = value.is_number_unsigned()
                                  ? std::in_range<T>(value.template get<uint64_t>())
                                  : std::in_range<T>(value.template get<int64_t>());
            if (!held)
              throw_option_error(where + ": option \"" + key +
                                 "\" is out of range: " + value.dump());
          }
          o.*member = value.template get<T>();
        },
        spec->field);
  }
}

}  // namespace rnnkit
