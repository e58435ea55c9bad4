#include "error_of.h"
#include "rnnkit/text_corpus.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

using testing::error_of;

const std::string kTimeMachine = std::string(RNNKIT_SHARED_DATA_DIR) + "/timemachine.txt";

// A scratch directory of this test process, removed at the end.
class TextCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rnnkit_text_corpus_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  std::filesystem::path dir_;
};

TextCorpusOptions d2l_options(TokenLevel level) {
  TextCorpusOptions options;
  options.level = level;
  options.normalization.lowercase = true;
  options.normalization.letters_only = true;
  options.specials.unk = "<unk>";
  return options;
}

// d2l prints (170580, 28) for load_corpus_time_machine(): 26 letters, space and <unk>.
TEST_F(TextCorpusTest, ReproducesD2lTimeMachineCharacterCorpus) {
  const TextCorpus corpus = load_text_corpus(kTimeMachine, d2l_options(TokenLevel::Char));
  EXPECT_EQ(corpus.ids.size(), 170580u);
  EXPECT_EQ(corpus.vocab.size(), 28);
  EXPECT_EQ(corpus.vocab.unk_id(), 0);

  TextCorpusOptions no_unk = d2l_options(TokenLevel::Char);
  no_unk.specials = {};
  EXPECT_EQ(load_text_corpus(kTimeMachine, no_unk).vocab.size(), 27);

  // The file starts "The Time Machine, by H. G. Wells [1898]", four empty lines, "I", two empty
  // lines, "The Time Traveller (for so it will be convenient to speak of him)", "was ...".
  const std::string start =
      "the time machine by h g wellsithe time traveller for so it will be "
      "convenient to speak of himwas";
  const std::vector<int32_t> head(corpus.ids.begin(), corpus.ids.begin() + start.size());
  EXPECT_EQ(corpus.vocab.decode(head), start);
}

// d2l: 32,775 word tokens, 4,579 distinct words plus <unk>; its book prints the first entries
// [('<unk>', 0), ('the', 1), ('i', 2), ('and', 3), ('of', 4), ('a', 5), ('to', 6), ('was', 7),
//  ('in', 8), ('that', 9)].
TEST_F(TextCorpusTest, ReproducesD2lTimeMachineWordCorpus) {
  const TextCorpus corpus = load_text_corpus(kTimeMachine, d2l_options(TokenLevel::Word));
  EXPECT_EQ(corpus.ids.size(), 32775u);
  EXPECT_EQ(corpus.vocab.size(), 4580);
  const std::vector<std::string> first(corpus.vocab.tokens().begin(),
                                       corpus.vocab.tokens().begin() + 10);
  EXPECT_EQ(first, (std::vector<std::string>{"<unk>", "the", "i", "and", "of", "a", "to", "was",
                                             "in", "that"}));
}

// load_data_time_machine(batch_size, num_steps, max_tokens=10000) keeps 10,000 tokens and the
// full 28-token vocabulary.
TEST_F(TextCorpusTest, MaxTokensKeepsTheFirstTokensAndTheWholeVocabulary) {
  TextCorpusOptions options = d2l_options(TokenLevel::Char);
  const TextCorpus full = load_text_corpus(kTimeMachine, options);
  options.max_tokens = 10000;
  const TextCorpus corpus = load_text_corpus(kTimeMachine, options);
  EXPECT_EQ(corpus.ids.size(), 10000u);
  EXPECT_EQ(corpus.vocab.size(), 28);
  EXPECT_TRUE(std::equal(corpus.ids.begin(), corpus.ids.end(), full.ids.begin()));
  options.max_tokens = -1;
  EXPECT_THROW(load_text_corpus(kTimeMachine, options), Error);
}

TEST_F(TextCorpusTest, CharCorpusWithFourByteCharacters) {
  // 床前𠀀月光 (U+20000 is CJK Ext B, 4 bytes) then a newline, and 床 again.
  const std::string path = write("poem.txt",
                                 "\xE5\xBA\x8A\xE5\x89\x8D\xF0\xA0\x80\x80"
                                 "\xE6\x9C\x88\xE5\x85\x89\n\xE5\xBA\x8A");
  const TextCorpus corpus = load_text_corpus(path, {});
  // 床 counts 2 and comes first; the rest by code point: \n, 光 U+5149, 前 U+524D, 月 U+6708,
  // U+20000.
  EXPECT_EQ(corpus.vocab.tokens(),
            (std::vector<std::string>{"\xE5\xBA\x8A", "\n", "\xE5\x85\x89", "\xE5\x89\x8D",
                                      "\xE6\x9C\x88", "\xF0\xA0\x80\x80"}));
  EXPECT_EQ(corpus.ids, (std::vector<int32_t>{0, 3, 5, 4, 2, 1, 0}));
}

