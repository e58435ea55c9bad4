#include "error_of.h"
#include "rnnkit/poem_writer.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "rnnkit/error.h"
#include "rnnkit/utf8.h"
#include "tiny_language_models.h"

namespace rnnkit {
namespace {

using testing::error_of;

using testing::random_model;

const std::string kSimplifiedChars =
    "床前明月光疑是地上霜举头望低思故乡春夏秋冬风花雪山水天人日夜云江河落鸟飞吹照後";

// A poem model's vocabulary: the specials, Han characters, verse marks and a few other tokens
// that constrained decoding must never draw inside a line.
Vocab poem_vocab(const std::string& han, const std::string& script = "simplified") {
  std::vector<std::string> tokens = {"<pad>", "<START>", "<EOP>"};
  for (char32_t c : utf8::decode(han)) tokens.push_back(utf8::encode(c));
  for (const char* other : {"，", "。", "？", "！", "a", "□", "\n"}) tokens.emplace_back(other);
  return Vocab::from_tokens(tokens, TokenLevel::Char, {"", "<START>", "<EOP>", "<pad>"},
                            {false, false, script});
}

PoemRequest start_request(std::string start, uint64_t seed = 1) {
  PoemRequest r;
  r.start = std::move(start);
  r.sampling.temperature = 1.0f;
  r.sampling.seed = seed;
  return r;
}

PoemRequest acrostic_request(std::string heads, uint64_t seed = 1) {
  PoemRequest r = start_request("", seed);
  r.acrostic = std::move(heads);
  return r;
}

bool is_cjk_unified(char32_t c) {
  return c >= 0x4E00 && c <= 0x9FFF;
}

// The form, checked here without the library: `lines` lines of `form` CJK ideographs, each
// followed by ， (lines 1, 3, ...) or 。 (lines 2, 4, ... and the last), two lines a row.
void expect_form(const Poem& poem, int form, int lines, const std::u32string& start = U"",
                 const std::u32string& heads = U"") {
  ASSERT_EQ(poem.couplets.size(), static_cast<size_t>((lines + 1) / 2)) << poem.text();
  std::u32string all;
  for (const std::string& couplet : poem.couplets) all += utf8::decode(couplet);
  ASSERT_EQ(all.size(), static_cast<size_t>(lines * (form + 1))) << poem.text();
  for (int l = 0; l < lines; ++l) {
    const std::u32string line = all.substr(static_cast<size_t>(l * (form + 1)), form + 1);
    for (int p = 0; p < form; ++p) EXPECT_TRUE(is_cjk_unified(line[p])) << poem.text();
    EXPECT_EQ(line[form], (l % 2 == 1 || l == lines - 1) ? U'。' : U'，') << poem.text();
    if (!heads.empty()) {
      EXPECT_EQ(line[0], heads[l]) << poem.text();
    }
  }
  EXPECT_EQ(all.substr(0, start.size()), start) << poem.text();
  EXPECT_EQ(check_poem_form(poem, form, lines), "");
}

TEST(PoemWriter, FormAlwaysHolds) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel untrained = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  // A model that would rather end the poem or write punctuation than a character.
  LanguageModel perverse = random_model(CellKind::Gru, vocab.size(), 4, 8, 16, 1);
  Tensor& bias = testing::parameter(perverse, "fc.bias").value;
  for (const char* token : {"<EOP>", "<pad>", "，", "。", "a", "\n"})
    bias[*vocab.find(token)] += 8.0f;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    LanguageModel& model = seed % 2 ? untrained : perverse;
    expect_form(write_poem(model, vocab, start_request("床前明月光", seed)), 5, 4, U"床前明月光");
    PoemRequest seven = start_request("春风", seed);
    seven.form = 7;
    seven.lines = 8;
    expect_form(write_poem(model, vocab, seven), 7, 8, U"春风");
    expect_form(write_poem(model, vocab, acrostic_request("春夏秋冬", seed)), 5, 4, U"",
                U"春夏秋冬");
    PoemRequest odd = acrostic_request("山水云", seed);
    odd.form = 7;
    expect_form(write_poem(model, vocab, odd), 7, 3, U"", U"山水云");
  }
}

TEST(PoemWriter, AcrosticOfSixteenLines) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 8, 8, 16, 1);
  const std::u32string heads = U"春夏秋冬风花雪月山水天人日夜江河";
  expect_form(write_poem(model, vocab, acrostic_request(utf8::encode(heads), 5)), 5, 16, U"",
              heads);
}

TEST(PoemWriter, SameSeedSamePoemDifferentSeedsDiffer) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  const std::string one = write_poem(model, vocab, start_request("床前明月光", 1)).text();
  EXPECT_EQ(write_poem(model, vocab, start_request("床前明月光", 1)).text(), one);
  // 15 free characters from about 40: equal by chance with probability ~40^-15.
  EXPECT_NE(write_poem(model, vocab, start_request("床前明月光", 2)).text(), one);
}

