#include "train/training_data.h"

#include <filesystem>

#include "rnnkit/error.h"
#include "rnnkit/poem_batcher.h"
#include "rnnkit/poem_corpus.h"
#include "rnnkit/random_batcher.h"
#include "rnnkit/sequential_batcher.h"
#include "rnnkit/text_corpus.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

TextCorpusOptions text_options(const TrainOptions& o) {
  TextCorpusOptions t;
  t.level = parse_token_level(o.level);
  t.normalization.lowercase = o.lowercase;
  t.normalization.letters_only = o.letters_only;
  if (t.level == TokenLevel::Word) {
    t.specials.unk = "<unk>";
    if (o.eos_per_line) t.specials.eos = "<eos>";
  }
  t.min_count = o.min_count;
  t.max_vocab = o.max_vocab;
  t.max_tokens = o.max_tokens;
  return t;
}

void load_text(const TrainOptions& o, const Vocab* vocab, TrainingData& data) {
  std::vector<int32_t> ids;
  if (vocab) {
    data.vocab = *vocab;
    ids = encode_text_file(o.text_path, data.vocab);
    if (o.max_tokens > 0 && static_cast<int64_t>(ids.size()) > o.max_tokens)
      ids.resize(o.max_tokens);
  } else {
    TextCorpus corpus = load_text_corpus(o.text_path, text_options(o));
    data.vocab = std::move(corpus.vocab);
    ids = std::move(corpus.ids);
  }
  if (!o.valid_path.empty()) {
    data.train_ids = std::move(ids);
    data.valid_ids = encode_text_file(o.valid_path, data.vocab);
  } else if (o.valid_fraction > 0) {
    std::tie(data.train_ids, data.valid_ids) = split_tail(ids, o.valid_fraction);
  } else {
    data.train_ids = std::move(ids);
  }
  // Validation asked for but left with nothing to predict would be skipped without a word.
  if ((!o.valid_path.empty() || o.valid_fraction > 0) && data.valid_ids.size() < 2)
    throw Error((o.valid_path.empty()
                     ? "--valid-fraction " + std::to_string(o.valid_fraction) + " of the text"
                     : o.valid_path) +
                " gives " + std::to_string(data.valid_ids.size()) +
                " validation tokens; validation needs at least 2 (one read, one predicted)");
}

// The error for a character of the poems that a given vocabulary (a resumed run's,
// --init-from's) lacks: the first poem holding it, named by its opening (the corpus keeps no file
// or title). Searched only once encoding has failed.
OutOfVocabularyError unknown_character(const PoemCorpus& corpus, const std::string& character,
                                       const std::string& dir) {
  const char32_t c = utf8::decode(character).front();
  for (const auto* part : {&corpus.train, &corpus.valid})
    for (const std::u32string& poem : *part)
      if (poem.find(c) != std::u32string::npos)
        return OutOfVocabularyError(dir + ": the poem that begins \"" +
                                        utf8::encode(poem.substr(0, 12)) + "\" holds \"" +
                                        character + "\", which is not in the vocabulary",
                                    character);
  return OutOfVocabularyError(dir + ": \"" + character + "\" is not in the vocabulary", character);
}

void load_poems(const TrainOptions& o, const Vocab* vocab, TrainingData& data) {
  PoemPrepareOptions prepare;
  prepare.script = o.script;
  prepare.form = o.poem_form;
  prepare.valid_fraction = o.valid_fraction > 0 ? o.valid_fraction : 0.05;
  prepare.valid_fraction_asked = o.valid_fraction > 0;  // 0.05 is a default, not asked for
  PoemCorpus corpus = load_poem_corpus(o.poems_path, prepare);
  if (corpus.train.empty()) throw Error("no usable poem in " + o.poems_path);
  data.poems = true;
  if (vocab) {
    data.vocab = *vocab;
  } else {
    // The symbol inventory comes from every usable poem, held-out ones included, so that
    // validation never meets an unknown character.
    std::vector<std::string> chars;
    for (const auto* part : {&corpus.train, &corpus.valid})
      for (const std::u32string& poem : *part)
        for (char32_t c : poem) chars.push_back(utf8::encode(c));
    SpecialTokens specials;
    specials.pad = "<pad>";
    specials.bos = "<START>";
    specials.eos = "<EOP>";
    Normalization normalization;
    normalization.script = o.script;
    data.vocab = Vocab::build(chars, TokenLevel::Char, specials, normalization);
  }
  if (!data.vocab.bos_id() || !data.vocab.eos_id() || !data.vocab.pad_id())
    throw Error("a poem model needs a vocabulary with <START>, <EOP> and <pad>");
  auto to_id = [&](char32_t c) { return data.vocab.id(utf8::encode(c)); };
  try {
    data.train_seqs =
        make_poem_sequences(corpus.train, *data.vocab.bos_id(), *data.vocab.eos_id(), to_id).seqs;
    data.valid_seqs =
        make_poem_sequences(corpus.valid, *data.vocab.bos_id(), *data.vocab.eos_id(), to_id).seqs;
  } catch (const OutOfVocabularyError& e) {
    throw unknown_character(corpus, e.first_unknown(), o.poems_path);
  }
}

}  // namespace

TrainingData load_training_data(const TrainOptions& options, const Vocab* vocab) {
  TrainingData data;
  if (!options.poems_path.empty())
    load_poems(options, vocab, data);
  else
    load_text(options, vocab, data);
  return data;
}

std::unique_ptr<TokenBatcher> make_batcher(const TrainOptions& o, const TrainingData& data,
                                           Rng* rng) {
  if (data.poems)
    return std::make_unique<PoemBatcher>(&data.train_seqs, *data.vocab.pad_id(),
                                         PoemBatcherOptions{o.batch, o.poem_max_length, o.packed},
                                         rng);
  if (o.sampling == "random")
    return std::make_unique<RandomBatcher>(&data.train_ids, RandomBatcherOptions{o.batch, o.bptt},
                                           rng);
  return std::make_unique<SequentialBatcher>(
      &data.train_ids, SequentialBatcherOptions{o.batch, o.bptt, o.offset, o.random_offset}, rng);
}

}  // namespace rnnkit