TEST_F(TextCorpusTest, WordCorpusWithEosAtLineEnds) {
  TextCorpusOptions options;
  options.level = TokenLevel::Word;
  options.specials.eos = "<eos>";
  options.specials.unk = "<unk>";
  const std::string path = write("ptb.txt", " the cat <unk> \n the dog \n");
  const TextCorpus corpus = load_text_corpus(path, options);
  // <unk> and <eos> first; "the" twice; cat, dog.
  EXPECT_EQ(corpus.vocab.tokens(),
            (std::vector<std::string>{"<unk>", "<eos>", "the", "cat", "dog"}));
  EXPECT_EQ(corpus.ids, (std::vector<int32_t>{2, 3, 0, 1, 2, 4, 1}));
  EXPECT_EQ(tokenize(" the cat <unk> \n the dog \n", options),
            (std::vector<std::string>{"the", "cat", "<unk>", "<eos>", "the", "dog", "<eos>"}));
}

TEST_F(TextCorpusTest, ReadTextFileReportsBadFiles) {
  const std::string missing = (dir_ / "missing.txt").string();
  EXPECT_EQ(error_of([&] { read_text_file(missing); }), "cannot open " + missing);
  const std::string empty = write("empty.txt", "");
  EXPECT_EQ(error_of([&] { read_text_file(empty); }), empty + " is empty");
  const std::string invalid = write("invalid.txt", "hello\xC3(");
  EXPECT_EQ(error_of([&] { read_text_file(invalid); }),
            invalid + ": invalid UTF-8 at byte offset 5");
  EXPECT_THROW(read_text_file(dir_.string()), Error);
}

// As Python's open() in text mode: a CRLF file (or an old Mac one) reads as its LF twin.
TEST_F(TextCorpusTest, ReadTextFileReadsLineEndsAsPythonsTextMode) {
  EXPECT_EQ(read_text_file(write("crlf.txt", "ab\r\ncd\r\n")), "ab\ncd\n");
  EXPECT_EQ(read_text_file(write("cr.txt", "ab\rcd\r\r\nx")), "ab\ncd\n\nx");
  EXPECT_EQ(read_text_file(write("lf.txt", "ab\ncd")), "ab\ncd");
}

TEST_F(TextCorpusTest, ReadTextFileDropsAByteOrderMark) {
  EXPECT_EQ(read_text_file(write("bom.txt", "\xEF\xBB\xBFhi\n")), "hi\n");
  const std::string only_bom = write("only_bom.txt", "\xEF\xBB\xBF");
  EXPECT_EQ(error_of([&] { read_text_file(only_bom); }), only_bom + " is empty");
}

// A text that arrives as a string (a request, Python) reads as a file of it does.
TEST(TextAsRead, DropsAByteOrderMarkAndReadsLineEndsAsAFileDoes) {
  EXPECT_EQ(text_as_read("\xEF\xBB\xBF"
                         "ab\r\ncd\rx\r\r\n"),
            "ab\ncd\nx\n\n");
  EXPECT_EQ(text_as_read("ab\ncd\xEF\xBB\xBF"), "ab\ncd\xEF\xBB\xBF");  // a BOM inside stays
}

TEST_F(TextCorpusTest, TextWithoutTokensAfterNormalizationIsAnError) {
  const std::string path = write("digits.txt", "1234 -- 5678\n!!!\n");
  EXPECT_EQ(error_of([&] { load_text_corpus(path, d2l_options(TokenLevel::Char)); }),
            path + " has no tokens left after normalization");
  const std::string blank = write("blank.txt", " \n\t\n");
  TextCorpusOptions words;
  words.level = TokenLevel::Word;
  EXPECT_THROW(load_text_corpus(blank, words), Error);
}

TEST_F(TextCorpusTest, PruningWithoutUnkNamesTheDroppedTokens) {
  TextCorpusOptions options;
  options.min_count = 2;
  const std::string path = write("rare.txt", "aabbc");
  const std::string message = error_of([&] { load_text_corpus(path, options); });
  EXPECT_NE(message.find("1 character is not in the vocabulary"), std::string::npos) << message;
  EXPECT_NE(message.find("\"c\""), std::string::npos) << message;
  options.specials.unk = "<unk>";
  EXPECT_EQ(load_text_corpus(path, options).ids, (std::vector<int32_t>{1, 1, 2, 2, 0}));
}

