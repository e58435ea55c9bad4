// write_poem with `rhyme` and `tones`: on the shipped model over a sweep of seeds the form, the
// acrostic heads, the rhyme and the tonal template hold together; a start decides the rhyme; a
// character missing from the rhyme table is never drawn where the rules bind; when the rules
// leave no character they are relaxed instead of failing. The templates are written out here by
// hand (王力《诗词格律》), not taken from the library.
#include <gtest/gtest.h>

#include "rnnkit/language_model_file.h"
#include "rnnkit/poem_writer.h"
#include "rnnkit/rhyme_table.h"
#include "rnnkit/utf8.h"
#include "tiny_language_models.h"

namespace rnnkit {
namespace {

const std::string kModel = std::string(RNNKIT_SOURCE_DIR) + "/models/tang_lstm.safetensors";

// Quatrains by (form, tone of line 1's second character); 五言 without and 七言 with a rhyming
// first line, the openings write_poem uses when no start decides.
const std::u32string& quatrain(int form, uint8_t second_tone) {
  static const std::u32string five_oblique = U"仄仄平平仄平平仄仄平平平平仄仄仄仄仄平平";
  static const std::u32string five_level = U"平平平仄仄仄仄仄平平仄仄平平仄平平仄仄平";
  static const std::u32string seven_level =
      U"平平仄仄仄平平仄仄平平仄仄平仄仄平平平仄仄平平仄仄仄平平";
  static const std::u32string seven_oblique =
      U"仄仄平平仄仄平平平仄仄仄平平平平仄仄平平仄仄仄平平仄仄平";
  if (form == 5) return second_tone == kLevelTone ? five_level : five_oblique;
  return second_tone == kLevelTone ? seven_level : seven_oblique;
}

// The lines of a poem, without their marks.
std::vector<std::u32string> lines_of(const Poem& poem) {
  std::vector<std::u32string> lines(1);
  for (const std::string& couplet : poem.couplets) {
    for (char32_t c : utf8::decode(couplet)) {
      if (c == U'，' || c == U'。') {
        lines.emplace_back();
      } else {
        lines.back() += c;
      }
    }
  }
  lines.pop_back();
  return lines;
}

const CharacterSound& sound_of(char32_t c) {
  const CharacterSound* sound = RhymeTable::shipped().find(c);
  if (!sound) throw std::runtime_error("not in the rhyme table: " + utf8::encode(c));
  return *sound;
}

// Even lines (and line 1 when `first_too`) end on level characters of one group.
void expect_rhyme(const std::vector<std::u32string>& lines, bool first_too, const Poem& poem) {
  const int group = sound_of(lines[1].back()).group;
  for (size_t k = first_too ? 0 : 1; k < lines.size(); k += k == 0 ? 1 : 2) {
    const CharacterSound& sound = sound_of(lines[k].back());
    EXPECT_EQ(sound.group, group) << "line " << k + 1 << "\n" << poem.text();
    EXPECT_EQ(sound.rhyme_tone, kLevelTone) << "line " << k + 1 << "\n" << poem.text();
  }
}

TEST(PoemConstraints, RhymeTonesAndAcrosticHoldOnEverySeed) {
  LoadedLanguageModel loaded = load_language_model(kModel);
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const int form = seed % 2 ? 5 : 7;
    PoemRequest request;
    request.acrostic = form == 5 ? "春夏秋冬" : "春花秋月";
    request.form = form;
    request.rhyme = request.tones = true;
    request.sampling.seed = seed;
    const Poem poem = write_poem(*loaded.model, *loaded.vocab, request);
    ASSERT_EQ(check_poem_form(poem, form, 4), "") << poem.text();
    const std::vector<std::u32string> lines = lines_of(poem);
    ASSERT_EQ(lines.size(), 4u);
    const std::u32string heads = utf8::decode(request.acrostic);
    for (size_t k = 0; k < 4; ++k) EXPECT_EQ(lines[k][0], heads[k]) << poem.text();
    expect_rhyme(lines, form == 7, poem);
    // The opening follows the drawn second character, which has a single tone.
    const uint8_t second = sound_of(lines[0][1]).tones;
    ASSERT_TRUE(second == kLevelTone || second == kObliqueTone) << poem.text();
    const std::u32string& tones = quatrain(form, second);
    for (size_t k = 0; k < 4; ++k) {
      for (int p = 1; p < form; p += p == form - 2 ? 1 : 2) {  // 2nd, 4th, (6th), last
        const uint8_t wanted =
            tones[k * form + static_cast<size_t>(p)] == U'平' ? kLevelTone : kObliqueTone;
        EXPECT_TRUE(sound_of(lines[k][static_cast<size_t>(p)]).tones & wanted)
            << "line " << k + 1 << " character " << p + 1 << "\n"
            << poem.text();
      }
    }
  }
}

TEST(PoemConstraints, TheStartDecidesTheRhyme) {
  LoadedLanguageModel loaded = load_language_model(kModel);
  const int you = sound_of(U'流').group, tang = sound_of(U'光').group;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    PoemRequest request;
    request.start = "白日依山尽，黄河入海流";  // line 2 ends on 流 liú (尤)
    request.lines = 8;
    request.rhyme = true;
    request.sampling.seed = seed;
    Poem poem = write_poem(*loaded.model, *loaded.vocab, request);
    ASSERT_EQ(check_poem_form(poem, 5, 8), "") << poem.text();
    EXPECT_EQ(poem.couplets[0], "白日依山尽，黄河入海流。");
    std::vector<std::u32string> lines = lines_of(poem);
    expect_rhyme(lines, false, poem);
    EXPECT_EQ(sound_of(lines[3].back()).group, you) << poem.text();

    request.start = "床前明月光";  // line 1 ends level, on 光 guāng (唐)
    request.lines = 4;
    request.tones = true;
    poem = write_poem(*loaded.model, *loaded.vocab, request);
    lines = lines_of(poem);
    expect_rhyme(lines, true, poem);
    EXPECT_EQ(sound_of(lines[1].back()).group, tang) << poem.text();
  }
}

