#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "error_of.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/poem_corpus.h"
#include "rnnkit/rng.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

using testing::error_of;

namespace fs = std::filesystem;

const std::string kPoems = std::string(RNNKIT_FIXTURE_DIR) + "/poems";

std::optional<std::string> clean(const std::vector<std::string>& paragraphs) {
  const std::optional<std::u32string> poem = clean_poem(paragraphs);
  if (!poem) return std::nullopt;
  return utf8::encode(*poem);
}

std::vector<std::string> encode_all(const std::vector<std::u32string>& poems) {
  std::vector<std::string> out;
  for (const auto& poem : poems) out.push_back(utf8::encode(poem));
  return out;
}

// A temporary directory removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("rnnkit_poems_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

// --- clean_poem: cases from the data notes (research/data-notes.md, section 6) ---

TEST(CleanPoem, JoinsParagraphsAndKeepsVersePunctuation) {
  EXPECT_EQ(clean({"床前看月光，疑是地上霜。", "舉頭望山月，低頭思故鄉。"}),
            "床前看月光，疑是地上霜。舉頭望山月，低頭思故鄉。");
  EXPECT_EQ(clean({"君不見？黃河之水天上來！", "奔流到海；不復回：朝、暮。"}),
            "君不見？黃河之水天上來！奔流到海；不復回：朝、暮。");
}

TEST(CleanPoem, RemovesVariantNotesNonGreedily) {
  // Greedy （.*） would also delete 疑是地上霜 between the two notes.
  EXPECT_EQ(clean({"邏人（一作「叉」）看月光，疑是（一作『似』）地上霜。"}),
            "邏人看月光，疑是地上霜。");
}

TEST(CleanPoem, RemovesNotesSpanningParagraphs) {
  // Paragraphs equal to "）。" or "。" close a note that began in an earlier paragraph.
  EXPECT_EQ(clean({"白日依山盡，黃河入海流。", "（一本題作", "「登樓」，見《文苑英華》卷二）。",
                   "欲窮千里目，更上一層樓。", "（以上見《全唐詩》", "）。", "。"}),
            "白日依山盡，黃河入海流。欲窮千里目，更上一層樓。");
}

TEST(CleanPoem, RemovesNestedNotesWhole) {
  EXPECT_EQ(clean({"寂寂金庭洞，清香發桂枝。（見「九真」（五函四十二冊）。按詩共二首。）"}),
            "寂寂金庭洞，清香發桂枝。");
}

TEST(CleanPoem, UnclosedOrStrayParenthesisDropsThePoem) {
  EXPECT_EQ(clean({"寂寂金庭洞，清香發桂枝。（見《永樂大典》"}), std::nullopt);
  EXPECT_EQ(clean({"寂寂金庭洞，清香發桂枝。）"}), std::nullopt);
}

TEST(CleanPoem, QuotesAndTitlesOutsideNotesDropThePoem) {
  EXPECT_EQ(clean({"練容飡沆瀣，濯足咏「滄浪」。"}), std::nullopt);
  EXPECT_EQ(clean({"羞人不道《想夫憐》。"}), std::nullopt);
}

TEST(CleanPoem, DropsLostCharacters) {
  EXPECT_EQ(clean({"□□生南國，春來發幾枝。"}), std::nullopt);
  EXPECT_EQ(clean({"紅豆生南國，春來發幾枝。", "願君多□擷，此物最相思。"}), std::nullopt);
}

