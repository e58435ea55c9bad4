#include "serve/json_fields.h"

#include <cmath>
#include <limits>
#include <vector>

#include "data/quoted.h"
#include "rnnkit/utf8.h"
#include "serve/http_error.h"

namespace rnnkit::serve {
namespace {

HttpError field_error(const std::string& name, const std::string& problem) {
  return HttpError(400, "field " + quote(name) + " " + problem, name);
}

}  // namespace

JsonFields::JsonFields(std::string_view body) {
  // The keys of each object being parsed, innermost last: a repeated key is refused rather than
  // letting the last one silently win (parsers differ on which one counts).
  std::vector<std::set<std::string>> open_objects;
  const nlohmann::json::parser_callback_t refuse_repeated_keys =
      [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) open_objects.emplace_back();
        if (event == Event::object_end) open_objects.pop_back();
        if (event == Event::key && !open_objects.back().insert(parsed.get<std::string>()).second)
          throw field_error(parsed.get<std::string>(), "appears more than once");
        return true;
      };
  try {
    object_ = nlohmann::json::parse(body, refuse_repeated_keys);
  } catch (const nlohmann::json::out_of_range&) {
    // 1e400: valid JSON, but no double holds it.
    throw HttpError(400, "the request body holds a number beyond the range of a double");
  } catch (const nlohmann::json::parse_error&) {
    throw HttpError(400, "the request body is not valid JSON");
  }
  if (!object_.is_object()) throw HttpError(400, "the request body must be a JSON object");
}

const nlohmann::json* JsonFields::find(const std::string& name) {
  read_.insert(name);
  const auto found = object_.find(name);
  // null stands for "not given", as JavaScript clients write undefined options.
  return found == object_.end() || found->is_null() ? nullptr : &*found;
}

std::optional<std::string> JsonFields::string(const std::string& name, int64_t max_characters) {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  if (!value->is_string()) throw field_error(name, "must be a string");
  std::string text = value->get<std::string>();
  // The JSON parser has checked the UTF-8 already.
  const auto characters = static_cast<int64_t>(utf8::decode(text, name).size());
  if (characters > max_characters)
    throw field_error(name, "has " + std::to_string(characters) + " characters; at most " +
                                std::to_string(max_characters) + " are accepted");
  return text;
}

std::optional<int64_t> JsonFields::integer(const std::string& name, int64_t min, int64_t max) {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (!value->is_number_integer()) throw field_error(name, "must be an integer in " + range);
  // Integers above INT64_MAX parse as unsigned; they are out of range like any other.
  if (value->is_number_unsigned() &&
      value->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw field_error(name, "must be in " + range);
  const auto number = value->get<int64_t>();
  if (number < min || number > max)
    throw field_error(name, "must be in " + range + ", got " + std::to_string(number));
  return number;
}

std::optional<uint64_t> JsonFields::unsigned_integer(const std::string& name) {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  if (!value->is_number_unsigned())
    throw field_error(name, "must be an integer in 0..18446744073709551615");
  return value->get<uint64_t>();
}

std::optional<float> JsonFields::number(const std::string& name) {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  if (!value->is_number()) throw field_error(name, "must be a number");
  const auto number = value->get<double>();
  // Converting a double beyond the float range is undefined behaviour, not infinity.
  if (!(std::fabs(number) <= std::numeric_limits<float>::max()))
    throw field_error(name, "must be a finite number within float32's range (|x| <= 3.4e38)");
  return static_cast<float>(number);
}

std::optional<bool> JsonFields::boolean(const std::string& name) {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) throw field_error(name, "must be true or false");
  return value->get<bool>();
}

void JsonFields::finish() const {
  for (const auto& [name, value] : object_.items()) {
    if (!read_.contains(name)) throw HttpError(400, "unknown field " + quote(name), name);
  }
}

}  // namespace rnnkit::serve
