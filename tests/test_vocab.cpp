#include "data/lowercase.h"
#include "error_of.h"
#include "rnnkit/vocab.h"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

using testing::error_of;

using Strings = std::vector<std::string>;

std::vector<std::string> all_tokens(const Vocab& vocab) {
  std::vector<std::string> tokens;
  for (int32_t id = 0; id < vocab.size(); ++id) tokens.push_back(vocab.token(id));
  return tokens;
}

SpecialTokens all_specials() {
  SpecialTokens specials;
  specials.eos = "<eos>";
  specials.bos = "<bos>";
  specials.pad = "<pad>";
  specials.unk = "<unk>";
  return specials;
}

TEST(Vocab, PutsSpecialsFirstThenTokensByDescendingCount) {
  const Vocab vocab =
      Vocab::build({"b", "a", "c", "a", "b", "a"}, TokenLevel::Char, all_specials(), {});
  EXPECT_EQ(all_tokens(vocab), (Strings{"<unk>", "<pad>", "<bos>", "<eos>", "a", "b", "c"}));
  EXPECT_EQ(vocab.unk_id(), 0);
  EXPECT_EQ(vocab.pad_id(), 1);
  EXPECT_EQ(vocab.bos_id(), 2);
  EXPECT_EQ(vocab.eos_id(), 3);
  EXPECT_EQ(vocab.size(), 7);
}

TEST(Vocab, CountsGiveTheVocabularyTheTokensGive) {
  const Strings tokens = {"b", "a", "<eos>", "c", "a", "b", "a", "d"};
  std::unordered_map<std::string, int64_t> counts;
  for (const std::string& t : tokens) ++counts[t];
  SpecialTokens specials;
  specials.eos = "<eos>";
  specials.unk = "<unk>";
  const Vocab built = Vocab::build(tokens, TokenLevel::Char, specials, {}, 2, 4);
  const Vocab counted = Vocab::build_from_counts(counts, TokenLevel::Char, specials, {}, 2, 4);
  EXPECT_EQ(all_tokens(counted), all_tokens(built));
  EXPECT_EQ(all_tokens(counted), (Strings{"<unk>", "<eos>", "a", "b"}));
}

// The tokens visited one by one are tokenize()'s, and encode_first keeps the first n ids.
TEST(Vocab, TokensVisitedOneByOneAreTokenizes) {
  SpecialTokens specials;
  specials.eos = "<eos>";
  for (const TokenLevel level : {TokenLevel::Char, TokenLevel::Word}) {
    const std::string text = "Ab c\u00e9\n  dd ab\n\nx";
    Strings visited;
    for_each_token(text, level, {true, false, ""}, specials,
                   [&](std::string_view t) { visited.emplace_back(t); });
    EXPECT_EQ(visited, tokenize(text, level, {true, false, ""}, specials));
    const Vocab vocab = Vocab::build(visited, level, specials, {true, false, ""});
    const std::vector<int32_t> all = vocab.encode(text);
    EXPECT_EQ(all, vocab.encode_tokens(visited));
    EXPECT_EQ(vocab.encode_first(text, 3), std::vector<int32_t>(all.begin(), all.begin() + 3));
  }
  EXPECT_EQ(tokenize("ab cd\nef", TokenLevel::Word, {}, specials),
            (Strings{"ab", "cd", "<eos>", "ef"}));
  EXPECT_NE(error_of([] {
              tokenize("a\xff", TokenLevel::Char, {}, {});
            }).find("text: invalid UTF-8 at byte offset 1"),
            std::string::npos);
}

TEST(Vocab, BreaksTiesByAscendingCodePoint) {
  // U+00E9 < U+4E2D < U+FFFD < U+20000: code point order, which UTF-8 byte order preserves.
  const Vocab vocab = Vocab::build(
      {"\xF0\xA0\x80\x80", "z", "\xEF\xBF\xBD", "\xC3\xA9", "a", "\xE4\xB8\xAD", "q", "q"},
      TokenLevel::Char, {}, {});
  EXPECT_EQ(all_tokens(vocab), (Strings{"q", "a", "z", "\xC3\xA9", "\xE4\xB8\xAD", "\xEF\xBF\xBD",
                                        "\xF0\xA0\x80\x80"}));
  EXPECT_FALSE(vocab.unk_id().has_value());
  EXPECT_FALSE(vocab.eos_id().has_value());
}

