#include "rnnkit/seq2seq.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "rnnkit/checkpoint.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/stack_config.h"
#include "rnnkit/utf8.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

const Seq2seqConfig& validated(const Seq2seqConfig& c) {
  c.validate();
  return c;
}

RNNOptions encoder_options(const Seq2seqConfig& c) {
  return {c.cell, c.embedding_dim, c.hidden_size, c.num_layers, c.bidirectional, c.dropout};
}

RNNOptions decoder_options(const Seq2seqConfig& c) {
  return {c.cell, c.decoder_input_size(), c.decoder_hidden_size(), c.num_layers, false, c.dropout};
}

// out[b] += sum over the `steps` blocks of rows src[s][b] (the first `cols` of each row).
void add_step_sums(int64_t steps, int64_t B, int64_t cols, const float* src, int64_t lds,
                   float* out) {
  for (int64_t s = 0; s < steps; ++s)
    for (int64_t b = 0; b < B; ++b) {
      const float* row = src + (s * B + b) * lds;
      float* o = out + b * cols;
      for (int64_t k = 0; k < cols; ++k) o[k] += row[k];
    }
}

void normal_fill(Tensor& t, Rng& rng, float scale) {
  for (float& v : t.span()) v = rng.normal() * scale;
}

int32_t argmax(const float* x, int64_t n) {
  return static_cast<int32_t>(std::max_element(x, x + n) - x);
}

}  // namespace

int64_t Seq2seqConfig::decoder_input_size() const {
  return embedding_dim + (peeky ? decoder_hidden_size() : 0);
}

int64_t Seq2seqConfig::output_input_size() const {
  return decoder_hidden_size() * (1 + (peeky ? 1 : 0) + (attention ? 1 : 0));
}

void Seq2seqConfig::validate() const {
  validate_stack(*this, true);
  require_size(max_answer_length, "max_answer_length");
  if (question_width < 0 || (space_padded && question_width == 0))
    throw Error("question_width must be positive for space-padded data, got " +
                std::to_string(question_width));
}

std::string Seq2seqConfig::to_json() const {
  nlohmann::json j = stack_to_json(*this);
  j.update({{"reverse_input", reverse_input},
            {"peeky", peeky},
            {"attention", attention},
            {"max_answer_length", max_answer_length},
            {"space_padded", space_padded},
            {"question_width", question_width},
            {"single_bias", single_bias}});
  return j.dump();
}

Seq2seqConfig Seq2seqConfig::from_json(const std::string& text) {
  const ConfigReader r(text, "seq2seq config");
  Seq2seqConfig c;
  read_stack(r, c, false);
  c.embedding_dim = r.integer("embedding_dim", 0, true);
  c.reverse_input = r.boolean("reverse_input");
  c.peeky = r.boolean("peeky");
  c.attention = r.boolean("attention");
  c.max_answer_length = r.integer("max_answer_length", 0, true);
  c.space_padded = r.boolean("space_padded");
  c.question_width = r.integer("question_width", 0, false);
  c.single_bias = r.boolean("single_bias");
  r.refuse_unknown_keys(c.to_json());
  c.validate();
  return c;
}

Seq2seqInit parse_seq2seq_init(std::string_view name) {
  if (name == "pytorch") return Seq2seqInit::PyTorch;
  if (name == "book") return Seq2seqInit::Book;
  throw Error("initialisation must be \"pytorch\" or \"book\", not \"" + std::string(name) + "\"");
}

Seq2seqTokens seq2seq_tokens(const Vocab& vocab) {
  if (!vocab.bos_id()) throw Error("the vocabulary has no start token (bos) for the decoder");
  return {*vocab.bos_id(), vocab.eos_id() ? *vocab.eos_id() : -1};
}

