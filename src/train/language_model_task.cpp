// Language models (text or Tang poems) as a training task.
#include <algorithm>
#include <cstdio>

#include "rnnkit/error.h"
#include "rnnkit/evaluate.h"
#include "rnnkit/gemm.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/pretrained_embeddings.h"
#include "rnnkit/text_generator.h"
#include "rnnkit/trainer.h"
#include "train/family_tasks.h"
#include "train/fingerprint.h"
#include "train/model_shape.h"
#include "train/model_task.h"
#include "train/train_state.h"
#include "train/training_data.h"

namespace rnnkit {
namespace {

using json = nlohmann::json;

// Columns [first, first + count) of a batch.
TokenBatch batch_columns(const TokenBatch& batch, int64_t first, int64_t count) {
  TokenBatch out{batch.steps, count, {}, {}};
  for (int64_t t = 0; t < batch.steps; ++t) {
    const int64_t row = t * batch.batch + first;
    out.inputs.insert(out.inputs.end(), batch.inputs.begin() + row,
                      batch.inputs.begin() + row + count);
    out.targets.insert(out.targets.end(), batch.targets.begin() + row,
                       batch.targets.begin() + row + count);
  }
  return out;
}

// The carried state [rows, B, S] from every rank's columns [rows, B / ranks, S].
Tensor gather_columns_of_ranks(const DataParallel& parallel, const Tensor& mine) {
  const int64_t rows = mine.dim(0), local = mine.dim(1), S = mine.dim(2), P = parallel.ranks();
  std::vector<float> all(static_cast<size_t>(mine.numel() * P));
  parallel.world->allgather(mine.span(), all);
  Tensor out({rows, local * P, S});
  for (int64_t r = 0; r < P; ++r)
    for (int64_t i = 0; i < rows; ++i)
      std::copy_n(all.data() + (r * rows + i) * local * S, local * S,
                  out.data() + (i * local * P + r * local) * S);
  return out;
}

// With --init-from the checkpoint decides the model (its configuration, weights and vocabulary,
// normalisation included): an option that would shape them otherwise is refused, as --resume
// refuses what it would ignore.
void refuse_options_the_checkpoint_decides(const TrainOptions& o) {
  static const std::string kVocabularyKeys[] = {
      "level", "lowercase", "letters_only", "min_count", "max_vocab", "eos_per_line", "script"};
  for (const OptionSpec<TrainOptions>& spec : TrainOptions::table()) {
    const bool decided = (spec.group == "Model" && spec.key != "init_from") ||
                         std::find(std::begin(kVocabularyKeys), std::end(kVocabularyKeys),
                                   spec.key) != std::end(kVocabularyKeys);
    if (decided && option_given(o, spec.key))
      throw Error(spec.flag + " cannot be given with --init-from: the model's configuration and " +
                  "vocabulary (and dropout) are those of " + o.init_from);
  }
}

// Options that one kind of data only reads: given (away from their defaults) for another, they
// would do nothing, and a fresh run refuses them as it refuses dropout with one layer.
void refuse_options_the_data_ignores(const TrainOptions& o) {
  struct Rule {
    std::vector<std::string> keys;
    bool read;
    const char* reason;
  };
  const bool poems = !o.poems_path.empty();
  const Rule rules[] = {
      {{"script", "poem_form", "poem_max_length", "packed"}, poems, "is for --poems runs"},
      {{"level", "lowercase", "letters_only", "min_count", "max_vocab", "eos_per_line",
        "max_tokens", "bptt", "sampling", "offset", "random_offset", "valid_path"},
       !poems,
       "is for --text runs (a poem is one sequence of characters)"},
      {{"min_count", "max_vocab", "eos_per_line"},
       o.level == "word",
       "is word level's (--level word): a character vocabulary keeps every character"},
      {{"offset", "random_offset"},
       o.sampling == "sequential",
       "is sequential sampling's (--sampling sequential)"},
  };
  for (const Rule& rule : rules) {
    if (rule.read) continue;
    for (const OptionSpec<TrainOptions>& spec : TrainOptions::table()) {
      const bool ruled = std::find(rule.keys.begin(), rule.keys.end(), spec.key) != rule.keys.end();
      if (ruled && option_given(o, spec.key))
        throw Error(spec.flag + " " + rule.reason + ", so it would do nothing here");
    }
  }
  // A held-out file replaces the text's split (only text runs get here with one).
  if (!o.valid_path.empty() && option_given(o, "valid_fraction"))
    throw Error("--valid-fraction splits the text, which --valid " + o.valid_path +
                " replaces as the held-out text: give one of them");
}

LMConfig config_from(const TrainOptions& o, int64_t vocab_size) {
  LMConfig c;
  apply_model_shape(o, c);
  c.vocab_size = vocab_size;
  c.proj_size = o.proj_size;
  c.tie_weights = o.tie_weights;
  return c;
}

class LanguageModelTask : public ModelTask<LanguageModel> {
 public:
  // A fresh run initialises the model from rng; a resumed one (`state`) takes its configuration
  // and vocabulary from state.bin and its weights from the engine.
  LanguageModelTask(const TrainOptions& o, Rng& rng, const SafetensorsFile* state) : o_(o) {
    std::optional<Vocab> vocab;
    std::unique_ptr<LanguageModel> initial;
    if (state) {
      vocab = Vocab::from_json(stored(*state, "rnnkit.vocab"));
    } else if (!o_.init_from.empty()) {
      refuse_options_the_checkpoint_decides(o_);
      LoadedLanguageModel loaded = load_language_model(o_.init_from);
      if (!loaded.vocab) throw Error(o_.init_from + " holds no vocabulary (rnnkit.vocab metadata)");
      vocab = std::move(loaded.vocab);
      initial = std::move(loaded.model);
    }
    if (!state) refuse_options_the_data_ignores(o_);
    try {
      data_ = load_training_data(o_, vocab ? &*vocab : nullptr);
    } catch (const OutOfVocabularyError& e) {
      if (!vocab) throw;
      throw OutOfVocabularyError(
          e.what() + (state ? std::string("; the run's vocabulary comes from the data it started "
                                          "with, so the data changed since (a resumed run "
                                          "trains on the same data)")
                            : "; the vocabulary is that of --init-from " + o_.init_from),
          e.first_unknown());
    }
    if (initial) {
      model_ = std::move(initial);
    } else if (state) {
      const LMConfig config = LMConfig::from_json(stored(*state, "rnnkit.config"));
      check_config_against_tensors(config, model_tensors_of(*state));
      model_ = std::make_unique<LanguageModel>(config);
    } else {
      model_ = std::make_unique<LanguageModel>(config_from(o_, data_.vocab.size()));
      initialise(rng);
    }
    batcher_ = make_batcher(o_, data_, &rng);
  }