Vocab poem_vocab(const std::string& han, const std::string& script = "simplified") {
  std::vector<std::string> tokens = {"<pad>", "<START>", "<EOP>", "，", "。"};
  for (char32_t c : utf8::decode(han)) tokens.push_back(utf8::encode(c));
  return Vocab::from_tokens(tokens, TokenLevel::Char, {"", "<START>", "<EOP>", "<pad>"},
                            {false, false, script});
}

PoemRequest ruled_request(const std::string& start, uint64_t seed) {
  PoemRequest request;
  request.start = start;
  request.form = 5;
  request.lines = 8;
  request.rhyme = request.tones = true;
  request.sampling.temperature = 1.0f;
  request.sampling.seed = seed;
  return request;
}

TEST(PoemConstraints, CharactersMissingFromTheTableAreNeverDrawnWhereTheRulesBind) {
  const std::u32string missing = U"㑹㒿㔉";
  for (char32_t c : missing) ASSERT_EQ(RhymeTable::shipped().find(c), nullptr);
  const Vocab vocab = poem_vocab("床前明月光霜乡天山流楼日去地上是故望" + utf8::encode(missing));
  LanguageModel model = testing::random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  int free_missing = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const Poem poem = write_poem(model, vocab, ruled_request("床", seed));
    ASSERT_EQ(check_poem_form(poem, 5, 8), "") << poem.text();
    for (const std::u32string& line : lines_of(poem)) {
      for (int p = 0; p < 5; ++p) {
        const bool is_missing = missing.find(line[static_cast<size_t>(p)]) != std::u32string::npos;
        if (p == 1 || p == 3 || p == 4) {
          EXPECT_FALSE(is_missing) << "character " << p + 1 << "\n" << poem.text();
        } else {
          free_missing += is_missing;
        }
      }
    }
  }
  EXPECT_GT(free_missing, 0);  // the rule is about positions: elsewhere they are drawn
}

// The table holds simplified characters; a model of the traditional corpus rhymes by the sounds
// of its characters' simplified forms. 鳥 (鸟 niǎo) ends the start's second line, an oblique
// rhyme; the fourth line must end on the same group and tone.
TEST(PoemConstraints, ATraditionalModelRhymesByItsCharactersSimplifiedSounds) {
  const CharacterSound& bird = sound_of(U'鸟');
  ASSERT_NE(bird.rhyme_tone, kLevelTone);
  // Traditional forms and their simplified ones, written out here: the rhymes of 鸟 among them.
  const std::u32string traditional = U"曉島繞嬌少小草老好掃", simplified = U"晓岛绕娇少小草老好扫";
  std::string rhymes;
  for (size_t i = 0; i < simplified.size(); ++i) {
    const CharacterSound* sound = RhymeTable::shipped().find(simplified[i]);
    if (sound && sound->group == bird.group && sound->rhyme_tone == bird.rhyme_tone)
      rhymes += utf8::encode(traditional[i]);
  }
  ASSERT_GE(utf8::decode(rhymes).size(), 3u);
  const Vocab vocab = poem_vocab("春眠不覺處聞啼鳥夜來風雨聲花落知多" + rhymes, "traditional");
  LanguageModel model = testing::random_model(CellKind::Lstm, vocab.size(), 3, 8, 16, 1);
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    PoemRequest request;
    request.start = "春眠不覺" + utf8::encode(utf8::decode(rhymes)[0]) + "，處處聞啼鳥";
    request.lines = 4;
    request.rhyme = true;
    request.sampling.temperature = 1.0f;
    request.sampling.seed = seed;
    const Poem poem = write_poem(model, vocab, request);
    ASSERT_EQ(check_poem_form(poem, 5, 4), "") << poem.text();
    const char32_t end = lines_of(poem)[3].back();
    EXPECT_NE(utf8::decode(rhymes).find(end), std::u32string::npos) << poem.text();
  }
}

TEST(PoemConstraints, RulesThatLeaveNoCharacterAreRelaxedInOrder) {
  // Only two level characters of one group (光 霜) for four rhymes: they repeat, and every even
  // line still rhymes; the first two rhymes differ.
  const Vocab two_rhymes = poem_vocab("光霜月日去地上是故望");
  LanguageModel model = testing::random_model(CellKind::Lstm, two_rhymes.size(), 3, 8, 16, 1);
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const Poem poem = write_poem(model, two_rhymes, ruled_request("月日", seed));
    ASSERT_EQ(check_poem_form(poem, 5, 8), "") << poem.text();
    const std::vector<std::u32string> lines = lines_of(poem);
    for (size_t k = 1; k < 8; k += 2) {
      EXPECT_TRUE(lines[k].back() == U'光' || lines[k].back() == U'霜') << poem.text();
      if (k == 3) {
        EXPECT_NE(lines[1].back(), lines[3].back()) << poem.text();
      }
    }
  }
  // No character of the vocabulary is in the table: any Han character, and no failure.
  const Vocab none = poem_vocab("㑹㒿㔉㕙");
  LanguageModel other = testing::random_model(CellKind::Lstm, none.size(), 3, 8, 16, 1);
  for (uint64_t seed = 1; seed <= 3; ++seed)
    EXPECT_EQ(check_poem_form(write_poem(other, none, ruled_request("㑹", seed)), 5, 8), "");
}

}  // namespace
}  // namespace rnnkit