Seq2seqBatch make_seq2seq_batch(std::span<const std::vector<int32_t>* const> questions,
                                std::span<const std::vector<int32_t>* const> answers,
                                const Seq2seqTokens& tokens, int64_t max_answer_length,
                                int64_t pad_answers_to) {
  if (questions.empty() || questions.size() != answers.size())
    throw Error("a seq2seq batch needs as many answers as questions (and at least one)");
  Seq2seqBatch batch;
  batch.batch = static_cast<int64_t>(questions.size());
  batch.question_steps = static_cast<int64_t>(questions[0]->size());
  int64_t longest = std::min(pad_answers_to, max_answer_length);
  for (size_t b = 0; b < questions.size(); ++b) {
    if (static_cast<int64_t>(questions[b]->size()) != batch.question_steps)
      throw Error("the questions of a seq2seq batch must have the same length");
    if (questions[b]->empty()) throw Error("empty question");
    const int64_t n = static_cast<int64_t>(answers[b]->size());
    if (n == 0) throw Error("empty answer");
    if (n > max_answer_length)
      throw Error("an answer of " + std::to_string(n) +
                  " characters is longer than the decoder allows (" +
                  std::to_string(max_answer_length) + ")");
    longest = std::max(longest, n);
  }
  const bool eos = tokens.eos >= 0;
  const int64_t B = batch.batch, Ta = longest + (eos ? 1 : 0);
  batch.answer_steps = Ta;
  batch.questions.resize(batch.question_steps * B);
  for (int64_t t = 0; t < batch.question_steps; ++t)
    for (int64_t b = 0; b < B; ++b) batch.questions[t * B + b] = (*questions[b])[t];
  // Inputs after an answer's end only influence ignored targets; any id serves as filler.
  const int32_t filler = eos ? tokens.eos : tokens.bos;
  batch.decoder_inputs.resize(Ta * B);
  batch.targets.resize(Ta * B);
  for (int64_t b = 0; b < B; ++b) {
    const std::vector<int32_t>& a = *answers[b];
    const int64_t n = static_cast<int64_t>(a.size());
    for (int64_t t = 0; t < Ta; ++t) {
      batch.decoder_inputs[t * B + b] = t == 0 ? tokens.bos : (t - 1 < n ? a[t - 1] : filler);
      batch.targets[t * B + b] = t < n ? a[t] : (t == n && eos ? tokens.eos : kIgnoreIndex);
    }
  }
  return batch;
}

Seq2seq::Seq2seq(const Seq2seqConfig& config)
    : config_(validated(config)),
      encoder_embedding_(config.vocab_size, config.embedding_dim, "encoder.embedding"),
      decoder_embedding_(config.vocab_size, config.embedding_dim, "decoder.embedding"),
      encoder_(encoder_options(config), "encoder.rnn"),
      decoder_(decoder_options(config), "decoder.rnn"),
      fc_(config.output_input_size(), config.vocab_size, "decoder.fc") {}

ParameterList Seq2seq::all_parameters() {
  ParameterList params{&encoder_embedding_.weight};
  for (Parameter* p : encoder_.parameters()) params.push_back(p);
  params.push_back(&decoder_embedding_.weight);
  for (Parameter* p : decoder_.parameters()) params.push_back(p);
  for (Parameter* p : fc_.parameters()) params.push_back(p);
  return params;
}

ParameterList Seq2seq::parameters() {
  ParameterList params;
  for (Parameter* p : all_parameters())
    if (!config_.single_bias || p->name.find(".bias_hh_") == std::string::npos) params.push_back(p);
  return params;
}

int64_t Seq2seq::parameter_count() {
  int64_t n = 0;
  for (Parameter* p : parameters()) n += p->value.numel();
  return n;
}

void Seq2seq::reset_parameters(Rng& rng, Seq2seqInit init) {
  if (init == Seq2seqInit::PyTorch) {
    encoder_embedding_.reset_parameters(rng);
    encoder_.reset_parameters(rng);
    decoder_embedding_.reset_parameters(rng);
    decoder_.reset_parameters(rng);
    fc_.reset_parameters(rng);
    if (config_.single_bias)
      for (Parameter* p : all_parameters())
        if (p->name.find(".bias_hh_") != std::string::npos) p->value.zero();
    return;
  }
  auto book_rnn = [&](RNN& rnn) {
    for (int64_t l = 0; l < rnn.options().num_layers; ++l)
      for (int64_t d = 0; d < rnn.directions(); ++d) {
        RecurrentLayer& layer = rnn.layer(l, d);
        normal_fill(layer.weight_ih.value, rng,
                    1.0f / std::sqrt(static_cast<float>(layer.input_size())));
        normal_fill(layer.weight_hh.value, rng,
                    1.0f / std::sqrt(static_cast<float>(layer.hidden_size())));
        layer.bias_ih.value.zero();
        layer.bias_hh.value.zero();
      }
  };
  normal_fill(encoder_embedding_.weight.value, rng, 0.01f);
  book_rnn(encoder_);
  normal_fill(decoder_embedding_.weight.value, rng, 0.01f);
  book_rnn(decoder_);
  normal_fill(fc_.weight().value, rng, 1.0f / std::sqrt(static_cast<float>(fc_.in_features())));
  fc_.bias.value.zero();
}

