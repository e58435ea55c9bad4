// Encoder-decoders on question/answer pairs as a training task.
#include <algorithm>

#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/seq2seq_training.h"
#include "rnnkit/utf8.h"
#include "train/family_tasks.h"
#include "train/fingerprint.h"
#include "train/model_shape.h"
#include "train/model_task.h"
#include "train/shuffled_batches.h"
#include "train/train_state.h"

namespace rnnkit {
namespace {

using json = nlohmann::json;
using Ids = std::vector<int32_t>;

int64_t width(const std::string& s) {
  return static_cast<int64_t>(utf8::decode(s).size());
}

// The book's files pad questions and answers with trailing spaces to fixed widths.
bool is_space_padded(const PairCorpus& corpus, int64_t& question_width) {
  const TextPair& first = corpus.pairs.front();
  question_width = width(first.question);
  const int64_t answer_width = width(first.answer);
  bool trailing_space = false;
  for (const TextPair& p : corpus.pairs) {
    if (width(p.question) != question_width || width(p.answer) != answer_width) return false;
    trailing_space = trailing_space || p.question.back() == ' ' || p.answer.back() == ' ';
  }
  return trailing_space;
}

Seq2seqConfig config_from(const Seq2seqTrainOptions& o, const PairCorpus& corpus,
                          int64_t vocab_size) {
  Seq2seqConfig c;
  apply_model_shape(o, c);
  c.vocab_size = vocab_size;
  c.reverse_input = o.reverse;
  c.peeky = o.peeky;
  c.attention = o.attention;
  c.single_bias = o.single_bias;
  c.max_answer_length = o.max_answer_length;
  if (c.max_answer_length == 0)
    for (const TextPair& p : corpus.pairs)
      c.max_answer_length = std::max(c.max_answer_length, width(p.answer));
  c.space_padded = is_space_padded(corpus, c.question_width);
  if (!c.space_padded) c.question_width = 0;
  // Answers of one length, padded or not, leave the vocabulary no end token
  // (build_seq2seq_vocab): the decoder writes max_answer_length characters, and any past that
  // length would never have been trained (a shorter length is refused with the answers that
  // exceed it).
  const int64_t first = width(corpus.pairs.front().answer);
  const bool one_length = std::all_of(corpus.pairs.begin(), corpus.pairs.end(),
                                      [&](const TextPair& p) { return width(p.answer) == first; });
  if (one_length && o.max_answer_length > first)
    throw Error("--max-answer-length " + std::to_string(o.max_answer_length) + ": the answers of " +
                o.data + (c.space_padded ? " are padded to " : " are all ") +
                std::to_string(first) +
                " characters, which the decoder writes in full (no end token); leave the option "
                "out");
  return c;
}

// The order of an epoch's batches is drawn from the run's Rng when the epoch starts; a resume
// redraws it from the state the Rng had then.
class Seq2seqTask : public ShuffledModelTask<Seq2seq> {
 public:
  Seq2seqTask(const Seq2seqTrainOptions& o, Rng& rng, const SafetensorsFile* state) : o_(o) {
    const PairFormat format = parse_pair_format(o.format);
    const PairCorpus corpus = read_pairs(o.data, format);
    if (state) {
      vocab_ = Vocab::from_json(stored(*state, "rnnkit.vocab"));
      const Seq2seqConfig config =
          Seq2seqConfig::from_json(stored(*state, "rnnkit.seq2seq_config"));
      check_config_against_tensors(config, model_tensors_of(*state));
      model_ = std::make_unique<Seq2seq>(config);
    } else {
      vocab_ = build_seq2seq_vocab(corpus);
      model_ = std::make_unique<Seq2seq>(config_from(o, corpus, vocab_.size()));
      model_->reset_parameters(rng, parse_seq2seq_init(o.init));
    }
    tokens_ = seq2seq_tokens(vocab_);
    const int64_t max_answer = model_->config().max_answer_length;
    // The held-out part: a second file, or the book's shuffled tail of this one.
    data_ = encode_pairs(corpus, vocab_, o.data, max_answer);
    const int64_t n = data_.size();
    if (!o.valid.empty()) {
      // Scored as `seq2seq eval` scores them: a padded model's padding added where it is missing.
      PairCorpus valid = read_pairs(o.valid, format);
      pad_pairs_as_trained(model_->config(), valid, o.valid);
      data_.append(encode_pairs(valid, vocab_, o.valid, max_answer));
    }
    IndexSplit split =
        held_out_split(n, data_.size() - n, static_cast<uint32_t>(o.split_seed), o.valid_fraction);
    train_idx_ = std::move(split.train);
    test_idx_ = std::move(split.test);
    batches_ = std::make_unique<ShuffledBatches>(train_idx_, data_.question_lengths, o.batch);
    start_epoch(rng);
  }

