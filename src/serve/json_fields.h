#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rnnkit::serve {

// The fields of one JSON request body, read one by one with their types and ranges checked.
// Every failure is an HttpError 400 naming the field; finish() refuses the fields nobody read,
// so a misspelt option is an error rather than silently ignored.
class JsonFields {
 public:
  explicit JsonFields(std::string_view body);  // the body must be one JSON object

  std::optional<std::string> string(const std::string& name, int64_t max_characters);
  std::optional<int64_t> integer(const std::string& name, int64_t min, int64_t max);
  std::optional<uint64_t> unsigned_integer(const std::string& name);
  std::optional<float> number(const std::string& name);
  std::optional<bool> boolean(const std::string& name);
  // Any JSON value, for fields whose shape the caller checks itself (null: not given).
  const nlohmann::json* value(const std::string& name) { return find(name); }

  void finish() const;

 private:
  const nlohmann::json* find(const std::string& name);

  nlohmann::json object_;
  std::set<std::string> read_;
};

}  // namespace rnnkit::serve