TEST(Vocab, PresentSpecialsKeepTheirRelativeOrder) {
  SpecialTokens specials;
  specials.eos = "<eos>";
  specials.unk = "<unk>";
  const Vocab vocab = Vocab::build({"x"}, TokenLevel::Word, specials, {});
  EXPECT_EQ(all_tokens(vocab), (Strings{"<unk>", "<eos>", "x"}));
  EXPECT_EQ(vocab.eos_id(), 1);
  EXPECT_FALSE(vocab.pad_id().has_value());
}

TEST(Vocab, SpecialStringsInTheStreamCountAsTheSpecial) {
  SpecialTokens specials;
  specials.unk = "<unk>";
  specials.eos = "<eos>";
  const Vocab vocab =
      Vocab::build({"a", "<unk>", "<unk>", "<eos>", "<unk>"}, TokenLevel::Word, specials, {});
  EXPECT_EQ(all_tokens(vocab), (Strings{"<unk>", "<eos>", "a"}));
}

TEST(Vocab, MinCountDropsRareTokensToUnk) {
  SpecialTokens specials;
  specials.unk = "<unk>";
  const Vocab vocab = Vocab::build({"a", "b", "a", "c", "a", "b"}, TokenLevel::Char, specials, {},
                                   /*min_count=*/2);
  EXPECT_EQ(all_tokens(vocab), (Strings{"<unk>", "a", "b"}));
  EXPECT_EQ(vocab.encode("cab"), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(vocab.id("c"), 0);
}

// A min_count above every token's count would leave a vocabulary of unk alone.
TEST(Vocab, AMinCountThatLeavesOnlyTheSpecialsIsAnError) {
  SpecialTokens specials;
  specials.unk = "<unk>";
  try {
    Vocab::build({"a", "b", "a", "<unk>", "<unk>", "<unk>"}, TokenLevel::Char, specials, {},
                 /*min_count=*/3);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "min_count 3 leaves no token beside the special tokens: the most frequent "
                 "appears 2 times");
  }
  EXPECT_EQ(Vocab::build({"a", "b", "a"}, TokenLevel::Char, specials, {}, 2).size(), 2);
}

TEST(Vocab, MaxVocabCountsTheSpecials) {
  SpecialTokens specials;
  specials.unk = "<unk>";
  const Vocab vocab = Vocab::build({"a", "b", "a", "c", "a", "b", "d"}, TokenLevel::Char, specials,
                                   {}, 1, /*max_vocab=*/3);
  EXPECT_EQ(all_tokens(vocab), (Strings{"<unk>", "a", "b"}));
  const Vocab roomy = Vocab::build({"a", "b"}, TokenLevel::Char, specials, {}, 1, 100);
  EXPECT_EQ(roomy.size(), 3);
}

TEST(Vocab, RejectsImpossibleBuildSettings) {
  SpecialTokens specials;
  specials.unk = "<unk>";
  specials.pad = "<pad>";
  EXPECT_THROW(Vocab::build({"a"}, TokenLevel::Char, specials, {}, 1, 2), Error);
  EXPECT_THROW(Vocab::build({"a"}, TokenLevel::Char, specials, {}, 0), Error);
  EXPECT_THROW(Vocab::build({"a"}, TokenLevel::Char, specials, {}, 1, -1), Error);
  EXPECT_THROW(Vocab::build({}, TokenLevel::Char, {}, {}), Error);
  SpecialTokens clash;
  clash.unk = "<x>";
  clash.pad = "<x>";
  EXPECT_EQ(error_of([&] { Vocab::build({"a"}, TokenLevel::Char, clash, {}); }),
            "special tokens unk and pad are both \"<x>\"; they must differ");
}

