#include "rnnkit/vocab.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "data/lowercase.h"
#include "data/quoted.h"
#include "io/strict_json.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

constexpr size_t kMaxUnknownsShown = 20;

// The code points Python's str.split() splits on.
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool is_ascii_letter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

std::string lowered(std::string_view text, const Normalization& normalization) {
  if (normalization.lowercase_by_table) return lowercase_by_table(text);
  if (const size_t bad = utf8::find_invalid(text); bad != std::string::npos)
    throw Error("text: invalid UTF-8 at byte offset " + std::to_string(bad));
  return lowercase(text);
}

// One line's normalization; a '\n' or '\r' inside `line` is just another non-letter.
std::string normalize_line(std::string_view line, const Normalization& normalization) {
  if (!normalization.letters_only)
    return normalization.lowercase ? lowered(line, normalization) : std::string(line);
  // d2l's order, re.sub('[^A-Za-z]+', ' ', line).strip().lower(): the letters first, so that no
  // other character lowers into one (İ into i + U+0307, the Kelvin sign into k). Bytes of a
  // multi-byte sequence are all >= 0x80, so a byte-wise scan sees exactly the non-letter runs
  // that the regex sees on code points.
  std::string out;
  bool pending_space = false;
  for (char c : line) {
    if (!is_ascii_letter(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(normalization.lowercase && c <= 'Z' ? static_cast<char>(c + 32) : c);
  }
  return out;
}

// Whether str.lower() changes `token` (an ASCII one: when it holds a capital).
bool changed_by_lowercase(const std::string& token) {
  const bool ascii = std::all_of(token.begin(), token.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii)
    return std::any_of(token.begin(), token.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return lowercase(token) != token;
}

// Why text could never be split into `token`, or empty when it can: a char level splits text
// into single code points, a word level at white space.
std::string unreadable_because(const std::string& token, TokenLevel level) {
  const std::u32string code_points = utf8::decode(token, "token");
  if (level == TokenLevel::Char && code_points.size() > 1)
    return "it has " + std::to_string(code_points.size()) +
           " code points, and a char-level vocabulary splits text into single code points";
  if (level == TokenLevel::Word && std::any_of(code_points.begin(), code_points.end(), is_space))
    return "it holds white space, at which a word-level vocabulary splits text";
  return {};
}

void for_each_word(std::string_view line, const std::function<void(std::string_view)>& visit) {
  const std::u32string code_points = utf8::decode(line, "text");
  size_t start = 0;
  for (size_t i = 0; i <= code_points.size(); ++i) {
    if (i < code_points.size() && !is_space(code_points[i])) continue;
    if (i > start) visit(utf8::encode(std::u32string_view(code_points).substr(start, i - start)));
    start = i + 1;
  }
}

// The specials that are present, in id order; Error when two of them are spelled the same.
std::vector<std::pair<const char*, const std::string*>> present_specials(
    const SpecialTokens& specials) {
  std::vector<std::pair<const char*, const std::string*>> present;
  for (const auto& [name, token] :
       {std::pair{"unk", &specials.unk}, std::pair{"pad", &specials.pad},
        std::pair{"bos", &specials.bos}, std::pair{"eos", &specials.eos}}) {
    if (!token->empty()) present.emplace_back(name, token);
  }
  for (size_t i = 0; i < present.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (*present[i].second == *present[j].second) {
        throw Error(std::string("special tokens ") + present[j].first + " and " + present[i].first +
                    " are both " + quote(*present[i].second) + "; they must differ");
      }
    }
  }
  return present;
}

}  // namespace

std::string_view token_level_name(TokenLevel level) {
  return level == TokenLevel::Char ? "char" : "word";
}

TokenLevel parse_token_level(std::string_view name) {
  if (name == "char") return TokenLevel::Char;
  if (name == "word") return TokenLevel::Word;
  throw Error("token level must be \"char\" or \"word\", not " + quote(name));
}

std::string normalize_text(std::string_view text, const Normalization& normalization) {
  if (!normalization.letters_only) return normalize_line(text, normalization);
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    out += normalize_line(text.substr(start, end - start), normalization);
    start = end + 1;
  }
  return out;
}