TEST(CleanPoem, DropsComposedGlyphsAndOtherSymbols) {
  EXPECT_EQ(clean({"{𥫗/戢}山春色，春來發幾枝。"}), std::nullopt);
  EXPECT_EQ(clean({"{炙火=肉}山春色，春來發幾枝。"}), std::nullopt);
  EXPECT_EQ(clean({"春來發幾枝，歲在一○七七。"}), std::nullopt);  // ○ U+25CB
  EXPECT_EQ(clean({"Ｂ銅缾春色，春來發幾枝。"}), std::nullopt);
  EXPECT_EQ(clean({"春來發幾枝，春色滿園 中。"}), std::nullopt);
  EXPECT_EQ(clean({"春來發幾枝，\uE829色滿園中。"}), std::nullopt);  // private use area
  EXPECT_EQ(clean({"春來發幾枝，⻊色滿園中。"}), std::nullopt);      // radical U+2ECA
  EXPECT_EQ(clean({"春來發幾枝，⿰色滿園中。"}), std::nullopt);      // IDS U+2FF0
}

TEST(CleanPoem, KeepsEditorSuppliedCharactersAndDropsNoteNumbers) {
  EXPECT_EQ(clean({"[爽]節在重九，海瀆常[晏]。"}), "爽節在重九，海瀆常晏。");
  EXPECT_EQ(clean({"鄉路轅思北，[鄉關夢不成]。"}), "鄉路轅思北，鄉關夢不成。");
  EXPECT_EQ(clean({"寧知猗[一]梧鳳，下流不可居[二]。", "斯言可佩服[一二]，[10]何所從。"}),
            "寧知猗梧鳳，下流不可居。斯言可佩服，何所從。");
  EXPECT_EQ(clean({"迨[□]此躋覽，依然是疇昔。"}), std::nullopt);
  EXPECT_EQ(clean({"迨[]此躋覽，依然是疇昔。"}), std::nullopt);
  EXPECT_EQ(clean({"迨[此躋覽，依然是疇昔。"}), std::nullopt);
}

TEST(CleanPoem, RemovesNoteNumbersInLenticularBrackets) {
  EXPECT_EQ(clean({"寂寂金庭洞〖1〗，清香發桂枝〖一○七七〗。"}), "寂寂金庭洞，清香發桂枝。");
}

TEST(CleanPoem, KeepsFourByteCharacters) {
  // U+23641 and U+25AD7 are CJK Extension B: 4-byte UTF-8, one code point each.
  const auto poem = clean_poem({"禾黍積場圃，\U00023641梨垂戶\U00025AD7。"});
  ASSERT_TRUE(poem.has_value());
  EXPECT_EQ(poem->size(), 12u);
  EXPECT_EQ((*poem)[6], U'\U00023641');
  EXPECT_EQ((*poem)[10], U'\U00025AD7');
}

TEST(CleanPoem, CollapsesPunctuationLeftByNotes) {
  EXPECT_EQ(clean({"夜來風雨聲，花落知多少。", "（注）。"}), "夜來風雨聲，花落知多少。");
  EXPECT_EQ(clean({"何處是歸程？", "（一作「何」）。"}), "何處是歸程？");
  EXPECT_EQ(clean({"（序文）。", "春眠不覺曉，處處聞啼鳥。"}), "春眠不覺曉，處處聞啼鳥。");
  EXPECT_EQ(clean({"春眠不覺曉。。。處處聞啼鳥。"}), "春眠不覺曉。處處聞啼鳥。");
}

TEST(CleanPoem, DropsEmptyPoems) {
  EXPECT_EQ(clean({}), std::nullopt);
  EXPECT_EQ(clean({""}), std::nullopt);
  EXPECT_EQ(clean({"（以上三首見《全唐詩》。）", "。"}), std::nullopt);
}

TEST(CleanPoem, ReadsAsciiVerseMarksAsFullWidth) {
  // As `rnnkit poem --start` reads them: a poem typed without a Chinese input method.
  EXPECT_EQ(clean({"床前明月光,疑是地上霜.", "举头望明月;低头思故乡!"}),
            "床前明月光，疑是地上霜。举头望明月；低头思故乡！");
  EXPECT_EQ(clean({"君不見?黃河之水天上來:奔流到海不復回..."}),
            "君不見？黃河之水天上來：奔流到海不復回。");
  EXPECT_EQ(clean({"床前明月光,疑是地上霜a"}), std::nullopt);
}