TEST(Vocab, FindIdAndToken) {
  SpecialTokens specials;
  specials.unk = "<unk>";
  const Vocab with_unk = Vocab::from_tokens({"<unk>", "a", "b"}, TokenLevel::Char, specials, {});
  EXPECT_EQ(with_unk.find("b"), 2);
  EXPECT_EQ(with_unk.find("z"), std::nullopt);
  EXPECT_EQ(with_unk.id("z"), 0);
  EXPECT_EQ(with_unk.token(1), "a");
  EXPECT_THROW(with_unk.token(3), Error);
  EXPECT_THROW(with_unk.token(-1), Error);

  const Vocab without_unk = Vocab::from_tokens({"a", "b"}, TokenLevel::Char, {}, {});
  EXPECT_EQ(error_of([&] { without_unk.id("zed"); }),
            "token \"zed\" is not in the vocabulary (which has no unk token)");
}

TEST(Vocab, CharLevelKeepsWhitespaceNewlinesAndFourByteCharacters) {
  const std::string text = "ab a\n\xF0\xA0\x80\x80\t";
  const Strings tokens = tokenize(text, TokenLevel::Char, {}, {});
  EXPECT_EQ(tokens, (Strings{"a", "b", " ", "a", "\n", "\xF0\xA0\x80\x80", "\t"}));
  const Vocab vocab = Vocab::build(tokens, TokenLevel::Char, {}, {});
  // counts: a 2; then ties in code point order: \t (9), \n (10), ' ' (32), b, U+20000.
  EXPECT_EQ(all_tokens(vocab), (Strings{"a", "\t", "\n", " ", "b", "\xF0\xA0\x80\x80"}));
  const std::vector<int32_t> ids = vocab.encode(text);
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 4, 3, 0, 2, 5, 1}));
  EXPECT_EQ(vocab.decode(ids), text);
}

TEST(Vocab, UnknownCharactersAreAllNamedInOrderOfAppearance) {
  const Vocab vocab = Vocab::from_tokens({"a", "b", "c"}, TokenLevel::Char, {}, {});
  EXPECT_EQ(error_of([&] { vocab.encode("axyxz\n\xF0\xA0\x80\x80"); }),
            "5 characters are not in the vocabulary (which has no unk token): \"x\", \"y\", "
            "\"z\", \"\\n\", \"\xF0\xA0\x80\x80\"");
  EXPECT_EQ(error_of([&] { vocab.encode("ab\"c"); }),
            "1 character is not in the vocabulary (which has no unk token): \"\\\"\"");
  // Characters that print as nothing are named by code point: a zero-width space, a soft hyphen,
  // a byte order mark (U+200B, U+00AD, U+FEFF); a visible two-byte one (é) as it is.
  EXPECT_EQ(error_of([&] { vocab.encode("a\u200B\u00AD\uFEFF\u00E9"); }),
            "4 characters are not in the vocabulary (which has no unk token): \"\\u200B\", "
            "\"\\u00AD\", \"\\uFEFF\", \"\u00E9\"");
  // Its own type, which the server answers with 422; other refusals stay plain Errors.
  EXPECT_THROW(vocab.encode("ax"), OutOfVocabularyError);
  EXPECT_THROW(vocab.id("x"), OutOfVocabularyError);
  EXPECT_NO_THROW(vocab.encode("abc"));
  try {
    vocab.token(7);
    ADD_FAILURE() << "token(7) did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(dynamic_cast<const OutOfVocabularyError*>(&e), nullptr);
  }
}

TEST(Vocab, LongListsOfUnknownsShowTwentyAndCountTheRest) {
  const Vocab vocab = Vocab::from_tokens({"known"}, TokenLevel::Word, {}, {});
  std::string text = "known";
  std::string expected = "25 words are not in the vocabulary (which has no unk token): ";
  for (int i = 0; i < 25; ++i) {
    text += " w" + std::to_string(i) + " known w0";
    if (i < 20) expected += (i > 0 ? ", \"w" : "\"w") + std::to_string(i) + "\"";
  }
  expected += ", and 5 more";
  EXPECT_EQ(error_of([&] { vocab.encode(text); }), expected);
}