  std::string family() const override { return "seq2seq"; }
  std::map<std::string, std::string> model_metadata() override {
    return {{"rnnkit.seq2seq_config", model_->config().to_json()},
            {"rnnkit.vocab", vocab_.to_json()}};
  }

  std::string description() override {
    return std::to_string(train_idx_.size()) + " training and " + std::to_string(test_idx_.size()) +
           " held-out pairs, vocabulary " + std::to_string(vocab_.size());
  }

  bool train_next(Rng& rng, LossResult& loss) override {
    std::vector<int64_t> mine;
    const std::vector<int64_t>* batch = next_batch(mine);
    if (!batch) return false;
    loss = {};
    if (mine.empty()) return true;
    // A share's answers are padded like the whole batch's, so its decoder draws the dropout
    // masks of the whole batch.
    int64_t longest = 0;
    for (int64_t i : *batch) longest = std::max<int64_t>(longest, data_.answers[i].size());
    std::vector<const Ids*> q, a;
    for (int64_t i : mine) q.push_back(&data_.questions[i]), a.push_back(&data_.answers[i]);
    loss = model_->forward_backward(
        make_seq2seq_batch(q, a, tokens_, model_->config().max_answer_length, longest), true, true,
        &rng);
    return true;
  }
  uint64_t data_fingerprint() override {
    return Fingerprint()
        .add(vocab_.to_json())
        .add(data_.questions)
        .add(data_.answers)
        .add(std::span<const int64_t>(train_idx_))
        .value();
  }

  std::optional<ValidationResult> validate() override {
    if (test_idx_.empty()) return std::nullopt;
    const Seq2seqEvaluation e = evaluate_seq2seq(*model_, data_, test_idx_, tokens_, o_.eval_batch);
    char summary[96];
    std::snprintf(summary, sizeof summary, "held-out loss %.4f  accuracy %.2f%%", e.loss,
                  100.0 * e.accuracy);
    // The best model is the most accurate one; the loss breaks ties.
    return ValidationResult{
        -e.accuracy + 1e-9 * e.loss, {{"valid_loss", e.loss}, {"accuracy", e.accuracy}}, summary};
  }