  std::string family() const override { return "lm"; }
  std::map<std::string, std::string> model_metadata() override {
    return {{"rnnkit.config", model_->config().to_json()}, {"rnnkit.vocab", data_.vocab.to_json()}};
  }
  void save_model(const std::string& path, const std::map<std::string, std::string>& extra,
                  DType dtype) override {
    save_language_model(path, *model_, &data_.vocab, extra, dtype);
  }

  // The run's first line says it, once (rank 0 prints it in data-parallel training).
  std::string description() override {
    return "vocabulary " + std::to_string(data_.vocab.size()) + pretrained_found_;
  }
  int64_t batches_per_epoch() const override { return batcher_->batches_per_epoch(); }
  bool epoch_done() const override {
    return batcher_->position().index >= batcher_->batches_per_epoch();
  }
  bool loss_is_perplexity() const override { return true; }

  bool train_next(Rng& rng, LossResult& loss) override {
    if (!batcher_->next(batch_)) return false;
    if (batcher_->starts_new_stream()) state_.reset();
    if (!parallel_.active()) {
      loss = model_->forward_backward(batch_, state_, true, true, &rng);
      return true;
    }
    // This rank's streams: a contiguous share, the same every batch, so the carried state
    // stays with its stream.
    const DataParallel::Share share = parallel_.share(batch_.batch);
    loss = {};
    if (share.count == 0) return true;
    model_->set_data_parallel(parallel_.shard(batch_.batch), parallel_.sink);
    loss = model_->forward_backward(batch_columns(batch_, share.first, share.count), state_, true,
                                    true, &rng);
    return true;
  }
  uint64_t data_fingerprint() override {
    return Fingerprint()
        .add(data_.vocab.to_json())
        .add(std::span<const int32_t>(data_.train_ids))
        .add(std::span<const int32_t>(data_.valid_ids))
        .add(data_.train_seqs)
        .add(data_.valid_seqs)
        .value();
  }
  void gather_position() override {
    if (!parallel_.active()) return;
    whole_state_.reset();
    // Only sequential text batches carry the state into the next batch.
    if (o_.sampling != "sequential" || data_.poems) return;
    if (!state_.h.empty()) whole_state_.h = gather_columns_of_ranks(parallel_, state_.h);
    if (!state_.c.empty()) whole_state_.c = gather_columns_of_ranks(parallel_, state_.c);
  }
  void after_skipped_batch() override { state_.reset(); }
  void start_epoch(Rng&) override { batcher_->start_epoch(); }