TEST(Vocab, EveryDistinctUnknownOfALargeTextIsCountedOnce) {
  // 60000 distinct characters (from U+20000, CJK extension B), each twice: counted once each,
  // named from the first.
  const Vocab vocab = Vocab::from_tokens({"a"}, TokenLevel::Char, {}, {});
  std::u32string text;
  for (char32_t c = 0x20000; c < 0x20000 + 60000; ++c) text += {c, U'a', c};
  const std::string message = error_of([&] { vocab.encode(utf8::encode(text)); });
  EXPECT_TRUE(
      message.starts_with("60000 characters are not in the vocabulary (which has no unk "
                          "token): \"\xF0\xA0\x80\x80\", \"\xF0\xA0\x80\x81\""))
      << message.substr(0, 200);
  EXPECT_NE(message.find(", and 59980 more"), std::string::npos) << message;
}

TEST(Vocab, WordLevelSplitsOnWhitespaceAndMarksLineEndsWithEos) {
  SpecialTokens specials;
  specials.eos = "<eos>";
  const std::string text = "the cat\nsat \t on\n\n  the\xC2\xA0mat";  // U+00A0 separates words too
  EXPECT_EQ(tokenize(text, TokenLevel::Word, {}, specials),
            (Strings{"the", "cat", "<eos>", "sat", "on", "<eos>", "<eos>", "the", "mat"}));
  EXPECT_EQ(tokenize(text + "\n", TokenLevel::Word, {}, specials).back(), "<eos>");
  EXPECT_EQ(tokenize(text, TokenLevel::Word, {}, {}),
            (Strings{"the", "cat", "sat", "on", "the", "mat"}));

  const Vocab vocab =
      Vocab::build(tokenize(text, TokenLevel::Word, {}, specials), TokenLevel::Word, specials, {});
  // <eos> first; "the" twice; then cat, mat, on, sat in string order.
  EXPECT_EQ(all_tokens(vocab), (Strings{"<eos>", "the", "cat", "mat", "on", "sat"}));
  EXPECT_EQ(vocab.encode("the mat\non"), (std::vector<int32_t>{1, 3, 0, 4}));
  const std::vector<int32_t> ids{1, 2, 0, 5};
  EXPECT_EQ(vocab.decode(ids), "the cat <eos> sat");
}

TEST(Vocab, LowercaseIsPythonsStrLower) {
  // tools/make_lowercase_fixture.py: Python's str.lower() of every character it changes (alone,
  // inside a word, and all in one line), of capital sigma where it is final or not, and of a
  // mixed line (İ -> i + U+0307, ẞ -> ß, full-width and Vietnamese capitals).
  std::ifstream in(std::string(RNNKIT_FIXTURE_DIR) + "/lowercase.json");
  ASSERT_TRUE(in) << "tests/fixtures/lowercase.json";
  const nlohmann::json fixture = nlohmann::json::parse(in);
  Normalization lower;
  lower.lowercase = true;
  size_t differ = 0;
  for (const auto& pair : fixture["pairs"]) {
    const std::string text = pair[0], expected = pair[1];
    if (normalize_text(text, lower) != expected && ++differ <= 5)
      ADD_FAILURE() << text << " -> " << normalize_text(text, lower) << ", Python: " << expected;
  }
  EXPECT_EQ(differ, 0u) << "of " << fixture["pairs"].size();
  EXPECT_GT(fixture["pairs"].size(), 1400u);
  EXPECT_EQ(normalize_text("\xC3\x97 \xE4\xB8\xAD", lower),
            "\xC3\x97 \xE4\xB8\xAD");  // × 中: no case
  EXPECT_EQ(normalize_text("ABC xyz\n", {}), "ABC xyz\n");
}