TEST(FullWidthVerseMark, MapsTheAsciiMarksOnly) {
  const std::u32string ascii = U",.?!;:", full_width = U"，。？！；：";
  for (size_t k = 0; k < ascii.size(); ++k)
    EXPECT_EQ(full_width_verse_mark(ascii[k]), full_width[k]);
  for (char32_t c : {U'，', U'、', U'a', U'-', U'月', U'"'}) EXPECT_EQ(full_width_verse_mark(c), c);
}

TEST(CleanPoem, InvalidUtf8IsAnError) {
  EXPECT_THROW(clean_poem({"春眠\xff"}), Error);
}

TEST(IsHan, CoversTheIdeographBlocksOnly) {
  for (char32_t c :
       {U'一', U'\u9FFF', U'\u3400', U'\uF900', U'\U00020000', U'\U0002F800', U'\U00030000'}) {
    EXPECT_TRUE(is_han(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'，', U'□', U'○', U'〇', U'a', U'\uE829', U'⻊', U'⿰', U'\U00010000'}) {
    EXPECT_FALSE(is_han(c)) << static_cast<uint32_t>(c);
  }
}

TEST(HasRegularForm, CountsLinesOfEqualLength) {
  EXPECT_TRUE(has_regular_form(U"床前看月光，疑是地上霜。舉頭望山月，低頭思故鄉。", 5));
  EXPECT_FALSE(has_regular_form(U"床前看月光，疑是地上霜。舉頭望山月，低頭思故鄉。", 7));
  EXPECT_TRUE(has_regular_form(U"朝辭白帝彩雲間，千里江陵一日還。", 7));
  EXPECT_TRUE(has_regular_form(U"何處是歸程？長亭更短亭！", 5));
  EXPECT_TRUE(has_regular_form(U"何處是歸程；長亭更短亭", 5));  // the last line need not end
  EXPECT_FALSE(has_regular_form(U"床前看月光，疑是地上霜。舉頭望山月。", 5));  // 3 lines
  EXPECT_FALSE(has_regular_form(U"床前看月光。", 5));                          // 1 line
  EXPECT_FALSE(has_regular_form(U"床前看月光，疑是地上霜霜。", 5));
  EXPECT_FALSE(has_regular_form(U"床前看月，疑是地上霜。", 5));
  EXPECT_FALSE(has_regular_form(U"床前：月光，疑是地上霜。", 5));  // ：does not end a line
  EXPECT_FALSE(has_regular_form(U"", 5));
}

// --- files ---

TEST(ListPoemFiles, NumericOrderAndOnlyTangFiles) {
  std::vector<std::string> names;
  for (const auto& path : list_poem_files(kPoems + "/corpus")) {
    names.push_back(fs::path(path).filename().string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"poet.tang.0.json", "poet.tang.1000.json",
                                             "poet.tang.2000.json", "poet.tang.10000.json"}));
}

TEST(ListPoemFiles, MissingOrEmptyDirectoryIsAnErrorWithAHint) {
  const std::string missing = error_of([] { list_poem_files(kPoems + "/no_such_dir"); });
  EXPECT_NE(missing.find("no_such_dir"), std::string::npos) << missing;
  EXPECT_NE(missing.find("fetch_poems.sh"), std::string::npos) << missing;
  TempDir dir;
  dir.write("poet.song.0.json", "[]");
  const std::string empty = error_of([&] { list_poem_files(dir.path.string()); });
  EXPECT_NE(empty.find("no poet.tang.N.json"), std::string::npos) << empty;
}

PoemPrepareOptions all_in_train(std::string script = "traditional") {
  PoemPrepareOptions options;
  options.script = std::move(script);
  options.valid_fraction = 0.0;
  return options;
}