 private:
  Seq2seqTrainOptions o_;
  Vocab vocab_;
  Seq2seqTokens tokens_;
  EncodedPairs data_;
  std::vector<int64_t> train_idx_, test_idx_;
};

std::string padded_question(const Seq2seqConfig& c, std::string text, const std::string& where) {
  if (text.empty()) throw Error(where + ": empty question");
  if (c.space_padded) {
    if (text.find_first_not_of(' ') == std::string::npos)
      throw Error(where + ": the question holds only spaces, which this model reads as padding");
    const int64_t width = static_cast<int64_t>(utf8::decode(text, where).size());
    if (width > c.question_width)
      throw Error(where + ": the question has " + std::to_string(width) +
                  " characters; the model was trained on questions of " +
                  std::to_string(c.question_width));
    text.append(c.question_width - width, ' ');
  }
  return text;
}

}  // namespace

EncodedPairs encode_pairs(const PairCorpus& corpus, const Vocab& vocab, const std::string& source,
                          int64_t max_answer_length) {
  EncodedPairs out;
  for (const TextPair& pair : corpus.pairs) {
    const std::string where = source + ":" + std::to_string(pair.line);
    out.questions.push_back(vocab.encode_at(pair.question, where));
    out.answers.push_back(vocab.encode_at(pair.answer, where));
    if (static_cast<int64_t>(out.answers.back().size()) > max_answer_length)
      throw Error(where + ": the answer has " + std::to_string(out.answers.back().size()) +
                  " characters, more than the decoder allows (" +
                  std::to_string(max_answer_length) + ")");
    out.question_lengths.push_back(static_cast<int64_t>(out.questions.back().size()));
  }
  return out;
}

void EncodedPairs::append(EncodedPairs&& more) {
  std::move(more.questions.begin(), more.questions.end(), std::back_inserter(questions));
  std::move(more.answers.begin(), more.answers.end(), std::back_inserter(answers));
  question_lengths.insert(question_lengths.end(), more.question_lengths.begin(),
                          more.question_lengths.end());
}

Seq2seqEvaluation evaluate_seq2seq(Seq2seq& model, const EncodedPairs& data,
                                   std::span<const int64_t> indices, const Seq2seqTokens& tokens,
                                   int64_t eval_batch) {
  std::vector<Ids> questions;
  for (int64_t i : indices) questions.push_back(data.questions[i]);
  std::vector<Ids> answers = greedy_decode(model, questions, tokens, eval_batch);
  int64_t correct = 0;
  for (size_t k = 0; k < indices.size(); ++k) correct += answers[k] == data.answers[indices[k]];
  LossResult total;
  for (const auto& members :
       length_bucketed_batches(indices, data.question_lengths, eval_batch, nullptr)) {
    std::vector<const Ids*> q, a;
    for (int64_t i : members) q.push_back(&data.questions[i]), a.push_back(&data.answers[i]);
    Seq2seqBatch batch = make_seq2seq_batch(q, a, tokens, model.config().max_answer_length);
    LossResult r = model.forward_backward(batch, false, false, nullptr);
    total.loss_sum += r.loss_sum;
    total.count += r.count;
  }
  return {indices.empty() ? 0.0 : static_cast<double>(correct) / indices.size(), total.mean()};
}

void pad_pairs_as_trained(const Seq2seqConfig& c, PairCorpus& corpus, const std::string& source) {
  if (!c.space_padded) return;
  for (TextPair& pair : corpus.pairs) {
    const std::string where = source + ":" + std::to_string(pair.line);
    pair.question = padded_question(c, std::move(pair.question), where);
    // A longer answer stays as it is, for encode_pairs to refuse with its length.
    const int64_t width = static_cast<int64_t>(utf8::decode(pair.answer, where).size());
    if (width < c.max_answer_length) pair.answer.append(c.max_answer_length - width, ' ');
  }
}

std::vector<int32_t> prepare_question(const LoadedSeq2seq& m, std::string text,
                                      const std::string& where) {
  return m.vocab.encode_at(padded_question(m.model->config(), std::move(text), where), where);
}

std::string answer_text(const LoadedSeq2seq& m, const std::vector<int32_t>& answer) {
  std::string text = m.vocab.decode(answer);
  if (m.model->config().space_padded)
    while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::vector<std::vector<int32_t>> answer_questions(LoadedSeq2seq& m,
                                                   const std::vector<std::vector<int32_t>>& qs,
                                                   int64_t beam_width) {
  if (beam_width < 1) throw Error("--beam must be at least 1");
  const Seq2seqTokens tokens = seq2seq_tokens(m.vocab);
  if (beam_width == 1) return greedy_decode(*m.model, qs, tokens);
  std::vector<std::vector<int32_t>> answers;
  for (const auto& q : qs) answers.push_back(beam_decode(*m.model, q, tokens, beam_width));
  return answers;
}

void Seq2seqTrainOptions::validate() const {
  validate_family_options(*this);
  if (embedding < 1)
    throw Error("--embedding " + std::to_string(embedding) +
                ": a seq2seq model embeds its characters (one-hot input is for language models "
                "and classifiers); give a size of at least 1");
}

const OptionTable<Seq2seqTrainOptions>& Seq2seqTrainOptions::table() {
  using O = Seq2seqTrainOptions;
  static const OptionTable<O> t = [] {
    OptionTable<O> t = family_option_table<O>({
        {"--data",
         "data",
         &O::data,
         "pairs, one per line: question_answer or question<TAB>answer",
         {},
         "Data"},
        {"--format", "format", &O::format, "auto | underscore | tsv",
         one_of({"auto", "underscore", "tsv"}), "Data"},
        {"--valid",
         "valid",
         &O::valid,
         "held-out pairs (default: the book's split of --data)",
         {},
         "Data"},
        {"--valid-fraction", "valid_fraction", &O::valid_fraction, "held-out share of --data",
         above_up_to(0, 0.99), "Data"},
        {"--split-seed", "split_seed", &O::split_seed, "numpy seed of the book's split",
         between(0, 4294967295.0), "Data"},
        {"--reverse", "reverse", &O::reverse, "feed the question reversed", {}, "Model"},
        {"--peeky", "peeky", &O::peeky, "peeky decoder", {}, "Model"},
        {"--attention", "attention", &O::attention, "dot-product attention", {}, "Model"},
        {"--init", "init", &O::init, "book | pytorch", one_of({"book", "pytorch"}), "Model"},
        {"--single-bias",
         "single_bias",
         &O::single_bias,
         "one bias per gate, as the book's LSTM (bias_hh stays 0)",
         {},
         "Model"},
        {"--max-answer-length", "max_answer_length", &O::max_answer_length,
         "longest answer the decoder allows (0: the longest in --data)", between(0, 1 << 20),
         "Model"},
        {"--eval-batch", "eval_batch", &O::eval_batch, "batch size of the held-out evaluation",
         between(1, 1 << 20), "Run"},
    });
    for (OptionSpec<O>& spec : t)
      if (spec.key == "embedding") spec.help = "embedding size (at least 1: no one-hot input here)";
    return t;
  }();
  return t;
}

TrainSummary train_seq2seq_from(const Seq2seqTrainOptions& options, const SafetensorsFile* state) {
  return train_family<Seq2seqTask>(options, state);
}

TrainSummary train_seq2seq(const Seq2seqTrainOptions& options) {
  return train_seq2seq_from(options, nullptr);
}

}  // namespace rnnkit