// ICU takes 2^31 - 1 bytes at once: longer text is lowered in pieces, cut after a line end (where
// a piece holds one: no case context crosses it, so a final Σ stays final) or between two
// characters (in a longer line), to the same result.
TEST(Vocab, LowercaseInPiecesIsLowercaseWhole) {
  std::string text;
  for (int i = 0; i < 20; ++i)
    text += "\xD2\x90\xD0\x90\xD0\x9D \xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3 ABC\n";  // ҐАН ΟΔΟΣ
  text += std::string(40, 'Q') + "\xF0\x90\x90\x80\xE4\xB8\xAD";  // a long line: 𐐀中
  for (const size_t piece : {24, 33, 1000})
    EXPECT_EQ(lowercase(text, piece), lowercase(text)) << piece;
  EXPECT_NE(lowercase(text), text);
}

// A vocabulary made by rnnkit's table of capitals (before Python's str.lower()) holds capitals
// str.lower() changes (İ, Ґ, a Σ that was final): its text is lowered by that table still.
TEST(Vocab, AVocabularyOfTheOlderLowercaseTableKeepsIt) {
  Normalization lower;
  lower.lowercase = true;
  SpecialTokens unk;
  unk.unk = "<unk>";
  // İ (U+0130) and Ґ (U+0490) as tokens: the older table kept them.
  const Vocab older =
      Vocab::from_tokens({"\xC4\xB0", "\xD2\x90", "a", "<unk>"}, TokenLevel::Char, unk, lower);
  EXPECT_TRUE(older.normalization().lowercase_by_table);
  EXPECT_EQ(older.encode("\xC4\xB0\xD2\x90"
                         "A"),
            (std::vector<int32_t>{0, 1, 2}));
  // A vocabulary of lowercase tokens (and an upper-case special) is lowered as str.lower() does.
  unk.unk = "<UNK>";
  const Vocab current =
      Vocab::from_tokens({"\xD2\x91", "a", "<UNK>"}, TokenLevel::Char, unk, lower);
  EXPECT_FALSE(current.normalization().lowercase_by_table);
  EXPECT_EQ(current.encode("\xD2\x90"
                           "A"),
            (std::vector<int32_t>{0, 1}));  // Ґ -> ґ
  // The flag is not stored: it is the tokens that say it.
  EXPECT_EQ(older.to_json().find("by_table"), std::string::npos);
  EXPECT_TRUE(Vocab::from_json(older.to_json()).normalization().lowercase_by_table);
}

TEST(Vocab, LettersOnlyFollowsD2lLineByLine) {
  Normalization letters;
  letters.letters_only = true;
  // Lines: "Hello, World!" -> "Hello World"; "" vanishes; "  It's 42 o'clock. " -> "It s o clock";
  // "caf\u00e9 au lait" -> "caf au lait" (non-ASCII letters are not letters here).
  const std::string text = "Hello, World!\n\n  It's 42 o'clock. \r\ncaf\xC3\xA9 au lait";
  EXPECT_EQ(normalize_text(text, letters), "Hello WorldIt s o clockcaf au lait");
  letters.lowercase = true;
  EXPECT_EQ(normalize_text(text, letters), "hello worldit s o clockcaf au lait");
  EXPECT_EQ(normalize_text("--- 123 ---\n!!", letters), "");
  // At word level the lines stay apart, so words never join across a line break.
  EXPECT_EQ(tokenize(text, TokenLevel::Word, letters, {}),
            (Strings{"hello", "world", "it", "s", "o", "clock", "caf", "au", "lait"}));
  // The letters are kept before lowering, as d2l's re.sub(...).lower(): İ (which lowers to
  // i + U+0307) and the Kelvin sign (to k) are no letters.
  EXPECT_EQ(normalize_text("\xC4\xB0stanbul 5\xE2\x84\xAA"
                           "elvin",
                           letters),
            "stanbul elvin");
}