void Seq2seq::run_encoder(std::span<const int32_t> questions, int64_t T, int64_t B, bool training,
                          Rng* rng) {
  if (T <= 0 || B <= 0 || static_cast<int64_t>(questions.size()) != T * B)
    throw Error("seq2seq: " + std::to_string(questions.size()) + " question ids for " +
                std::to_string(T) + " steps x " + std::to_string(B) + " sequences");
  encoder_ids_.resize(T * B);
  for (int64_t t = 0; t < T; ++t) {
    const int64_t source = config_.reverse_input ? T - 1 - t : t;
    std::copy_n(questions.begin() + source * B, B, encoder_ids_.begin() + t * B);
  }
  const int64_t E = config_.embedding_dim, H = config_.hidden_size, D = config_.directions();
  const int64_t L = config_.num_layers, DH = config_.decoder_hidden_size();
  encoder_x_.resize({T, B, E});
  encoder_embedding_.forward(encoder_ids_, encoder_x_.data());
  encoder_.forward(encoder_x_, nullptr, nullptr, memory_, &encoder_hN_, nullptr, training, rng);
  decoder_h0_.resize({L, B, DH});
  for (int64_t l = 0; l < L; ++l)
    for (int64_t d = 0; d < D; ++d)
      rows::copy(B, H, encoder_hN_.data() + (l * D + d) * B * H, H,
                 decoder_h0_.data() + l * B * DH + d * H, DH);
  summary_.resize({B, DH});
  rows::copy(B, DH, decoder_h0_.data() + (L - 1) * B * DH, DH, summary_.data(), DH);
}

void Seq2seq::build_decoder_input(const Tensor& embedded, int64_t steps, int64_t B) {
  const int64_t E = config_.embedding_dim, DH = config_.decoder_hidden_size();
  const int64_t In = config_.decoder_input_size();
  decoder_x_.resize({steps, B, In});
  for (int64_t s = 0; s < steps; ++s) {
    float* x = decoder_x_.data() + s * B * In;
    rows::copy(B, DH, summary_.data(), DH, x, In);
    rows::copy(B, E, embedded.data() + s * B * E, E, x + DH, In);
  }
}

const float* Seq2seq::build_output_input(const Tensor& y, const Tensor& context, int64_t rows,
                                         int64_t B) {
  const int64_t DH = config_.decoder_hidden_size(), F = config_.output_input_size();
  if (F == DH) return y.data();
  output_in_.resize({rows, F});
  float* out = output_in_.data();
  int64_t offset = 0;
  if (config_.peeky) {
    for (int64_t s = 0; s < rows / B; ++s)
      rows::copy(B, DH, summary_.data(), DH, out + s * B * F, F);
    offset += DH;
  }
  if (config_.attention) {
    rows::copy(rows, DH, context.data(), DH, out + offset, F);
    offset += DH;
  }
  rows::copy(rows, DH, y.data(), DH, out + offset, F);
  return out;
}

void Seq2seq::set_data_parallel(const BatchShard& shard, GradientSink* sink) {
  encoder_.set_batch_shard(shard);
  decoder_.set_batch_shard(shard);
  gradient_sink_ = sink;
}