void for_each_token(std::string_view text, TokenLevel level, const Normalization& normalization,
                    const SpecialTokens& specials,
                    const std::function<void(std::string_view)>& visit) {
  if (level == TokenLevel::Char) {
    utf8::for_each_character(normalize_text(text, normalization), "text", visit);
    return;
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    const bool ends_with_newline = end != std::string_view::npos;
    if (!ends_with_newline) end = text.size();
    for_each_word(normalize_line(text.substr(start, end - start), normalization), visit);
    if (ends_with_newline && !specials.eos.empty()) visit(specials.eos);
    start = end + 1;
  }
}

std::vector<std::string> tokenize(std::string_view text, TokenLevel level,
                                  const Normalization& normalization,
                                  const SpecialTokens& specials) {
  std::vector<std::string> tokens;
  for_each_token(text, level, normalization, specials,
                 [&](std::string_view token) { tokens.emplace_back(token); });
  return tokens;
}

Vocab Vocab::build(const std::vector<std::string>& tokens, TokenLevel level, SpecialTokens specials,
                   Normalization normalization, int64_t min_count, int64_t max_vocab) {
  std::unordered_map<std::string, int64_t> counts;
  for (const std::string& token : tokens) ++counts[token];
  return build_from_counts(counts, level, std::move(specials), std::move(normalization), min_count,
                           max_vocab);
}

Vocab Vocab::build_from_counts(const std::unordered_map<std::string, int64_t>& counts,
                               TokenLevel level, SpecialTokens specials,
                               Normalization normalization, int64_t min_count, int64_t max_vocab) {
  if (min_count < 1) throw Error("min_count must be at least 1, not " + std::to_string(min_count));
  if (max_vocab < 0)
    throw Error("max_vocab must be 0 (no limit) or positive, not " + std::to_string(max_vocab));
  const auto present = present_specials(specials);
  std::vector<std::string> id_order;
  for (const auto& special : present) id_order.push_back(*special.second);
  if (max_vocab > 0 && max_vocab <= static_cast<int64_t>(present.size())) {
    throw Error("max_vocab " + std::to_string(max_vocab) +
                " leaves no room for any token beside the " + std::to_string(present.size()) +
                " special tokens");
  }
  std::vector<std::pair<std::string_view, int64_t>> ranked;
  int64_t most = 0;  // the count of the most frequent token beside the specials
  for (const auto& [token, count] : counts) {
    const bool special = std::find(id_order.begin(), id_order.end(), token) != id_order.end();
    if (!special && count >= min_count) ranked.emplace_back(token, count);
    if (!special) most = std::max(most, count);
  }
  // Only the specials left: every token would read as unk, a model of nothing (as max_vocab's).
  if (ranked.empty() && most > 0)
    throw Error("min_count " + std::to_string(min_count) + " leaves no token" +
                (present.empty() ? std::string() : " beside the special tokens") +
                ": the most frequent appears " + counted(most, "time", "times"));
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  size_t keep = ranked.size();
  if (max_vocab > 0) keep = std::min(keep, static_cast<size_t>(max_vocab) - present.size());
  for (size_t i = 0; i < keep; ++i) id_order.emplace_back(ranked[i].first);
  if (id_order.empty()) throw Error("cannot build a vocabulary: there are no tokens");
  return from_tokens(std::move(id_order), level, std::move(specials), std::move(normalization));
}