TEST(Vocab, JsonRoundTripKeepsEverything) {
  SpecialTokens specials;
  specials.unk = "<unk>";
  specials.eos = "<eos>";
  Normalization normalization;
  normalization.lowercase = true;
  normalization.script = "traditional";
  const Vocab vocab =
      Vocab::from_tokens({"<unk>", "\n", "\"", "\xF0\xA0\x80\x80", "<eos>", "\xE5\xBA\x8A", "\\"},
                         TokenLevel::Char, specials, normalization);

  const nlohmann::json document = nlohmann::json::parse(vocab.to_json());
  const nlohmann::json expected = {
      {"level", "char"},
      {"tokens", {"<unk>", "\n", "\"", "\xF0\xA0\x80\x80", "<eos>", "\xE5\xBA\x8A", "\\"}},
      {"specials", {{"unk", "<unk>"}, {"bos", nullptr}, {"eos", "<eos>"}, {"pad", nullptr}}},
      {"normalization", {{"lowercase", true}, {"letters_only", false}, {"script", "traditional"}}}};
  EXPECT_EQ(document, expected);

  const Vocab back = Vocab::from_json(vocab.to_json());
  EXPECT_EQ(back.tokens(), vocab.tokens());
  EXPECT_EQ(back.level(), TokenLevel::Char);
  EXPECT_EQ(back.unk_id(), 0);
  EXPECT_EQ(back.eos_id(), 4);
  EXPECT_FALSE(back.bos_id().has_value());
  EXPECT_FALSE(back.pad_id().has_value());
  EXPECT_TRUE(back.normalization().lowercase);
  EXPECT_FALSE(back.normalization().letters_only);
  EXPECT_EQ(back.normalization().script, "traditional");
  EXPECT_EQ(back.to_json(), vocab.to_json());
}

TEST(Vocab, JsonWithoutOptionalPartsLoads) {
  const Vocab vocab = Vocab::from_json(R"({"level": "char", "tokens": ["a", "b"]})");
  EXPECT_EQ(vocab.size(), 2);
  EXPECT_EQ(vocab.level(), TokenLevel::Char);
  EXPECT_FALSE(vocab.unk_id().has_value());
  EXPECT_EQ(vocab.normalization().script, "");
}

TEST(Vocab, RejectsMalformedJson) {
  const char* bad[] = {
      "{",
      "[1, 2]",
      R"({"tokens": ["a"]})",
      R"({"level": "byte", "tokens": ["a"]})",
      R"({"level": "char"})",
      R"({"level": "char", "tokens": ["a", 3]})",
      R"({"level": "char", "tokens": ["a", "a"]})",
      R"({"level": "char", "tokens": ["a", ""]})",
      R"({"level": "char", "tokens": []})",
      R"({"level": "char", "tokens": ["a"], "specials": {"unk": "<unk>"}})",
      R"({"level": "char", "tokens": ["a"], "specials": {"unk": 1}})",
      R"({"level": "char", "tokens": ["a"], "specials": []})",
      R"({"level": "char", "tokens": ["a"], "normalization": {"lowercase": "yes"}})",
      R"({"level": "char", "tokens": ["a"], "normalization": {"script": "klingon"}})",
  };
  for (const char* json : bad) EXPECT_THROW(Vocab::from_json(json), Error) << json;
  EXPECT_EQ(error_of([] { Vocab::from_json(R"({"level": "char", "tokens": ["a", "b", "a"]})"); }),
            "vocabulary token \"a\" appears twice (ids 0 and 2)");
}

