// A model file's metadata. rnnkit.format_version: "1" (what rnnkit writes) and an absent one
// (PyTorch-side files) load; any other is refused by loading and by quantize, naming the file,
// rather than read as format 1. A vocabulary that cannot be read is refused naming the file too.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "error_of.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/quantize.h"
#include "rnnkit/rng.h"
#include "rnnkit/safetensors.h"
#include "temp_file.h"

namespace rnnkit {
namespace {

using testing::error_of;
using testing::TempFile;

// The model file at `path` written again with its metadata `key` set to `value` ("": none).
void rewrite_metadata(const std::string& path, const std::string& key, const std::string& value) {
  SafetensorsFile file = read_safetensors(path);
  if (value.empty())
    file.metadata.erase(key);
  else
    file.metadata[key] = value;
  NamedTensors named;
  for (const auto& [name, tensor] : file.tensors) named.emplace_back(name, &tensor);
  write_safetensors(path, named, file.metadata);
}

// A GRU language model of `vocab_size` tokens, its weights random, saved to `path`.
void save_gru_model(const std::string& path, int64_t vocab_size) {
  LanguageModel model({CellKind::Gru, vocab_size, 4, 5, 1});
  Rng rng(2);
  model.reset_parameters(rng);
  save_language_model(path, model, nullptr);
}

TEST(FormatVersion, OnlyTheVersionThisRnnkitReadsOrNoneLoads) {
  TempFile file("format_version"), out("format_version_int8");
  save_gru_model(file.path(), 7);
  EXPECT_EQ(read_safetensors(file.path()).metadata.at("rnnkit.format_version"), "1");
  EXPECT_EQ(error_of([&] { load_language_model(file.path()); }), "(no error)");
  rewrite_metadata(file.path(), "rnnkit.format_version", "");
  EXPECT_EQ(error_of([&] { load_language_model(file.path()); }), "(no error)");
  for (const std::string version : {"2", "1.0", "0"}) {
    rewrite_metadata(file.path(), "rnnkit.format_version", version);
    const std::string expected = file.path() + ": rnnkit.format_version is \"" + version + "\"";
    const std::string loading = error_of([&] { load_language_model(file.path()); });
    EXPECT_NE(loading.find(expected), std::string::npos) << loading;
    const std::string quantizing = error_of([&] { quantize_model_file(file.path(), out.path()); });
    EXPECT_NE(quantizing.find(expected), std::string::npos) << quantizing;
  }
}

TEST(ModelFileVocabulary, AVocabularyThatCannotBeReadIsRefusedNamingTheFile) {
  TempFile file("model_vocabulary");
  save_gru_model(file.path(), 3);
  rewrite_metadata(file.path(), "rnnkit.vocab", R"({"level": "char", "tokens": ["a", "b", "c"])");
  EXPECT_EQ(error_of([&] {
              load_language_model(file.path());
            }).rfind(file.path() + ": vocabulary JSON is not valid JSON: parse error at line 1", 0),
            0u);
  // A PyTorch tokenizer's grapheme ("e" and a combining acute) as a char-level token.
  rewrite_metadata(file.path(), "rnnkit.vocab",
                   "{\"level\": \"char\", \"tokens\": [\"a\", \"e\xCC\x81\", \"c\"]}");
  EXPECT_EQ(error_of([&] {
              load_language_model(file.path());
            }).rfind(file.path() + ": vocabulary token #1 \"e\xCC\x81\" could never be read", 0),
            0u);
}

// A vocabulary file replaces a stored one that is broken or does not fit the model, and may give
// the model's own tokens other specials; other tokens of the same count are refused.
TEST(ModelFileVocabulary, AVocabularyFileMustHoldTheStoredTokensWhereThoseFit) {
  TempFile file("model_vocabulary_file"), vocab("vocabulary.json");
  save_gru_model(file.path(), 3);
  const auto vocab_file = [&](const std::string& json) {
    std::ofstream(vocab.path()) << json;
    return vocab.path();
  };
  const std::string abc = R"({"level": "char", "tokens": ["a", "b", "c"]})";
  for (const std::string stored : {R"({"level": "char", "tokens": ["a", "b"]})",
                                   R"({"level": "char", "tokens": ["a", "b", "c", "d"]})",
                                   R"({"level": "char", "tokens": [)"}) {
    rewrite_metadata(file.path(), "rnnkit.vocab", stored);
    EXPECT_EQ(load_language_model(file.path(), vocab_file(abc)).vocab->tokens(),
              (std::vector<std::string>{"a", "b", "c"}));
  }
  rewrite_metadata(file.path(), "rnnkit.vocab", abc);
  const std::string with_unk =
      R"({"level": "char", "tokens": ["a", "b", "c"], "specials": {"unk": "a"}})";
  EXPECT_EQ(load_language_model(file.path(), vocab_file(with_unk)).vocab->unk_id(), 0);
  EXPECT_EQ(error_of([&] {
              load_language_model(file.path(),
                                  vocab_file(R"({"level": "char", "tokens": ["a", "c", "b"]})"));
            }),
            "the vocabulary in " + vocab.path() + " has other tokens than the one " + file.path() +
                " holds (rnnkit.vocab): id 1 is \"c\" there and \"b\" in the model file");
  // Long words are shown cut, alike: the message says where they part.
  const std::string long_word(90, 'w');
  rewrite_metadata(file.path(), "rnnkit.vocab",
                   R"({"level": "word", "tokens": [")" + long_word + R"(x", "b", "c"]})");
  const std::string message = error_of([&] {
    load_language_model(file.path(), vocab_file(R"({"level": "word", "tokens": [")" + long_word +
                                                R"(y", "b", "c"]})"));
  });
  EXPECT_NE(message.find("(91 bytes) in the model file (they part at byte 90)"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace rnnkit