LossResult Seq2seq::forward_backward(const Seq2seqBatch& batch, bool training, bool backward,
                                     Rng* rng) {
  const int64_t T = batch.question_steps, A = batch.answer_steps, B = batch.batch;
  const int64_t N = A * B, V = config_.vocab_size, E = config_.embedding_dim;
  const int64_t L = config_.num_layers, D = config_.directions(), H = config_.hidden_size;
  const int64_t DH = config_.decoder_hidden_size(), F = config_.output_input_size();
  if (A <= 0 || static_cast<int64_t>(batch.decoder_inputs.size()) != N ||
      static_cast<int64_t>(batch.targets.size()) != N)
    throw Error("malformed seq2seq batch: " + std::to_string(A) + " answer steps x " +
                std::to_string(B) + " with " + std::to_string(batch.decoder_inputs.size()) +
                " inputs and " + std::to_string(batch.targets.size()) + " targets");
  run_encoder(batch.questions, T, B, training, rng);

  decoder_emb_.resize({A, B, E});
  decoder_embedding_.forward(batch.decoder_inputs, decoder_emb_.data());
  if (config_.peeky) build_decoder_input(decoder_emb_, A, B);
  const Tensor& decoder_in = config_.peeky ? decoder_x_ : decoder_emb_;
  decoder_.forward(decoder_in, &decoder_h0_, nullptr, decoder_y_, nullptr, nullptr, training, rng);
  if (config_.attention) attention_.forward(decoder_y_, memory_, context_);
  const float* output_in = build_output_input(decoder_y_, context_, N, B);
  logits_.resize({N, V});
  fc_.forward(output_in, F, N, logits_.data(), V);

  int64_t counted = 0;
  for (int32_t t : batch.targets) counted += t != kIgnoreIndex;
  const float scale = counted ? 1.0f / static_cast<float>(counted) : 0.0f;
  CrossEntropySum ce =
      softmax_cross_entropy(logits_.data(), N, V, V, batch.targets.data(), kIgnoreIndex,
                            backward ? logits_.data() : nullptr, scale);
  LossResult result{ce.loss_sum, ce.count};
  if (!backward) return result;

  // The output layer's input splits into [summary | context | decoder output].
  doutput_in_.resize({N, F});
  fc_.backward(output_in, F, N, logits_.data(), V, doutput_in_.data(), F);
  const GradientReport report{gradient_sink_, counted};
  report(fc_.parameters());
  ddecoder_y_.resize({A, B, DH});
  rows::copy(N, DH, doutput_in_.data() + F - DH, F, ddecoder_y_.data(), DH);
  dsummary_.resize({B, DH});
  dsummary_.zero();
  if (config_.peeky) add_step_sums(A, B, DH, doutput_in_.data(), F, dsummary_.data());
  dmemory_.resize({T, B, DH});
  dmemory_.zero();
  if (config_.attention) {
    dcontext_.resize({A, B, DH});
    rows::copy(N, DH, doutput_in_.data() + (config_.peeky ? DH : 0), F, dcontext_.data(), DH);
    attention_.backward(dcontext_, dqueries_, dmemory_);
    for (int64_t i = 0; i < ddecoder_y_.numel(); ++i) ddecoder_y_[i] += dqueries_[i];
  }

  decoder_.backward(ddecoder_y_, nullptr, nullptr, &ddecoder_x_, &ddecoder_h0_, nullptr, report);
  if (config_.peeky) {
    const int64_t In = config_.decoder_input_size();
    add_step_sums(A, B, DH, ddecoder_x_.data(), In, dsummary_.data());
    demb_.resize({A, B, E});
    rows::copy(N, E, ddecoder_x_.data() + DH, In, demb_.data(), E);
    decoder_embedding_.backward(batch.decoder_inputs, demb_.data());
  } else {
    decoder_embedding_.backward(batch.decoder_inputs, ddecoder_x_.data());
  }

  float* last = ddecoder_h0_.data() + (L - 1) * B * DH;
  for (int64_t i = 0; i < B * DH; ++i) last[i] += dsummary_[i];
  dencoder_hN_.resize(encoder_.state_shape(B));
  for (int64_t l = 0; l < L; ++l)
    for (int64_t d = 0; d < D; ++d)
      rows::copy(B, H, ddecoder_h0_.data() + l * B * DH + d * H, DH,
                 dencoder_hN_.data() + (l * D + d) * B * H, H);
  encoder_.backward(dmemory_, &dencoder_hN_, nullptr, &dencoder_x_, nullptr, nullptr, report);
  encoder_embedding_.backward(encoder_ids_, dencoder_x_.data());
  return result;
}

void Seq2seq::encode(std::span<const int32_t> questions, int64_t steps, int64_t batch,
                     DecoderState& state) {
  run_encoder(questions, steps, batch, false, nullptr);
  state.h = decoder_h0_;
  state.c = Tensor();
}

void Seq2seq::select_memory(std::span<const int32_t> columns) {
  if (memory_.empty()) throw Error("seq2seq: select_memory before encode");
  memory_ = gather_columns(memory_, columns);
  Tensor summary = summary_;
  summary.reshape({1, summary_.dim(0), summary_.dim(1)});
  summary_ = gather_columns(summary, columns);
  summary_.reshape({static_cast<int64_t>(columns.size()), config_.decoder_hidden_size()});
}

