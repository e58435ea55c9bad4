#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace rnnkit {

// Char: every Unicode code point is a token (whitespace and newlines included).
// Word: whitespace-separated words (whitespace as Python's str.split() sees it).
enum class TokenLevel { Char, Word };

std::string_view token_level_name(TokenLevel level);  // "char" or "word"
TokenLevel parse_token_level(std::string_view name);  // Error for anything but "char" / "word"

struct Normalization {
  // Python's str.lower(): Unicode's full lowercase mapping, without a locale's rules (İ becomes
  // i + U+0307, Σ a final ς at the end of a word; CJK has no case). With letters_only, after it
  // (d2l's re.sub(...).lower()): only ASCII letters are left to lower.
  bool lowercase = false;
  // d2l's preprocessing: each line becomes re.sub('[^A-Za-z]+', ' ', line).strip(), so every
  // maximal run of characters other than the ASCII letters (non-ASCII letters included) is one
  // space. At char level the processed lines are concatenated WITHOUT separators (empty lines
  // vanish), exactly as d2l builds its character corpus; lines end at '\n' or '\r'.
  bool letters_only = false;
  // "", "simplified" or "traditional": recorded only; the poem code does the conversion.
  std::string script;
  // Not stored: set by Vocab for a lowercase vocabulary holding a token that str.lower() would
  // change, which rnnkit's one-to-one table of capitals made before 2026-12-07 (ASCII, Latin-1,
  // Latin Extended-A, basic Greek and Cyrillic; Σ always σ, İ kept). Its text is lowered by that
  // table still, or the model's own tokens (İ, Ґ) would read as others.
  bool lowercase_by_table = false;
};

// Special tokens; an empty string means the token is absent.
struct SpecialTokens {
  std::string unk, bos, eos, pad;
};

// Applies a normalization to raw text, in the char-level form described for letters_only.
// Valid UTF-8 is expected when lowercase is set (Error otherwise).
std::string normalize_text(std::string_view text, const Normalization& normalization);

// Splits text into tokens at `level` after normalization. At word level the text is processed
// line by line ('\n' ends a line; words never join across lines) and, when specials.eos is set,
// every '\n' yields an eos token after the line's words (PTB style; a final line without '\n'
// gets none, so a prompt is not terminated). Error for invalid UTF-8.
std::vector<std::string> tokenize(std::string_view text, TokenLevel level,
                                  const Normalization& normalization,
                                  const SpecialTokens& specials);
// The same tokens, each handed to visit(token) in order (a view valid during the call only): a
// corpus is counted and encoded without a string per token (32 bytes each, where a character's
// id takes 4).
void for_each_token(std::string_view text, TokenLevel level, const Normalization& normalization,
                    const SpecialTokens& specials,
                    const std::function<void(std::string_view)>& visit);

class Vocab {
 public:
  Vocab() = default;  // empty; useful only as a placeholder to assign to

  // Specials first (in the order unk, pad, bos, eos — whichever are present), then the tokens by
  // descending frequency, ties by ascending code point order (byte order of the UTF-8 strings).
  // Occurrences of a special token's string in `tokens` count as that special. Tokens seen fewer
  // than min_count times are dropped; max_vocab > 0 caps the size, specials included.
  static Vocab build(const std::vector<std::string>& tokens, TokenLevel level,
                     SpecialTokens specials, Normalization normalization, int64_t min_count = 1,
                     int64_t max_vocab = 0);
  // build() from each token's count (a corpus counted by for_each_token).
  static Vocab build_from_counts(const std::unordered_map<std::string, int64_t>& counts,
                                 TokenLevel level, SpecialTokens specials,
                                 Normalization normalization, int64_t min_count = 1,
                                 int64_t max_vocab = 0);
  // A vocabulary in a given id order (e.g. from a checkpoint). Error for an empty, duplicate or
  // invalid UTF-8 token, or a special token that is not in the list.
  static Vocab from_tokens(std::vector<std::string> id_order, TokenLevel level,
                           SpecialTokens specials, Normalization normalization);

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  TokenLevel level() const { return level_; }
  const Normalization& normalization() const { return normalization_; }
  const SpecialTokens& specials() const { return specials_; }
  const std::vector<std::string>& tokens() const { return tokens_; }

  const std::string& token(int32_t id) const;  // Error for an id out of range
  std::optional<int32_t> find(std::string_view token) const;
  int32_t id(std::string_view token) const;  // unk when absent and unk exists; else Error

  // Tokenizes text at this vocabulary's level with its normalization (see tokenize()) and maps
  // the tokens to ids. Unknown tokens map to unk when present; otherwise Error quoting every
  // distinct unknown character or word (the first 20, plus their count).
  std::vector<int32_t> encode(std::string_view text) const;
  // encode(), keeping the ids of the first max_tokens tokens (0: all).
  std::vector<int32_t> encode_first(std::string_view text, int64_t max_tokens) const;
  // encode(), with `where` ("data.txt:12") in front of an error's message.
  std::vector<int32_t> encode_at(std::string_view text, const std::string& where) const;
  std::vector<int32_t> encode_tokens(const std::vector<std::string>& tokens) const;
  // Tokens concatenated at char level, joined with single spaces at word level.
  std::string decode(std::span<const int32_t> ids) const;

  std::optional<int32_t> unk_id() const { return unk_id_; }
  std::optional<int32_t> bos_id() const { return bos_id_; }
  std::optional<int32_t> eos_id() const { return eos_id_; }
  std::optional<int32_t> pad_id() const { return pad_id_; }

  // The "rnnkit.vocab" checkpoint metadata:
  // {"level": "char"|"word", "tokens": [...id order...],
  //  "specials": {"unk": str|null, "bos": str|null, "eos": str|null, "pad": str|null},
  //  "normalization": {"lowercase": bool, "letters_only": bool, "script": str|null}}
  // from_json accepts missing "specials" / "normalization" (none / defaults).
  std::string to_json() const;
  static Vocab from_json(std::string_view json);

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The distinct tokens a text holds that the vocabulary lacks, in the order they first appear
  // (a set beside the list: a text of a million distinct unknown characters is no quadratic
  // search).
  struct Unknown {
    std::vector<std::string> tokens;
    std::unordered_set<std::string, StringHash, std::equal_to<>> seen;
  };

  // One token's id, or (without unk) the token noted among `unknown`; then the Error naming them.
  void append_id(std::string_view token, std::vector<int32_t>& ids, Unknown& unknown) const;
  void refuse_unknown(const Unknown& unknown) const;

  TokenLevel level_ = TokenLevel::Char;
  Normalization normalization_;
  SpecialTokens specials_;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
  std::optional<int32_t> unk_id_, bos_id_, eos_id_, pad_id_;
};

}  // namespace rnnkit