  std::optional<ValidationResult> validate() override {
    const bool have = data_.poems ? !data_.valid_seqs.empty() : data_.valid_ids.size() >= 2;
    if (!have) return std::nullopt;
    // Poems are independent: each rank scores a share. A text is one sequence from a zero state,
    // which every rank scores whole (the same figure as one process, no faster).
    Perplexity p = data_.poems ? evaluate_poem_share() : evaluate_stream(*model_, data_.valid_ids);
    return ValidationResult{p.cross_entropy,
                            {{"valid_loss", p.cross_entropy}, {"valid_ppl", p.perplexity()}},
                            "validation perplexity " + std::to_string(p.perplexity()) + " (" +
                                std::to_string(p.tokens) + " tokens)"};
  }

  // char-rnn's habit: text starts from the first token of the training data, poems from
  // <START>; temperature 1 shows what the model has learnt, not its most likely path.
  std::string sample(int64_t length, uint64_t seed) override {
    GenerateRequest request;
    if (!data_.vocab.bos_id()) {
      const int32_t first =
          data_.poems ? data_.train_seqs.front().front() : data_.train_ids.front();
      request.prompt = data_.vocab.token(first);
    }
    request.max_tokens = length;
    request.sampling.temperature = 1.0f;
    request.sampling.seed = seed;
    request.echo = true;
    GenerateResult r = generate_text(*model_, data_.vocab, request);
    return r.prompt + r.text;
  }