// The fixture holds 10 poems (see tests/fixtures/poems/corpus): 2 unusable (□, {…}), 1 empty,
// 1 duplicate of 靜夜思, which leaves 6, in file order 0, 1000, 2000, 10000.
TEST(LoadPoemCorpus, ReadsFilesInNumericOrderAndCleans) {
  const PoemCorpus corpus = load_poem_corpus(kPoems + "/corpus", all_in_train());
  EXPECT_EQ(encode_all(corpus.train),
            (std::vector<std::string>{
                "牀前看月光，疑是地上霜。舉頭望山月，低頭思故鄉。",
                "春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。",
                "紅豆生南國，春來發幾枝。願君多採擷，此物最相思。",
                "朝辭白帝彩雲間，千里江陵一日還。兩岸猿聲啼不住，輕舟已過萬重山。",
                "白日依山盡，黃河入海流。欲窮千里目，更上一層樓。",
                "田家喜秋熟，歲晏林葉稀。禾黍積場圃，\U00023641梨垂戶扉。",
            }));
  EXPECT_TRUE(corpus.valid.empty());
  EXPECT_EQ(corpus.counts.read, 10);
  EXPECT_EQ(corpus.counts.unusable, 3);
  EXPECT_EQ(corpus.counts.duplicates, 1);
  EXPECT_EQ(corpus.counts.wrong_form, 0);
  EXPECT_EQ(corpus.counts.too_long, 0);
}

TEST(LoadPoemCorpus, ConvertsToSimplifiedByDefault) {
  PoemPrepareOptions options;
  options.valid_fraction = 0.0;
  const PoemCorpus corpus = load_poem_corpus(kPoems + "/corpus", options);
  ASSERT_EQ(corpus.train.size(), 6u);
  EXPECT_EQ(utf8::encode(corpus.train[0]), "床前看月光，疑是地上霜。举头望山月，低头思故乡。");
  EXPECT_EQ(utf8::encode(corpus.train[2]), "红豆生南国，春来发几枝。愿君多采撷，此物最相思。");
}

TEST(LoadPoemCorpus, FormFilter) {
  PoemPrepareOptions options = all_in_train();
  options.form = 7;
  const PoemCorpus seven = load_poem_corpus(kPoems + "/corpus", options);
  EXPECT_EQ(encode_all(seven.train),
            (std::vector<std::string>{
                "朝辭白帝彩雲間，千里江陵一日還。兩岸猿聲啼不住，輕舟已過萬重山。"}));
  EXPECT_EQ(seven.counts.wrong_form, 5);
  options.form = 5;
  const PoemCorpus five = load_poem_corpus(kPoems + "/corpus", options);
  EXPECT_EQ(five.train.size(), 5u);
  EXPECT_EQ(five.counts.wrong_form, 1);
}

TEST(LoadPoemCorpus, MaxLengthDropsLongerPoems) {
  PoemPrepareOptions options = all_in_train();
  options.max_length = 24;  // the 5x4 poems have 24 characters, the 7x4 one 32
  const PoemCorpus corpus = load_poem_corpus(kPoems + "/corpus", options);
  EXPECT_EQ(corpus.train.size(), 5u);
  EXPECT_EQ(corpus.counts.too_long, 1);
  options.max_length = 32;
  EXPECT_EQ(load_poem_corpus(kPoems + "/corpus", options).train.size(), 6u);
}

TEST(LoadPoemCorpus, MalformedJsonNamesTheFileAndThePosition) {
  const std::string file = kPoems + "/malformed_json/poet.tang.0.json";
  const std::string message =
      error_of([] { load_poem_corpus(kPoems + "/malformed_json", all_in_train()); });
  EXPECT_NE(message.find(file), std::string::npos) << message;
  EXPECT_NE(message.find("invalid JSON at byte"), std::string::npos) << message;
  // The missing comma is on line 6 (counted by hand in the fixture).
  EXPECT_NE(message.find("line 6"), std::string::npos) << message;
}

