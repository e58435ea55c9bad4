// Language models (text or Tang poems) as a training task.
#include <cstdio>

#include "rnnkit/error.h"
#include "rnnkit/evaluate.h"
#include "rnnkit/gemm.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/pretrained_embeddings.h"
#include "rnnkit/text_generator.h"
#include "rnnkit/trainer.h"
#include "train/family_tasks.h"
#include "train/model_shape.h"
#include "train/train_state.h"
#include "train/training_data.h"

namespace rnnkit {
namespace {

using json = nlohmann::json;

LMConfig config_from(const TrainOptions& o, int64_t vocab_size) {
  LMConfig c;
  apply_model_shape(o, c);
  c.vocab_size = vocab_size;
  c.proj_size = o.proj_size;
  c.tie_weights = o.tie_weights;
  return c;
}

class LanguageModelTask : public TrainingTask {
 public:
  // A fresh run initialises the model from rng; a resumed one (`state`) takes its configuration
  // and vocabulary from state.bin and its weights from the engine.
  LanguageModelTask(const TrainOptions& o, Rng& rng, const SafetensorsFile* state) : o_(o) {
    std::optional<Vocab> vocab;
    std::unique_ptr<LanguageModel> initial;
    if (state) {
      vocab = Vocab::from_json(stored(*state, "rnnkit.vocab"));
    } else if (!o_.init_from.empty()) {
      LoadedLanguageModel loaded = load_language_model(o_.init_from);
      if (!loaded.vocab) throw Error(o_.init_from + " holds no vocabulary (rnnkit.vocab metadata)");
      vocab = std::move(loaded.vocab);
      initial = std::move(loaded.model);
    }
    data_ = load_training_data(o_, vocab ? &*vocab : nullptr);
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
  ParameterList parameters() override { return model_->parameters(); }
  StateDict state_dict() override { return model_->state_dict(); }
  void load_state_dict(const std::map<std::string, Tensor>& t) override {
    model_->load_state_dict(t);
  }
  std::map<std::string, std::string> model_metadata() override {
    return {{"rnnkit.config", model_->config().to_json()}, {"rnnkit.vocab", data_.vocab.to_json()}};
  }
  void save_model(const std::string& path, const std::map<std::string, std::string>& extra,
                  DType dtype) override {
    save_language_model(path, *model_, &data_.vocab, extra, dtype);
  }

  std::string description() override { return "vocabulary " + std::to_string(data_.vocab.size()); }
  int64_t batches_per_epoch() const override { return batcher_->batches_per_epoch(); }
  bool loss_is_perplexity() const override { return true; }

  bool train_next(Rng& rng, LossResult& loss) override {
    if (!batcher_->next(batch_)) return false;
    if (batcher_->starts_new_stream()) state_.reset();
    loss = model_->forward_backward(batch_, state_, true, true, &rng);
    return true;
  }
  void after_skipped_batch() override { state_.reset(); }
  void start_epoch(Rng&) override { batcher_->start_epoch(); }

  std::optional<ValidationResult> validate() override {
    const bool have = data_.poems ? !data_.valid_seqs.empty() : data_.valid_ids.size() >= 2;
    if (!have) return std::nullopt;
    Perplexity p = data_.poems ? evaluate_sequences(*model_, data_.valid_seqs,
                                                    *data_.vocab.pad_id(), 128, o_.poem_max_length)
                               : evaluate_stream(*model_, data_.valid_ids);
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
    return {{"batch_epoch", p.epoch}, {"batch_index", p.index}, {"batch_offset", p.offset}};
  }
  std::vector<std::pair<std::string, const Tensor*>> position_tensors() override {
    std::vector<std::pair<std::string, const Tensor*>> t;
    if (!state_.h.empty()) t.emplace_back("state.h", &state_.h);
    if (!state_.c.empty()) t.emplace_back("state.c", &state_.c);
    return t;
  }
  void restore_position(const json& position, const std::map<std::string, Tensor>& tensors,
                        Rng&) override {
    const BatchPosition p{position.at("batch_epoch").get<int64_t>(),
                          position.at("batch_index").get<int64_t>(),
                          position.at("batch_offset").get<int64_t>()};
    if (p.epoch < 0 || p.index < 0 || p.offset < 0) throw Error("the batch position is negative");
    batcher_->set_position(p);
    state_.reset();
    if (tensors.count("state.h")) state_.h = tensors.at("state.h");
    if (tensors.count("state.c")) state_.c = tensors.at("state.c");
    // Sequential batches carry the state from one batch to the next within an epoch.
    const LMConfig& c = model_->config();
    if (o_.sampling == "sequential" && !data_.poems && p.index > 0) {
      const int64_t rows = c.num_layers * (c.bidirectional ? 2 : 1);
      const std::vector<int64_t> h_shape = {rows, o_.batch,
                                            c.proj_size ? c.proj_size : c.hidden_size};
      if (state_.h.shape() != h_shape)
        throw Error("the carried state state.h is missing or misshapen");
      if (c.cell == CellKind::Lstm &&
          state_.c.shape() != std::vector<int64_t>{rows, o_.batch, c.hidden_size})
        throw Error("the carried state state.c is missing or misshapen");
    }
  }

 private:
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
      std::fprintf(stderr, "pretrained vectors for %lld of %lld tokens\n",
                   static_cast<long long>(found), static_cast<long long>(data_.vocab.size()));
    }
  }

  TrainOptions o_;
  TrainingData data_;
  std::unique_ptr<LanguageModel> model_;
  std::unique_ptr<TokenBatcher> batcher_;
  TokenBatch batch_;
  LMState state_;
};

}  // namespace

TrainSummary train_language_model_from(const TrainOptions& options, const SafetensorsFile* state) {
  options.validate();
  Rng rng(options.seed);
  if (options.threads > 0) set_num_threads(options.threads);
  LanguageModelTask task(options, rng, state);
  return run_training(task, options, rng, json::parse(options.to_json()), state);
}

TrainSummary train_language_model(const TrainOptions& options) {
  return train_language_model_from(options, nullptr);
}

}  // namespace rnnkit