// Keys rnnkit does not read, repeated keys and broken JSON are refused by name, never ignored
// (a repeated key would otherwise keep its last value without a word).
TEST(Vocab, JsonErrorsNameTheKeyOrThePlace) {
  EXPECT_EQ(error_of([] { Vocab::from_json(R"({"level": "char", "tokens": ["a"], "size": 1})"); }),
            "vocabulary JSON: \"size\" is not a key rnnkit reads (it reads level, tokens, "
            "specials, normalization)");
  EXPECT_EQ(
      error_of([] {
        Vocab::from_json(R"({"level": "char", "tokens": ["a", "#"], "specials": {"mask": "#"}})");
      }),
      "vocabulary JSON: specials.\"mask\" is not a key rnnkit reads (it reads unk, bos, "
      "eos, pad)");
  EXPECT_EQ(
      error_of([] {
        Vocab::from_json(R"({"level": "char", "tokens": ["a"], "normalization": {"nfc": 1}})");
      }),
      "vocabulary JSON: normalization.\"nfc\" is not a key rnnkit reads (it reads "
      "lowercase, letters_only, script)");
  EXPECT_EQ(error_of([] {
              Vocab::from_json(R"({"level": "char", "tokens": ["a"], "tokens": ["b", "c"]})");
            }),
            "vocabulary JSON: duplicate key 'tokens'");
  const std::string broken =
      error_of([] { Vocab::from_json("{\"level\": \"char\",\n \"tokens\": [\"a\"}"); });
  EXPECT_NE(broken.find("vocabulary JSON is not valid JSON: parse error at line 2, column 16"),
            std::string::npos)
      << broken;
}

// Text is split into code points (char level) or at white space (word level), so a longer char
// token or a word token with a space in it could never be read: such a vocabulary is refused,
// but the special tokens, which are never read from text as such, may be anything.
TEST(Vocab, RefusesTokensThatTextCouldNeverBeSplitInto) {
  EXPECT_EQ(
      error_of([] {
        Vocab::from_tokens({"a", "e\xCC\x81"}, TokenLevel::Char, {}, {});
      }),
      "vocabulary token #1 \"e\xCC\x81\" could never be read from text: it has 2 code points, "
      "and a char-level vocabulary splits text into single code points (only the special "
      "tokens unk, pad, bos and eos may be longer)");
  EXPECT_EQ(error_of([] {
              Vocab::from_tokens({"a b", "c"}, TokenLevel::Word, {}, {});
            }),
            "vocabulary token #0 \"a b\" could never be read from text: it holds white space, at "
            "which a word-level vocabulary splits text (only the special tokens unk, pad, bos and "
            "eos may be longer)");
  EXPECT_THROW(Vocab::from_tokens({"a", "x\xE3\x80\x80y"}, TokenLevel::Word, {}, {}), Error);
  EXPECT_EQ(Vocab::from_tokens({"ab", "e\xCC\x81"}, TokenLevel::Word, {}, {}).size(), 2);
  SpecialTokens specials;
  specials.unk = "<unk>";
  specials.eos = "<end of line>";
  EXPECT_EQ(
      Vocab::from_tokens({"<unk>", "<end of line>", "a"}, TokenLevel::Char, specials, {}).size(),
      3);
}

TEST(Vocab, FromTokensRejectsMissingSpecialsAndBadTokens) {
  SpecialTokens specials;
  specials.pad = "<pad>";
  EXPECT_EQ(error_of([&] { Vocab::from_tokens({"a"}, TokenLevel::Char, specials, {}); }),
            "special token pad \"<pad>\" is not in the vocabulary");
  EXPECT_THROW(Vocab::from_tokens({"a", "\xFF"}, TokenLevel::Char, {}, {}), Error);
  EXPECT_THROW(Vocab::from_tokens({}, TokenLevel::Char, {}, {}), Error);
}

TEST(Vocab, DecodeRejectsIdsOutOfRange) {
  const Vocab vocab = Vocab::from_tokens({"a"}, TokenLevel::Char, {}, {});
  const std::vector<int32_t> ids{0, 1};
  EXPECT_THROW(vocab.decode(ids), Error);
}

TEST(Vocab, TokenLevelNames) {
  EXPECT_EQ(parse_token_level("char"), TokenLevel::Char);
  EXPECT_EQ(parse_token_level("word"), TokenLevel::Word);
  EXPECT_EQ(token_level_name(TokenLevel::Word), "word");
  EXPECT_THROW(parse_token_level("Char"), Error);
}

}  // namespace
}  // namespace rnnkit