  json position() override {
    const BatchPosition p = batcher_->position();
    // A batch skipped as non-finite resets the carried state: nothing is carried then.
    const LMState& state = parallel_.active() ? whole_state_ : state_;
    return {{"batch_epoch", p.epoch},
            {"batch_index", p.index},
            {"batch_offset", p.offset},
            {"carries_state", !state.h.empty()}};
  }
  std::vector<std::pair<std::string, const Tensor*>> position_tensors() override {
    const LMState& state = parallel_.active() ? whole_state_ : state_;
    std::vector<std::pair<std::string, const Tensor*>> t;
    if (!state.h.empty()) t.emplace_back("state.h", &state.h);
    if (!state.c.empty()) t.emplace_back("state.c", &state.c);
    return t;
  }
  void restore_position(const json& position, const std::map<std::string, Tensor>& tensors,
                        Rng&) override {
    const BatchPosition p{stored_count(position, "batch_epoch"),
                          stored_count(position, "batch_index"),
                          stored_count(position, "batch_offset")};
    batcher_->set_position(p);
    state_.reset();
    if (tensors.count("state.h")) state_.h = tensors.at("state.h");
    if (tensors.count("state.c")) state_.c = tensors.at("state.c");
    // Sequential batches carry the state from one batch to the next within an epoch, unless a
    // skipped batch reset it (older states do not say: their tensors do; state.bin's checksum
    // rules out one lost on the way).
    const LMConfig& c = model_->config();
    if (o_.sampling == "sequential" && !data_.poems && p.index > 0 &&
        position.value("carries_state", tensors.count("state.h") > 0)) {
      const int64_t rows = c.num_layers * (c.bidirectional ? 2 : 1);
      const std::vector<int64_t> h_shape = {rows, o_.batch,
                                            c.proj_size ? c.proj_size : c.hidden_size};
      if (state_.h.shape() != h_shape)
        throw Error("the carried state state.h is missing or misshapen");
      if (c.cell == CellKind::Lstm &&
          state_.c.shape() != std::vector<int64_t>{rows, o_.batch, c.hidden_size})
        throw Error("the carried state state.c is missing or misshapen");
    }
    if (parallel_.active()) {
      const DataParallel::Share share = parallel_.share(o_.batch);
      if (!state_.h.empty()) state_.h = columns_of(state_.h, share);
      if (!state_.c.empty()) state_.c = columns_of(state_.c, share);
    }
  }

 private:
  Perplexity evaluate_poem_share() {
    const DataParallel::Share share = parallel_.share(data_.valid_seqs.size());
    const std::vector<std::vector<int32_t>> mine(
        data_.valid_seqs.begin() + share.first,
        data_.valid_seqs.begin() + share.first + share.count);
    Perplexity p = mine.empty() ? Perplexity{}
                                : evaluate_sequences(*model_, mine, *data_.vocab.pad_id(), 128,
                                                     o_.poem_max_length);
    double sums[2] = {p.cross_entropy * static_cast<double>(p.tokens),
                      static_cast<double>(p.tokens)};
    parallel_.sum(sums);
    return {sums[1] > 0 ? sums[0] / sums[1] : 0.0, static_cast<int64_t>(sums[1])};
  }
  // Columns [share.first, + share.count) of a state [rows, B, S].
  static Tensor columns_of(const Tensor& state, const DataParallel::Share& share) {
    const int64_t rows = state.dim(0), B = state.dim(1), S = state.dim(2);
    Tensor out({rows, share.count, S});
    for (int64_t i = 0; i < rows; ++i)
      std::copy_n(state.data() + (i * B + share.first) * S, share.count * S,
                  out.data() + i * share.count * S);
    return out;
  }

  void initialise(Rng& rng) {
    model_->reset_parameters(rng);
    if (o_.init_range > 0)
      for (Parameter* p : model_->parameters())
        for (float& v : p->value.span())
          v = rng.uniform(-static_cast<float>(o_.init_range), static_cast<float>(o_.init_range));
    if (!o_.pretrained_embeddings.empty()) {
      if (!model_->embedding()) throw Error("--pretrained-embeddings needs --embedding > 0");
      int64_t found =
          load_pretrained_embeddings(*model_->embedding(), data_.vocab, o_.pretrained_embeddings);
      pretrained_found_ = ", pretrained vectors for " + std::to_string(found) + " of " +
                          std::to_string(data_.vocab.size()) + " tokens";
    }
  }

  TrainOptions o_;
  std::string pretrained_found_;  // the description's note on --pretrained-embeddings
  TrainingData data_;
  std::unique_ptr<TokenBatcher> batcher_;
  TokenBatch batch_;
  LMState state_;
  LMState whole_state_;  // every rank's carried state, for a checkpoint (data-parallel)
};

}  // namespace

TrainSummary train_language_model_from(const TrainOptions& options, const SafetensorsFile* state) {
  return train_family<LanguageModelTask>(options, state);
}

TrainSummary train_language_model(const TrainOptions& options) {
  return train_language_model_from(options, nullptr);
}

}  // namespace rnnkit