TEST(LoadPoemCorpus, ANumberBeyondADoubleNamesTheFile) {
  const TempDir dir;
  dir.write("poet.tang.0.json",
            "[{\"id\": 1e400, \"paragraphs\": [\"床前看月光，疑是地上霜。\"]}]");
  const std::string message = error_of([&] { load_poem_corpus(dir.path, all_in_train()); });
  EXPECT_NE(message.find("poet.tang.0.json: invalid JSON: number overflow parsing '1e400'"),
            std::string::npos)
      << message;
}

TEST(LoadPoemCorpus, PoemWithoutParagraphsNamesFileAndIndex) {
  const std::string message =
      error_of([] { load_poem_corpus(kPoems + "/no_paragraphs", all_in_train()); });
  EXPECT_NE(message.find("no_paragraphs/poet.tang.0.json: poem 1 "), std::string::npos) << message;
  EXPECT_NE(message.find("\"paragraphs\""), std::string::npos) << message;
}

TEST(LoadPoemCorpus, ParagraphThatIsNotAStringNamesFileAndIndex) {
  const std::string message =
      error_of([] { load_poem_corpus(kPoems + "/paragraph_not_string", all_in_train()); });
  EXPECT_NE(message.find("paragraph_not_string/poet.tang.0.json: poem 1 "), std::string::npos)
      << message;
  EXPECT_NE(message.find("number"), std::string::npos) << message;
}

TEST(LoadPoemCorpus, TopLevelMustBeAnArray) {
  const std::string message =
      error_of([] { load_poem_corpus(kPoems + "/not_an_array", all_in_train()); });
  EXPECT_NE(message.find("not_an_array/poet.tang.0.json"), std::string::npos) << message;
  EXPECT_NE(message.find("array"), std::string::npos) << message;
}

TEST(LoadPoemCorpus, RejectsBadOptions) {
  const std::string dir = kPoems + "/corpus";
  PoemPrepareOptions options;
  options.script = "cyrillic";
  EXPECT_NE(error_of([&] { load_poem_corpus(dir, options); }).find("cyrillic"), std::string::npos);
  options = PoemPrepareOptions();
  options.form = 6;
  EXPECT_THROW(load_poem_corpus(dir, options), Error);
  options = PoemPrepareOptions();
  options.valid_fraction = 1.0;
  EXPECT_THROW(load_poem_corpus(dir, options), Error);
  options.valid_fraction = -0.1;
  EXPECT_THROW(load_poem_corpus(dir, options), Error);
  options = PoemPrepareOptions();
  options.max_length = -1;
  EXPECT_THROW(load_poem_corpus(dir, options), Error);
}

TEST(LoadPoemCorpus, NothingLeftIsAnError) {
  PoemPrepareOptions options = all_in_train();
  options.max_length = 5;
  const std::string message = error_of([&] { load_poem_corpus(kPoems + "/corpus", options); });
  EXPECT_NE(message.find("no poem"), std::string::npos) << message;
  // The fixture's first poem, 靜夜思, is the first of the 6 too long.
  EXPECT_NE(message.find("6 longer than 5 characters, the first " + kPoems +
                         "/corpus/poet.tang.0.json: poem 0 (0-based) has 24 characters"),
            std::string::npos)
      << message;
}

// A corpus of one file whose poems are these texts, each one paragraph.
struct OneFileCorpus : TempDir {
  explicit OneFileCorpus(const std::vector<std::string>& poems) {
    std::string json = "[";
    for (size_t i = 0; i < poems.size(); ++i)
      json += std::string(i ? "," : "") + "{\"paragraphs\": [\"" + poems[i] + "\"]}";
    write("poet.tang.0.json", json + "]");
  }
  std::string file() const { return (path / "poet.tang.0.json").string(); }
};