TEST(PoemWriter, StreamsCharactersAndANewlineAfterEachCouplet) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  std::string streamed;
  const Poem poem =
      write_poem(model, vocab, acrostic_request("春夏秋冬", 9), [&](std::string_view piece) {
        EXPECT_TRUE(piece == "\n" || utf8::decode(piece).size() == 1) << piece;
        streamed += piece;
        return true;
      });
  EXPECT_EQ(streamed, poem.text());
  EXPECT_EQ(std::count(streamed.begin(), streamed.end(), '\n'), 2);
  EXPECT_FALSE(poem.cancelled);
}

TEST(PoemWriter, ListenerCanStopThePoem) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  int pieces = 0;
  const Poem poem = write_poem(model, vocab, start_request("床前明月光", 4),
                               [&](std::string_view) { return ++pieces < 8; });
  EXPECT_TRUE(poem.cancelled);
  EXPECT_EQ(pieces, 8);
  ASSERT_EQ(poem.couplets.size(), 1u);
  EXPECT_EQ(utf8::decode(poem.couplets[0]).size(), 8u);
  EXPECT_EQ(poem.couplets[0].substr(0, std::string("床前明月光，").size()), "床前明月光，");
}

TEST(PoemWriter, TraditionalAndSimplifiedPromptsBothWork) {
  const Vocab simplified = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, simplified.size(), 3, 8, 16, 1);
  // 舉頭 is 举头 in simplified script; 鄉 is 乡.
  expect_form(write_poem(model, simplified, start_request("舉頭望明月")), 5, 4, U"举头望明月");
  expect_form(write_poem(model, simplified, acrostic_request("春夏故鄉")), 5, 4, U"", U"春夏故乡");

  const Vocab traditional = poem_vocab("舉頭望明月低思故鄉春夏秋冬", "traditional");
  LanguageModel model_t = random_model(CellKind::Lstm, traditional.size(), 3, 8, 16, 1);
  expect_form(write_poem(model_t, traditional, start_request("举头望明月")), 5, 4, U"舉頭望明月");
}

TEST(PoemWriter, ConversionKeepsACharacterTheVocabularyHas) {
  // OpenCC simplifies 後 to 后, which this vocabulary lacks; 後 itself is in it.
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  ASSERT_FALSE(vocab.find("后"));
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  expect_form(write_poem(model, vocab, start_request("後山明月光")), 5, 4, U"後山明月光");
}

TEST(PoemWriter, CharactersNoConversionBringsInAreNamed) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  const std::string four_byte =
      error_of([&] { write_poem(model, vocab, start_request("床前明月\U00020000")); });
  EXPECT_NE(four_byte.find("\"\U00020000\""), std::string::npos) << four_byte;
  // 鵬 becomes 鹏, which is not in the vocabulary either.
  const std::string converted =
      error_of([&] { write_poem(model, vocab, acrostic_request("春鵬")); });
  EXPECT_NE(converted.find("\"鹏\""), std::string::npos) << converted;
  PoemRequest style = start_request("床前明月光");
  style.style = "大漠孤烟直";
  const std::string style_error = error_of([&] { write_poem(model, vocab, style); });
  EXPECT_NE(style_error.find("\"漠\""), std::string::npos) << style_error;
  EXPECT_THROW(write_poem(model, vocab, acrostic_request("春鵬")), OutOfVocabularyError);
}

TEST(PoemWriter, StyleSetsTheMoodWithoutBeingPrinted) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  // Larger weights than PyTorch's initialisation: a state that remembers, and peaked outputs.
  for (Parameter* p : model.parameters()) {
    for (float& w : p->value.span()) w *= 5;
  }
  int differ = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    PoemRequest styled = start_request("床前明月光", seed);
    styled.style = "秋风吹落花，江河照明月。";
    const Poem with_style = write_poem(model, vocab, styled);
    expect_form(with_style, 5, 4, U"床前明月光");
    differ +=
        with_style.text() != write_poem(model, vocab, start_request("床前明月光", seed)).text();
  }
  EXPECT_GT(differ, 0);
}

TEST(PoemWriter, TrailingMarkAndWhitespaceAreAccepted) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  expect_form(write_poem(model, vocab, start_request(" 床前明月光，\r\n")), 5, 4, U"床前明月光");
}

TEST(PoemWriter, AsciiMarksSeparateTheStartsLines) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  for (const std::string start : {"床前明月光,疑是地上霜.", "床前明月光;疑是地上霜!"}) {
    PoemRequest request = start_request(start);
    request.sampling.seed = 3;
    const Poem poem = write_poem(model, vocab, request);
    EXPECT_EQ(poem.couplets.at(0), "床前明月光，疑是地上霜。") << start;
  }
}