Vocab Vocab::from_tokens(std::vector<std::string> id_order, TokenLevel level,
                         SpecialTokens specials, Normalization normalization) {
  if (id_order.empty()) throw Error("a vocabulary needs at least one token");
  if (id_order.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error("a vocabulary may hold at most 2^31-1 tokens");
  }
  if (normalization.script != "" && normalization.script != "simplified" &&
      normalization.script != "traditional") {
    throw Error("normalization script must be empty, \"simplified\" or \"traditional\", not " +
                quote(normalization.script));
  }
  present_specials(specials);  // rejects two specials spelled the same

  Vocab vocab;
  vocab.level_ = level;
  vocab.normalization_ = std::move(normalization);
  vocab.specials_ = std::move(specials);
  vocab.tokens_ = std::move(id_order);
  vocab.ids_.reserve(vocab.tokens_.size());
  const auto is_special = [&sp = vocab.specials_](const std::string& t) {
    return t == sp.unk || t == sp.pad || t == sp.bos || t == sp.eos;
  };
  for (size_t i = 0; i < vocab.tokens_.size(); ++i) {
    const std::string& token = vocab.tokens_[i];
    if (token.empty()) throw Error("vocabulary token #" + std::to_string(i) + " is empty");
    if (utf8::find_invalid(token) != std::string::npos) {
      throw Error("vocabulary token #" + std::to_string(i) + " is not valid UTF-8");
    }
    if (const std::string why = unreadable_because(token, level);
        !is_special(token) && !why.empty()) {
      throw Error("vocabulary token #" + std::to_string(i) + " " + quote(token) +
                  " could never be read from text: " + why +
                  " (only the special tokens unk, pad, bos and eos may be longer)");
    }
    if (!vocab.ids_.emplace(token, static_cast<int32_t>(i)).second) {
      throw Error("vocabulary token " + quote(token) + " appears twice (ids " +
                  std::to_string(vocab.ids_.find(token)->second) + " and " + std::to_string(i) +
                  ")");
    }
  }
  const std::tuple<const char*, const std::string&, std::optional<int32_t>&> slots[] = {
      {"unk", vocab.specials_.unk, vocab.unk_id_},
      {"pad", vocab.specials_.pad, vocab.pad_id_},
      {"bos", vocab.specials_.bos, vocab.bos_id_},
      {"eos", vocab.specials_.eos, vocab.eos_id_}};
  for (const auto& [name, token, id] : slots) {
    if (token.empty()) continue;
    id = vocab.find(token);
    if (!id) {
      throw Error(std::string("special token ") + name + " " + quote(token) +
                  " is not in the vocabulary");
    }
  }
  Normalization& n = vocab.normalization_;
  n.lowercase_by_table =
      n.lowercase && !n.letters_only &&
      std::any_of(vocab.tokens_.begin(), vocab.tokens_.end(),
                  [&](const std::string& t) { return !is_special(t) && changed_by_lowercase(t); });
  return vocab;
}

const std::string& Vocab::token(int32_t id) const {
  if (id < 0 || id >= size()) {
    throw Error("token id " + std::to_string(id) + " is out of range for a vocabulary of " +
                std::to_string(size()) + " tokens");
  }
  return tokens_[static_cast<size_t>(id)];
}

std::optional<int32_t> Vocab::find(std::string_view token) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

int32_t Vocab::id(std::string_view token) const {
  if (const auto found = find(token)) return *found;
  if (unk_id_) return *unk_id_;
  throw OutOfVocabularyError(
      "token " + quote(token) + " is not in the vocabulary (which has no unk token)",
      std::string(token));
}

std::vector<int32_t> Vocab::encode(std::string_view text) const {
  return encode_first(text, 0);
}

std::vector<int32_t> Vocab::encode_first(std::string_view text, int64_t max_tokens) const {
  std::vector<int32_t> ids;
  Unknown unknown;
  int64_t count = 0;
  for_each_token(text, level_, normalization_, specials_, [&](std::string_view token) {
    if (max_tokens == 0 || count++ < max_tokens) append_id(token, ids, unknown);
  });
  refuse_unknown(unknown);
  return ids;
}

std::vector<int32_t> Vocab::encode_tokens(const std::vector<std::string>& tokens) const {
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  Unknown unknown;
  for (const std::string& token : tokens) append_id(token, ids, unknown);
  refuse_unknown(unknown);
  return ids;
}

void Vocab::append_id(std::string_view token, std::vector<int32_t>& ids, Unknown& unknown) const {
  if (const auto found = find(token)) {
    ids.push_back(*found);
  } else if (unk_id_) {
    ids.push_back(*unk_id_);
  } else if (!unknown.seen.contains(token)) {
    unknown.seen.emplace(token);
    unknown.tokens.emplace_back(token);
  }
}

void Vocab::refuse_unknown(const Unknown& found) const {
  const std::vector<std::string>& unknown = found.tokens;
  if (unknown.empty()) return;
  const bool several = unknown.size() > 1;
  std::string message = std::to_string(unknown.size()) + " " +
                        (level_ == TokenLevel::Char ? (several ? "characters are" : "character is")
                                                    : (several ? "words are" : "word is")) +
                        " not in the vocabulary (which has no unk token): ";
  for (size_t i = 0; i < std::min(unknown.size(), kMaxUnknownsShown); ++i) {
    if (i > 0) message += ", ";
    message += quote(unknown[i]);
  }
  if (unknown.size() > kMaxUnknownsShown) {
    message += ", and " + std::to_string(unknown.size() - kMaxUnknownsShown) + " more";
  }
  throw OutOfVocabularyError(message, unknown[0]);
}