TEST_F(TextCorpusTest, EncodeTextFileUsesTheVocabularyAndNamesTheFile) {
  Normalization lower;
  lower.lowercase = true;
  const Vocab vocab = Vocab::from_tokens({"a", "b", " "}, TokenLevel::Char, {}, lower);
  EXPECT_EQ(encode_text_file(write("ok.txt", "AB ab"), vocab),
            (std::vector<int32_t>{0, 1, 2, 0, 1}));
  const std::string path = write("bad.txt", "abz\n");
  EXPECT_EQ(error_of([&] { encode_text_file(path, vocab); }),
            path +
                ", line 1: 2 characters are not in the vocabulary (which has no unk token): "
                "\"z\", \"\\n\"");
  // The line of the first unknown token; none where only its lowercased form is unknown.
  const Vocab lines = Vocab::from_tokens({"a", "b", "\n"}, TokenLevel::Char, {}, {});
  const std::string third = write("third.txt", "ab\nba\naqb\nq\n");
  EXPECT_EQ(error_of([&] { encode_text_file(third, lines); }),
            third +
                ", line 3: 1 character is not in the vocabulary (which has no unk token): "
                "\"q\"");
  const Vocab lowered = Vocab::from_tokens({"a", "\n"}, TokenLevel::Char, {}, lower);
  const std::string upper = write("upper.txt", "a\nQ\n");
  EXPECT_EQ(error_of([&] { encode_text_file(upper, lowered); }).substr(0, upper.size() + 10),
            upper + ", line 2: ");
  // The first unknown token as the vocabulary normalises it ("ñ" from line 2's "Ñ"), not the
  // later line that holds that form as written.
  const Vocab letters =
      Vocab::from_tokens({"a", "t", "h", "e", " ", "\n", "m", "n"}, TokenLevel::Char, {}, lower);
  const std::string accented = write("accented.txt",
                                     "the\nthe \xc3\x91"
                                     "a\nthe\nma\xc3\xb1"
                                     "ana\n");
  EXPECT_EQ(error_of([&] { encode_text_file(accented, letters); }).substr(0, accented.size() + 10),
            accented + ", line 2: ");
}

// A word after a blank that is not ASCII (U+3000) is found on its line, not where it stands alone.
TEST(ThrowAtLineOfUnknown, FindsAWordAfterAnyBlank) {
  const Vocab vocab = Vocab::from_tokens({"a", "b"}, TokenLevel::Word, {}, {});
  const std::string text = "a b\na\xe3\x80\x80zz b\nb\nzz\n";
  try {
    vocab.encode(text);
    ADD_FAILURE() << "no error";
  } catch (const OutOfVocabularyError& e) {
    EXPECT_EQ(error_of([&] { throw_at_line_of_unknown(e, text, vocab, "f.txt"); }).substr(0, 15),
              "f.txt, line 2: ");
  }
}

// At word level the unknown word is found as a whole word, not inside another.
TEST(ThrowAtLineOfUnknown, FindsAWordBetweenBlanks) {
  const Vocab vocab = Vocab::from_tokens({"cat", "cats", "<eos>"}, TokenLevel::Word, {}, {});
  const std::string text = "cats cat\ncat cats\nthe cat\n";
  try {
    vocab.encode(text);
    ADD_FAILURE() << "no error";
  } catch (const OutOfVocabularyError& e) {
    EXPECT_EQ(e.first_unknown(), "the");
    EXPECT_EQ(error_of([&] { throw_at_line_of_unknown(e, text, vocab, "f.txt"); }).substr(0, 15),
              "f.txt, line 3: ");
  }
  const std::string inside = "cats\nxcat cat\ncat\n";
  const Vocab other = Vocab::from_tokens({"xcat", "cats"}, TokenLevel::Word, {}, {});
  try {
    other.encode(inside);
    ADD_FAILURE() << "no error";
  } catch (const OutOfVocabularyError& e) {
    EXPECT_EQ(error_of([&] { throw_at_line_of_unknown(e, inside, other, "f.txt"); }).substr(0, 15),
              "f.txt, line 2: ");
  }
}

TEST(SplitTail, TheLastFractionIsTheValidationPart) {
  const std::vector<int32_t> ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto [train, valid] = split_tail(ids, 0.2);
  EXPECT_EQ(train, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(valid, (std::vector<int32_t>{8, 9}));
  // floor(10 * 0.25) = 2 validation tokens.
  EXPECT_EQ(split_tail(ids, 0.25).second.size(), 2u);
  EXPECT_EQ(split_tail(ids, 0.5).first, (std::vector<int32_t>{0, 1, 2, 3, 4}));
  auto [all, none] = split_tail(ids, 0.0);
  EXPECT_EQ(all, ids);
  EXPECT_TRUE(none.empty());
}

TEST(SplitTail, RejectsFractionsThatLeaveAPartTooSmall) {
  const std::vector<int32_t> ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_THROW(split_tail(ids, 1.0), Error);
  EXPECT_THROW(split_tail(ids, -0.1), Error);
  EXPECT_THROW(split_tail(ids, std::nan("")), Error);
  EXPECT_THROW(split_tail(ids, 0.1), Error);   // 1 validation token
  EXPECT_THROW(split_tail(ids, 0.95), Error);  // 1 training token
}

}  // namespace
}  // namespace rnnkit