TEST(PoemWriter, RejectsBadInput) {
  const Vocab vocab = poem_vocab(kSimplifiedChars);
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  auto fails = [&](const PoemRequest& r, const std::string& expected) {
    const std::string message = error_of([&] { write_poem(model, vocab, r); });
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  };
  fails(start_request(""), "empty start: give the first line");
  fails(start_request(" \u3000 "), "empty start: give the first line");
  fails(start_request("床前明月"), "5 or 7");
  fails(start_request("床前明月光疑"), "5 or 7");
  PoemRequest longer = start_request("床前明月光疑是地");
  longer.form = 7;
  fails(longer, "more than the 7");
  PoemRequest six = start_request("床前明月光");
  six.form = 6;
  fails(six, "5 or 7");
  fails(start_request("床前#明月"), "\"#\"");
  PoemRequest short_first = start_request("床前明月，疑是地上霜");
  short_first.form = 5;
  fails(short_first, "the start line has 4 characters, not the 5");
  fails(start_request("床前明月光，，疑是"), "empty line");
  PoemRequest too_many = start_request("床前明月光，疑是地上霜，举头望明月");
  too_many.lines = 2;
  fails(too_many, "3 lines, more than the poem's 2");
  fails(start_request("床前明月a"), "only Han");
  fails(acrostic_request("春夏秋冬风花雪月山水天人日夜江河云"), "at most 16");
  fails(acrostic_request("春a"), "\"a\"");
  PoemRequest mismatch = acrostic_request("春夏秋冬");
  mismatch.lines = 8;
  fails(mismatch, "4 lines");
  PoemRequest many = start_request("床前明月光");
  many.lines = 17;
  fails(many, "16");
  PoemRequest both = start_request("床前明月光");
  both.acrostic = "春夏秋冬";
  fails(both, "not both");
  PoemRequest bad_sampling = start_request("床前明月光");
  bad_sampling.sampling.top_k = -1;
  fails(bad_sampling, "top_k");

  const Vocab no_start = Vocab::from_tokens({"床", "，", "。"}, TokenLevel::Char, {}, {});
  LanguageModel small = random_model(CellKind::Lstm, 3, 1, 4, 4, 1);
  EXPECT_THROW(write_poem(small, no_start, start_request("床床床床床")), Error);
  const Vocab no_marks =
      Vocab::from_tokens({"<START>", "床", "前"}, TokenLevel::Char, {"", "<START>", "", ""}, {});
  EXPECT_THROW(write_poem(small, no_marks, start_request("床床床床床")), Error);
}

TEST(PoemWriter, CheckPoemFormFindsEachFault) {
  const Poem good{{"床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"}};
  EXPECT_EQ(check_poem_form(good, 5, 4), "");
  EXPECT_NE(check_poem_form(good, 7, 4), "");
  EXPECT_NE(check_poem_form(good, 5, 6), "");
  EXPECT_NE(check_poem_form(Poem{{"床前明月光。疑是地上霜。", "举头望明月，低头思故乡。"}}, 5, 4),
            "");
  EXPECT_NE(check_poem_form(Poem{{"床前明月光，疑是地上霜，", "举头望明月，低头思故乡。"}}, 5, 4),
            "");
  EXPECT_NE(check_poem_form(Poem{{"床前明月光，疑是地上霜。", "举头望明月，低头思故乡"}}, 5, 4),
            "");
  EXPECT_NE(check_poem_form(Poem{{"床前明月光，疑是地上霜。", "举头望明a，低头思故乡。"}}, 5, 4),
            "");
  EXPECT_NE(check_poem_form(Poem{{"床前明月光，疑是地上霜。", "举头望明月，低头思故乡。。"}}, 5, 4),
            "");
  EXPECT_EQ(check_poem_form(Poem{{"春风吹落花，夏日照山河。", "秋月明朗照。"}}, 5, 3), "");
  EXPECT_NE(check_poem_form(Poem{{"春风吹落花，夏日照山河。", "秋月明朗照，"}}, 5, 3), "");
}

TEST(PoemWriter, ParsesInteractiveInput) {
  PoemRequest r;
  parse_poem_input("  床前明月光 \r", r);
  EXPECT_EQ(r.start, "床前明月光");
  EXPECT_EQ(r.acrostic, "");
  for (const char* line :
       {"藏头:春夏秋冬", "藏头：春夏秋冬", "藏頭:春夏秋冬", " 藏头: 春夏秋冬\n"}) {
    parse_poem_input(line, r);
    EXPECT_EQ(r.acrostic, "春夏秋冬") << line;
    EXPECT_EQ(r.start, "") << line;
  }
  parse_poem_input("藏头春夏", r);
  EXPECT_EQ(r.start, "藏头春夏");
  EXPECT_EQ(r.acrostic, "");
}

}  // namespace
}  // namespace rnnkit