std::string Vocab::decode(std::span<const int32_t> ids) const {
  std::string text;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0 && level_ == TokenLevel::Word) text.push_back(' ');
    text += token(ids[i]);
  }
  return text;
}

std::string Vocab::to_json() const {
  using nlohmann::json;
  const auto optional_string = [](const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
  };
  const json document = {{"level", token_level_name(level_)},
                         {"tokens", tokens_},
                         {"specials",
                          {{"unk", optional_string(specials_.unk)},
                           {"bos", optional_string(specials_.bos)},
                           {"eos", optional_string(specials_.eos)},
                           {"pad", optional_string(specials_.pad)}}},
                         {"normalization",
                          {{"lowercase", normalization_.lowercase},
                           {"letters_only", normalization_.letters_only},
                           {"script", optional_string(normalization_.script)}}}};
  return document.dump();
}

Vocab Vocab::from_json(std::string_view text) {
  using nlohmann::json;
  const json document = parse_strict_json(text, "vocabulary JSON");
  if (!document.is_object()) throw Error("vocabulary JSON must be an object");
  // A key rnnkit does not read would be ignored; a vocabulary that means something by it
  // ("specials": {"mask": ...}) is refused instead.
  const auto refuse_unknown_keys = [](const json& object, std::initializer_list<const char*> known,
                                      const std::string& where) {
    for (const auto& [key, value] : object.items()) {
      if (std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; }))
        continue;
      std::string names;
      for (const char* k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      throw Error("vocabulary JSON: " + where + quote(key) +
                  " is not a key rnnkit reads (it reads " + names + ")");
    }
  };
  refuse_unknown_keys(document, {"level", "tokens", "specials", "normalization"}, "");

  const auto member = [](const json& object, const char* key) -> const json* {
    const auto it = object.find(key);
    return (it == object.end() || it->is_null()) ? nullptr : &*it;
  };
  const auto string_member = [&](const json& object, const char* key, const std::string& where) {
    const json* value = member(object, key);
    if (value == nullptr) return std::string();
    if (!value->is_string())
      throw Error("vocabulary JSON: " + where + key + " must be a string or null");
    return value->get<std::string>();
  };
  const auto bool_member = [&](const json& object, const char* key, const std::string& where) {
    const json* value = member(object, key);
    if (value == nullptr) return false;
    if (!value->is_boolean())
      throw Error("vocabulary JSON: " + where + key + " must be true or false");
    return value->get<bool>();
  };

  const json* level = member(document, "level");
  if (level == nullptr || !level->is_string())
    throw Error("vocabulary JSON: \"level\" must be \"char\" or \"word\"");
  const json* tokens = member(document, "tokens");
  if (tokens == nullptr || !tokens->is_array())
    throw Error("vocabulary JSON: \"tokens\" must be an array of strings");
  std::vector<std::string> id_order;
  id_order.reserve(tokens->size());
  for (const json& token : *tokens) {
    if (!token.is_string()) throw Error("vocabulary JSON: \"tokens\" must be an array of strings");
    id_order.push_back(token.get<std::string>());
  }

  SpecialTokens specials;
  if (const json* object = member(document, "specials")) {
    if (!object->is_object()) throw Error("vocabulary JSON: \"specials\" must be an object");
    refuse_unknown_keys(*object, {"unk", "bos", "eos", "pad"}, "specials.");
    specials.unk = string_member(*object, "unk", "specials.");
    specials.bos = string_member(*object, "bos", "specials.");
    specials.eos = string_member(*object, "eos", "specials.");
    specials.pad = string_member(*object, "pad", "specials.");
  }
  Normalization normalization;
  if (const json* object = member(document, "normalization")) {
    if (!object->is_object()) throw Error("vocabulary JSON: \"normalization\" must be an object");
    refuse_unknown_keys(*object, {"lowercase", "letters_only", "script"}, "normalization.");
    normalization.lowercase = bool_member(*object, "lowercase", "normalization.");
    normalization.letters_only = bool_member(*object, "letters_only", "normalization.");
    normalization.script = string_member(*object, "script", "normalization.");
  }
  return from_tokens(std::move(id_order), parse_token_level(level->get<std::string>()),
                     std::move(specials), std::move(normalization));
}

std::vector<int32_t> Vocab::encode_at(std::string_view text, const std::string& where) const {
  try {
    return encode(text);
  } catch (const OutOfVocabularyError& e) {
    throw OutOfVocabularyError(where + ": " + e.what());
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

}  // namespace rnnkit