TEST(LoadPoemCorpus, NothingLeftNamesEachReasonWithItsFirstPoem) {
  const OneFileCorpus dir({"□□生南國，春來發幾枝。", "白日依山盡，黃河入海流。",
                           "白日依山盡，黃河入海流。", "（注）。"});
  PoemPrepareOptions options = all_in_train();
  options.form = 7;
  const std::string message = error_of([&] { load_poem_corpus(dir.path.string(), options); });
  EXPECT_NE(message.find("(4 read: "), std::string::npos) << message;
  EXPECT_NE(message.find("2 unusable, the first " + dir.file() +
                         ": poem 0 (0-based) holds \"□\" (U+25A1), neither a Han character nor "
                         "verse punctuation"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("1 duplicate, the first " + dir.file() + ": poem 2 (0-based) repeats " +
                         dir.file() + ": poem 1 (0-based)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("1 not of the form of 7-character lines, the first " + dir.file() +
                         ": poem 1 (0-based) line 1 (\"白日依山盡\") has 5 characters"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("longer than"), std::string::npos) << message;
}

TEST(LoadPoemCorpus, AsciiPunctuatedPoemsAreRead) {
  const OneFileCorpus dir({"床前明月光,疑是地上霜.举头望明月,低头思故乡.",
                           "白日依山尽，黄河入海流。欲穷千里目,更上一层楼."});
  const PoemCorpus corpus = load_poem_corpus(dir.path.string(), all_in_train());
  EXPECT_EQ(encode_all(corpus.train), (std::vector<std::string>{
                                          "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
                                          "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。",
                                      }));
  EXPECT_EQ(corpus.counts.unusable, 0);
}

TEST(HasRegularForm, IrregularPoemsNamedInTheErrorForEachKindOfFault) {
  // What the error says for each way has_regular_form fails (poem 0 of a one-poem corpus).
  auto why = [](const std::string& poem) {
    const OneFileCorpus dir({poem});
    PoemPrepareOptions options = all_in_train();
    options.form = 5;
    return error_of([&] { load_poem_corpus(dir.path.string(), options); });
  };
  EXPECT_NE(why("床前看月光，疑是地上霜。舉頭望山月。").find("has 3 lines, not an even number"),
            std::string::npos);
  EXPECT_NE(why("床前：月光，疑是地上霜。").find("line 1 (\"床前：月光\") holds \"：\" (U+FF1A)"),
            std::string::npos);
  EXPECT_NE(why("床前看月光，疑是地上霜霜。").find("line 2 (\"疑是地上霜霜\") has 6 characters"),
            std::string::npos);
}

// --- the split, on a generated corpus of distinct poems ---

// Poem i: four 5-character lines whose characters spell i; all distinct, all regular.
std::u32string numbered_poem(int i) {
  std::u32string poem;
  for (int line = 0; line < 4; ++line) {
    for (int k = 0; k < 5; ++k) poem += static_cast<char32_t>(0x4E00 + (i * 20 + line * 5 + k));
    poem += line % 2 == 0 ? U'，' : U'。';
  }
  return poem;
}

struct GeneratedCorpus : TempDir {
  explicit GeneratedCorpus(int n) {
    std::string json = "[";
    for (int i = 0; i < n; ++i) {
      json += std::string(i ? "," : "") + "{\"paragraphs\": [\"" + utf8::encode(numbered_poem(i)) +
              "\"]}";
    }
    write("poet.tang.0.json", json + "]");
  }
};

TEST(LoadPoemCorpus, SplitIsDeterministicDisjointAndComplete) {
  const int n = 200;
  GeneratedCorpus dir(n);
  PoemPrepareOptions options = all_in_train();
  options.valid_fraction = 0.25;
  const PoemCorpus a = load_poem_corpus(dir.path.string(), options);
  const PoemCorpus b = load_poem_corpus(dir.path.string(), options);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.valid, b.valid);
  ASSERT_EQ(a.valid.size(), 50u);  // floor(200 * 0.25)
  ASSERT_EQ(a.train.size(), 150u);

  std::set<std::u32string> all(a.train.begin(), a.train.end());
  all.insert(a.valid.begin(), a.valid.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(n));  // disjoint, and every poem is in one part
  for (int i = 0; i < n; ++i) EXPECT_EQ(all.count(numbered_poem(i)), 1u) << i;

  // The documented split: the last 50 of a Fisher-Yates shuffle drawn with Rng(split_seed).
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(options.split_seed);
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  std::vector<int> valid_indices(order.end() - 50, order.end());
  std::sort(valid_indices.begin(), valid_indices.end());  // each part keeps corpus order
  std::vector<std::u32string> expected_valid;
  for (int i : valid_indices) expected_valid.push_back(numbered_poem(i));
  EXPECT_EQ(a.valid, expected_valid);

  options.split_seed = 99;
  const PoemCorpus c = load_poem_corpus(dir.path.string(), options);
  EXPECT_EQ(c.valid.size(), 50u);
  EXPECT_NE(c.valid, a.valid);
}

PoemPrepareOptions asked_fraction(double fraction) {
  PoemPrepareOptions options = all_in_train();
  options.valid_fraction = fraction;
  options.valid_fraction_asked = true;
  return options;
}

TEST(LoadPoemCorpus, AskedFractionThatHoldsNoPoemOutIsAnError) {
  GeneratedCorpus dir(604);
  const std::string message =
      error_of([&] { load_poem_corpus(dir.path.string(), asked_fraction(0.001)); });
  EXPECT_NE(message.find("a validation fraction of 0.001 of the 604 poems of " + dir.path.string() +
                         " holds out none"),
            std::string::npos)
      << message;
  // 1/604 = 0.0016556..., rounded up.
  EXPECT_NE(message.find("the smallest fraction that holds one out is 0.00166"), std::string::npos)
      << message;
  EXPECT_EQ(load_poem_corpus(dir.path.string(), asked_fraction(0.00166)).valid.size(), 1u);
  // A default fraction (train --poems without --valid-fraction) may hold none out.
  PoemPrepareOptions by_default = asked_fraction(0.001);
  by_default.valid_fraction_asked = false;
  EXPECT_TRUE(load_poem_corpus(dir.path.string(), by_default).valid.empty());
}

TEST(LoadPoemCorpus, SuggestedFractionHoldsOneOut) {
  // 1/50 is 0.02 (not pushed up to 0.0201); 1/49 = 0.020408... rounds up to 0.0205.
  for (const auto& [n, suggested] : {std::pair{50, 0.02}, std::pair{49, 0.0205}}) {
    GeneratedCorpus dir(n);
    const std::string message =
        error_of([&] { load_poem_corpus(dir.path.string(), asked_fraction(0.01)); });
    EXPECT_NE(
        message.find("the smallest fraction that holds one out is " + formatted("%g", suggested)),
        std::string::npos)
        << message;
    EXPECT_EQ(load_poem_corpus(dir.path.string(), asked_fraction(suggested)).valid.size(), 1u);
  }
  GeneratedCorpus one(1);
  EXPECT_NE(error_of([&] {
              load_poem_corpus(one.path.string(), asked_fraction(0.5));
            }).find("holding one out needs at least 2 poems"),
            std::string::npos);
}

TEST(LoadPoemCorpus, DuplicatesNeverReachBothParts) {
  TempDir dir;
  std::string json = "[";
  for (int i = 0; i < 100; ++i) {
    const std::string poem = utf8::encode(numbered_poem(i % 10));  // each text 10 times
    json += std::string(i ? "," : "") + "{\"paragraphs\": [\"" + poem + "\"]}";
  }
  dir.write("poet.tang.0.json", json + "]");
  PoemPrepareOptions options = all_in_train();
  options.valid_fraction = 0.5;
  const PoemCorpus corpus = load_poem_corpus(dir.path.string(), options);
  EXPECT_EQ(corpus.counts.duplicates, 90);
  EXPECT_EQ(corpus.train.size() + corpus.valid.size(), 10u);
  for (const auto& poem : corpus.valid) {
    EXPECT_EQ(std::count(corpus.train.begin(), corpus.train.end(), poem), 0);
  }
}

}  // namespace
}  // namespace rnnkit
