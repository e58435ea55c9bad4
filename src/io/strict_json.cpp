#include "io/strict_json.h"

#include <set>
#include <vector>

#include "rnnkit/error.h"

namespace rnnkit {

namespace {

using json = nlohmann::json;

class StrictCheck {
 public:
  StrictCheck(const std::string& what, size_t max_nesting, const char* top_level_key)
      : what_(what), max_nesting_(max_nesting), top_level_key_(top_level_key) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        enter();
        keys_.emplace_back();
        break;
      case json::parse_event_t::array_start:
        enter();
        break;
      case json::parse_event_t::object_end:
        keys_.pop_back();
        --nesting_;
        break;
      case json::parse_event_t::array_end:
        --nesting_;
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!keys_.back().insert(key).second)
          throw Error(what_ + ": duplicate " + (nesting_ == 1 ? top_level_key_ : "key") + " '" +
                      key + "'");
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  }

 private:
  void enter() {
    if (++nesting_ > max_nesting_)
      throw Error(what_ + " nests deeper than " + std::to_string(max_nesting_) + " levels");
  }

  const std::string& what_;
  size_t max_nesting_;
  const char* top_level_key_;
  size_t nesting_ = 0;
  std::vector<std::set<std::string>> keys_;
};

}  // namespace

std::string json_error_reason(const json::exception& e) {
  std::string_view raw = e.what();
  if (raw.starts_with("[json.exception.")) {
    if (size_t bracket = raw.find("] "); bracket != std::string_view::npos)
      raw.remove_prefix(bracket + 2);
  }
  std::string reason;
  for (unsigned char c : raw) {
    if (c < 0x80) {
      reason += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      reason += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return reason;
}

json parse_strict_json(std::string_view text, const std::string& what, size_t max_nesting,
                       const char* top_level_key) {
  StrictCheck check(what, max_nesting, top_level_key);
  try {
    // A syntax error is a parse_error, a number like 1e400 an out_of_range error.
    return json::parse(text.begin(), text.end(), std::ref(check));
  } catch (const json::exception& e) {
    throw Error(what + " is not valid JSON: " + json_error_reason(e));
  }
}

}  // namespace rnnkit