void Seq2seq::decode_step(std::span<const int32_t> ids, DecoderState& state, Tensor& logits,
                          Tensor* weights) {
  const int64_t B = static_cast<int64_t>(ids.size()), V = config_.vocab_size;
  if (memory_.empty() || summary_.dim(0) != B)
    throw Error("seq2seq: decode_step for " + std::to_string(B) +
                " sequences does not match the encoded batch");
  decoder_emb_.resize({1, B, config_.embedding_dim});
  decoder_embedding_.forward(ids, decoder_emb_.data());
  if (config_.peeky) build_decoder_input(decoder_emb_, 1, B);
  const bool lstm = has_cell_state(config_.cell);
  decoder_.forward(config_.peeky ? decoder_x_ : decoder_emb_, &state.h,
                   lstm && !state.c.empty() ? &state.c : nullptr, decoder_y_, &step_hN_,
                   lstm ? &step_cN_ : nullptr, false, nullptr);
  std::swap(state.h, step_hN_);
  if (lstm) std::swap(state.c, step_cN_);
  if (config_.attention) {
    attention_.forward(decoder_y_, memory_, context_);
    if (weights) {
      const int64_t T = memory_.dim(0);
      weights->resize({B, T});
      for (int64_t b = 0; b < B; ++b)
        for (int64_t s = 0; s < T; ++s)
          (*weights)[b * T + (config_.reverse_input ? T - 1 - s : s)] =
              attention_.weights()[b * T + s];
    }
  }
  const float* output_in = build_output_input(decoder_y_, context_, B, B);
  logits.resize({B, V});
  fc_.forward(output_in, config_.output_input_size(), B, logits.data(), V);
}

std::vector<std::pair<std::string, Tensor*>> Seq2seq::named_tensors() {
  std::vector<std::pair<std::string, Tensor*>> tensors;
  for (Parameter* p : all_parameters()) tensors.emplace_back(p->name, &p->value);
  return tensors;
}

std::vector<std::pair<std::string, const Tensor*>> Seq2seq::state_dict() {
  auto named = named_tensors();
  return {named.begin(), named.end()};
}

void Seq2seq::load_state_dict(const std::map<std::string, Tensor>& tensors) {
  if (config_.single_bias)
    for (const auto& [name, t] : tensors)
      if (name.find(".bias_hh_") != std::string::npos &&
          std::any_of(t.span().begin(), t.span().end(), [](float v) { return v != 0; }))
        throw Error("single_bias is set but " + name + " is not zero");
  load_state_dict_strict(named_tensors(), tensors);
  note_weights_changed();
}

std::vector<std::vector<int32_t>> greedy_decode(Seq2seq& model,
                                                const std::vector<std::vector<int32_t>>& questions,
                                                const Seq2seqTokens& tokens, int64_t max_batch) {
  if (max_batch < 1) throw Error("greedy_decode: max_batch must be positive");
  std::map<size_t, std::vector<size_t>> by_length;
  for (size_t i = 0; i < questions.size(); ++i) {
    if (questions[i].empty()) throw Error("cannot answer an empty question");
    by_length[questions[i].size()].push_back(i);
  }
  const int64_t V = model.config().vocab_size, steps = model.config().max_answer_length;
  std::vector<std::vector<int32_t>> answers(questions.size());
  DecoderState state;
  Tensor logits;
  std::vector<int32_t> ids, current;
  for (const auto& [length, members] : by_length) {
    const int64_t T = static_cast<int64_t>(length);
    for (size_t start = 0; start < members.size(); start += max_batch) {
      const size_t end = std::min(members.size(), start + static_cast<size_t>(max_batch));
      const int64_t B = static_cast<int64_t>(end - start);
      ids.resize(T * B);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t) ids[t * B + b] = questions[members[start + b]][t];
      model.encode(ids, T, B, state);
      current.assign(B, tokens.bos);
      std::vector<uint8_t> done(B, 0);
      int64_t remaining = B;
      for (int64_t step = 0; step < steps && remaining > 0; ++step) {
        model.decode_step(current, state, logits);
        for (int64_t b = 0; b < B; ++b) {
          current[b] = argmax(logits.data() + b * V, V);
          if (done[b]) continue;
          if (current[b] == tokens.eos) {
            done[b] = 1;
            --remaining;
          } else {
            answers[members[start + b]].push_back(current[b]);
          }
        }
      }
    }
  }
  return answers;
}

std::vector<int32_t> greedy_decode_with_attention(Seq2seq& model,
                                                  const std::vector<int32_t>& question,
                                                  const Seq2seqTokens& tokens, Tensor& weights) {
  if (question.empty()) throw Error("cannot answer an empty question");
  const int64_t T = static_cast<int64_t>(question.size()), V = model.config().vocab_size;
  DecoderState state;
  Tensor logits, step_weights;
  model.encode(question, T, 1, state);
  std::vector<int32_t> answer, current{tokens.bos};
  std::vector<float> rows;
  for (int64_t step = 0; step < model.config().max_answer_length; ++step) {
    model.decode_step(current, state, logits, &step_weights);
    if (model.config().attention)
      rows.insert(rows.end(), step_weights.span().begin(), step_weights.span().end());
    current[0] = argmax(logits.data(), V);
    if (current[0] == tokens.eos) break;
    answer.push_back(current[0]);
  }
  const int64_t steps = static_cast<int64_t>(rows.size()) / T;
  weights = Tensor::from({steps, T}, rows);
  return answer;
}

Vocab build_seq2seq_vocab(const PairCorpus& corpus) {
  std::vector<std::string> order;
  std::map<std::string, bool> seen;
  auto add = [&](const std::string& token) {
    if (seen.emplace(token, true).second) order.push_back(token);
  };
  const bool underscore = corpus.format == PairFormat::Underscore;
  size_t first_length = 0;
  bool lengths_differ = false;
  for (size_t i = 0; i < corpus.pairs.size(); ++i) {
    const TextPair& pair = corpus.pairs[i];
    for (char32_t c : utf8::decode(pair.question, "question")) add(utf8::encode(c));
    if (underscore) add("_");
    const std::u32string answer = utf8::decode(pair.answer, "answer");
    for (char32_t c : answer) add(utf8::encode(c));
    if (i == 0) first_length = answer.size();
    lengths_differ = lengths_differ || answer.size() != first_length;
  }
  SpecialTokens specials;
  specials.bos = underscore ? "_" : "<bos>";
  if (!underscore) order.push_back(specials.bos);
  if (lengths_differ) {
    specials.eos = "<eos>";
    order.push_back(specials.eos);
  }
  return Vocab::from_tokens(std::move(order), TokenLevel::Char, specials, Normalization{});
}

void save_seq2seq(const std::string& path, Seq2seq& model, const Vocab& vocab) {
  write_safetensors(
      path, model.state_dict(),
      {{"rnnkit.seq2seq_config", model.config().to_json()}, {"rnnkit.vocab", vocab.to_json()}});
}

void check_config_against_tensors(const Seq2seqConfig& config,
                                  const std::map<std::string, Tensor>& t) {
  expect_dimension(t, "decoder.embedding.weight", 0, config.vocab_size, "vocab_size");
  expect_dimension(t, "decoder.embedding.weight", 1, config.embedding_dim, "embedding_dim");
  expect_dimension(t, "encoder.rnn.weight_hh_l0", 1, config.hidden_size, "hidden_size");
  if (count_numbered(t, "encoder.rnn.weight_hh_l") != config.num_layers)
    throw Error("the configuration's num_layers does not match the encoder's tensors");
}

LoadedSeq2seq load_seq2seq(const std::string& path) {
  const std::string file = resolve_model_path(path);
  SafetensorsFile contents = read_safetensors(file);
  const std::string what = "a seq2seq model";
  return naming_file(file, [&] {
    Seq2seqConfig config =
        Seq2seqConfig::from_json(require_metadata(contents, "rnnkit.seq2seq_config", file, what));
    Vocab vocab = Vocab::from_json(require_metadata(contents, "rnnkit.vocab", file, what));
    if (vocab.size() != config.vocab_size)
      throw Error("the vocabulary has " + std::to_string(vocab.size()) + " tokens but the model " +
                  std::to_string(config.vocab_size));
    seq2seq_tokens(vocab);
    const auto& t = contents.tensors;
    check_config_against_tensors(config, t);
    LoadedSeq2seq loaded{std::make_unique<Seq2seq>(config), std::move(vocab)};
    loaded.model->load_state_dict(t);
    return loaded;
  });
}

}  // namespace rnnkit
