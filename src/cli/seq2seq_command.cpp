#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "rnnkit/adam.h"
#include "rnnkit/clip_grad_norm.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/pair_corpus.h"
#include "rnnkit/plot.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/seq2seq.h"
#include "rnnkit/sgd.h"
#include "rnnkit/utf8.h"

namespace rnnkit::cli {
namespace {

using Ids = std::vector<int32_t>;

struct TrainArgs {
  std::string data, valid, format = "auto", out;
  double valid_fraction = 0.1;
  uint32_t split_seed = 1984;
  std::string cell = "lstm", init = "book";
  int64_t layers = 1, hidden = 128, embedding = 16;
  bool bidirectional = false, reverse = false, peeky = false, attention = false;
  bool single_bias = false;
  double dropout = 0.0;
  std::string optimizer = "adam";
  double lr = 1e-3, momentum = 0.0, weight_decay = 0.0, eps = 1e-8, clip = 5.0;
  int64_t epochs = 25, batch = 128, max_answer_length = 0, eval_batch = 1000;
  uint64_t seed = 1;
  int threads = 0;
  bool resume = false, quiet = false;
};

// Character ids of a text; unknown characters are an Error naming `where`.
Ids encode(const Vocab& vocab, const std::string& text, const std::string& where) {
  try {
    return vocab.encode(text);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

std::string line_of(const std::string& source, int64_t line) {
  return source + ":" + std::to_string(line);
}

struct EncodedPairs {
  std::vector<Ids> questions, answers;
  std::vector<int64_t> lines;
  std::vector<int64_t> question_lengths;
};

EncodedPairs encode_pairs(const PairCorpus& corpus, const Vocab& vocab, const std::string& source,
                          int64_t max_answer_length) {
  EncodedPairs out;
  for (const TextPair& pair : corpus.pairs) {
    const std::string where = line_of(source, pair.line);
    out.questions.push_back(encode(vocab, pair.question, where));
    out.answers.push_back(encode(vocab, pair.answer, where));
    if (static_cast<int64_t>(out.answers.back().size()) > max_answer_length)
      throw Error(where + ": the answer has " + std::to_string(out.answers.back().size()) +
                  " characters, more than the decoder allows (" +
                  std::to_string(max_answer_length) + ")");
    out.lines.push_back(pair.line);
    out.question_lengths.push_back(static_cast<int64_t>(out.questions.back().size()));
  }
  return out;
}

// The book's files pad questions and answers with trailing spaces to fixed widths.
bool is_space_padded(const PairCorpus& corpus, int64_t& question_width) {
  auto width = [](const std::string& s) { return static_cast<int64_t>(utf8::decode(s).size()); };
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

std::unique_ptr<Optimizer> make_optimizer(const TrainArgs& a, ParameterList params) {
  if (a.optimizer == "sgd")
    return std::make_unique<SGD>(
        params, SGDOptions{.lr = a.lr, .momentum = a.momentum, .weight_decay = a.weight_decay});
  if (a.optimizer == "adam" || a.optimizer == "adamw") {
    AdamOptions o;
    o.lr = a.lr;
    o.weight_decay = a.weight_decay;
    o.eps = a.eps;
    o.decoupled_weight_decay = a.optimizer == "adamw";
    return std::make_unique<Adam>(params, o);
  }
  throw Error("--optimizer must be sgd, adam or adamw, not " + a.optimizer);
}

struct Evaluation {
  double accuracy = 0, loss = 0;
};

Evaluation evaluate(Seq2seq& model, const EncodedPairs& data, std::span<const int64_t> indices,
                    const Seq2seqTokens& tokens, int64_t eval_batch) {
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

// What --resume needs besides the model: optimizer tensors, counters and the RNG.
void save_train_state(const std::string& path, Optimizer& optimizer, const Rng& rng, int64_t epoch,
                      int64_t step, double best_accuracy) {
  NamedTensors tensors;
  for (const auto& [name, tensor] : optimizer.state_tensors()) tensors.emplace_back(name, tensor);
  std::vector<std::string> words;
  for (uint64_t w : rng.state()) words.push_back(std::to_string(w));
  nlohmann::json j = {{"epoch", epoch},
                      {"step", step},
                      {"best_accuracy", best_accuracy},
                      {"optimizer_steps", optimizer.step_count()},
                      {"rng", words}};
  write_safetensors(path, tensors, {{"rnnkit.seq2seq_train_state", j.dump()}});
}

struct TrainState {
  int64_t epoch = 0, step = 0;
  double best_accuracy = -1;
};

TrainState load_train_state(const std::string& path, Optimizer& optimizer, Rng& rng) {
  SafetensorsFile file = read_safetensors(path);
  auto it = file.metadata.find("rnnkit.seq2seq_train_state");
  if (it == file.metadata.end()) throw Error(path + " is not a seq2seq training state");
  nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  try {
    TrainState s{j.at("epoch").get<int64_t>(), j.at("step").get<int64_t>(),
                 j.at("best_accuracy").get<double>()};
    Rng::State words{};
    for (size_t i = 0; i < words.size(); ++i)
      words[i] = std::stoull(j.at("rng").at(i).get<std::string>());
    rng.set_state(words);
    optimizer.load_state_tensors(file.tensors);
    optimizer.set_step_count(j.at("optimizer_steps").get<int64_t>());
    return s;
  } catch (const nlohmann::json::exception&) {
    throw Error(path + ": malformed training state");
  } catch (const std::logic_error&) {
    throw Error(path + ": malformed training state");
  }
}

void run_train(const TrainArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  if (a.epochs < 1) throw Error("--epochs must be at least 1");
  if (a.batch < 1) throw Error("--batch must be at least 1");
  if (a.clip < 0) throw Error("--clip must be >= 0 (0 = no clipping)");
  const PairFormat format = parse_pair_format(a.format);
  const PairCorpus corpus = read_pairs(a.data, format);
  namespace fs = std::filesystem;
  const fs::path out(a.out);
  const std::string last_path = (out / "last.safetensors").string();
  const std::string state_path = (out / "state.safetensors").string();

  std::unique_ptr<Seq2seq> model;
  Vocab vocab;
  if (a.resume) {
    LoadedSeq2seq loaded = load_seq2seq(last_path);
    model = std::move(loaded.model);
    vocab = std::move(loaded.vocab);
  } else {
    vocab = build_seq2seq_vocab(corpus);
    Seq2seqConfig c;
    c.cell = parse_cell_kind(a.cell);
    c.vocab_size = vocab.size();
    c.embedding_dim = a.embedding;
    c.hidden_size = a.hidden;
    c.num_layers = a.layers;
    c.bidirectional = a.bidirectional;
    c.dropout = static_cast<float>(a.dropout);
    c.reverse_input = a.reverse;
    c.peeky = a.peeky;
    c.attention = a.attention;
    c.single_bias = a.single_bias;
    c.max_answer_length = a.max_answer_length;
    if (c.max_answer_length == 0)
      for (const TextPair& p : corpus.pairs)
        c.max_answer_length = std::max<int64_t>(c.max_answer_length, utf8::decode(p.answer).size());
    c.space_padded = is_space_padded(corpus, c.question_width);
    if (!c.space_padded) c.question_width = 0;
    model = std::make_unique<Seq2seq>(c);
  }
  const Seq2seqConfig& config = model->config();
  const Seq2seqTokens tokens = seq2seq_tokens(vocab);

  // The held-out part: a second file, or the book's shuffled tail of this one.
  EncodedPairs data = encode_pairs(corpus, vocab, a.data, config.max_answer_length);
  std::vector<int64_t> train_idx, test_idx;
  if (!a.valid.empty()) {
    EncodedPairs held =
        encode_pairs(read_pairs(a.valid, format), vocab, a.valid, config.max_answer_length);
    const int64_t n = static_cast<int64_t>(data.questions.size());
    for (int64_t i = 0; i < n; ++i) train_idx.push_back(i);
    for (size_t i = 0; i < held.questions.size(); ++i) {
      test_idx.push_back(n + static_cast<int64_t>(i));
      data.questions.push_back(std::move(held.questions[i]));
      data.answers.push_back(std::move(held.answers[i]));
      data.lines.push_back(held.lines[i]);
      data.question_lengths.push_back(held.question_lengths[i]);
    }
  } else {
    IndexSplit split =
        book_split(static_cast<int64_t>(data.questions.size()), a.split_seed, a.valid_fraction);
    train_idx = std::move(split.train);
    test_idx = std::move(split.test);
  }

  Rng rng(a.seed);
  std::unique_ptr<Optimizer> optimizer;
  TrainState state;
  fs::create_directories(out);
  if (a.resume) {
    optimizer = make_optimizer(a, model->parameters());
    state = load_train_state(state_path, *optimizer, rng);
  } else {
    model->reset_parameters(rng, parse_seq2seq_init(a.init));
    optimizer = make_optimizer(a, model->parameters());
    std::ofstream(out / "metrics.jsonl", std::ios::trunc);
  }
  if (!a.quiet)
    std::printf(
        "seq2seq: %zu training and %zu held-out pairs, vocabulary %lld, %lld parameters%s\n",
        train_idx.size(), test_idx.size(), static_cast<long long>(vocab.size()),
        static_cast<long long>(model->parameter_count()),
        a.resume ? (", resuming after epoch " + std::to_string(state.epoch)).c_str() : "");
  std::ofstream metrics(out / "metrics.jsonl", std::ios::app);
  if (!metrics) throw Error("cannot write " + (out / "metrics.jsonl").string());

  using Clock = std::chrono::steady_clock;
  for (int64_t epoch = state.epoch + 1; epoch <= a.epochs; ++epoch) {
    const auto start = Clock::now();
    const std::clock_t cpu_start = std::clock();
    LossResult train;
    for (const auto& members :
         length_bucketed_batches(train_idx, data.question_lengths, a.batch, &rng)) {
      std::vector<const Ids*> q, ans;
      for (int64_t i : members) q.push_back(&data.questions[i]), ans.push_back(&data.answers[i]);
      Seq2seqBatch batch = make_seq2seq_batch(q, ans, tokens, config.max_answer_length);
      zero_grad(model->parameters());
      LossResult r = model->forward_backward(batch, true, true, &rng);
      train.loss_sum += r.loss_sum;
      train.count += r.count;
      if (a.clip > 0) clip_grad_norm(model->parameters(), static_cast<float>(a.clip));
      optimizer->step();
      ++state.step;
    }
    const double train_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const Evaluation eval = evaluate(*model, data, test_idx, tokens, a.eval_batch);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    // On a shared machine the wall clock also counts other processes' turns; CPU time does not.
    const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

    save_seq2seq(last_path, *model, vocab);
    if (eval.accuracy > state.best_accuracy) {
      state.best_accuracy = eval.accuracy;
      save_seq2seq((out / "best.safetensors").string(), *model, vocab);
    }
    state.epoch = epoch;
    save_train_state(state_path, *optimizer, rng, epoch, state.step, state.best_accuracy);
    nlohmann::json line = {{"type", "epoch"},
                           {"epoch", epoch},
                           {"step", state.step},
                           {"train_loss", train.mean()},
                           {"valid_loss", eval.loss},
                           {"accuracy", eval.accuracy},
                           {"train_seconds", train_seconds},
                           {"seconds", seconds},
                           {"cpu_seconds", cpu_seconds}};
    metrics << line.dump() << "\n" << std::flush;
    if (!a.quiet)
      std::printf("epoch %lld/%lld  train loss %.4f  held-out loss %.4f  accuracy %.2f%%  %.1fs\n",
                  static_cast<long long>(epoch), static_cast<long long>(a.epochs), train.mean(),
                  eval.loss, 100.0 * eval.accuracy, seconds);
    std::fflush(stdout);
  }
}

// A question as the model expects it: space-padded to the training width when the data was.
Ids prepare_question(const LoadedSeq2seq& m, std::string text, const std::string& where) {
  const Seq2seqConfig& c = m.model->config();
  if (text.empty()) throw Error(where + ": empty question");
  if (c.space_padded) {
    const int64_t width = static_cast<int64_t>(utf8::decode(text, where).size());
    if (width > c.question_width)
      throw Error(where + ": the question has " + std::to_string(width) +
                  " characters; the model was trained on questions of " +
                  std::to_string(c.question_width));
    text.append(c.question_width - width, ' ');
  }
  return encode(m.vocab, text, where);
}

std::string answer_text(const LoadedSeq2seq& m, const Ids& answer) {
  std::string text = m.vocab.decode(answer);
  if (m.model->config().space_padded)
    while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

void run_predict(const std::string& model_path, const std::vector<std::string>& args, int64_t beam,
                 int threads) {
  if (threads > 0) set_num_threads(threads);
  if (beam < 1) throw Error("--beam must be at least 1");
  LoadedSeq2seq m = load_seq2seq(model_path);
  const Seq2seqTokens tokens = seq2seq_tokens(m.vocab);
  std::vector<Ids> questions;
  if (!args.empty()) {
    for (size_t i = 0; i < args.size(); ++i)
      questions.push_back(prepare_question(m, args[i], "question " + std::to_string(i + 1)));
  } else {
    std::string line;
    for (int64_t number = 1; std::getline(std::cin, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      questions.push_back(prepare_question(m, line, line_of("stdin", number)));
    }
  }
  std::vector<Ids> answers;
  if (beam == 1) {
    answers = greedy_decode(*m.model, questions, tokens);
  } else {
    for (const Ids& q : questions) answers.push_back(beam_decode(*m.model, q, tokens, beam));
  }
  for (const Ids& a : answers) std::cout << answer_text(m, a) << "\n";
}

void run_eval(const std::string& model_path, const std::string& data_path,
              const std::string& format, int64_t beam, int threads) {
  if (threads > 0) set_num_threads(threads);
  if (beam < 1) throw Error("--beam must be at least 1");
  LoadedSeq2seq m = load_seq2seq(model_path);
  const Seq2seqTokens tokens = seq2seq_tokens(m.vocab);
  PairCorpus corpus = read_pairs(data_path, parse_pair_format(format));
  EncodedPairs data = encode_pairs(corpus, m.vocab, data_path, m.model->config().max_answer_length);
  std::vector<Ids> answers;
  if (beam == 1) {
    answers = greedy_decode(*m.model, data.questions, tokens);
  } else {
    for (const Ids& q : data.questions) answers.push_back(beam_decode(*m.model, q, tokens, beam));
  }
  int64_t correct = 0;
  for (size_t i = 0; i < answers.size(); ++i) correct += answers[i] == data.answers[i];
  std::printf("%lld of %zu answers exact (accuracy %.2f%%)\n", static_cast<long long>(correct),
              answers.size(), 100.0 * correct / answers.size());
}

void run_attend(const std::string& model_path, const std::string& input, const std::string& out) {
  LoadedSeq2seq m = load_seq2seq(model_path);
  if (!m.model->config().attention)
    throw Error(model_path + " has no attention (train it with --attention)");
  const Seq2seqTokens tokens = seq2seq_tokens(m.vocab);
  const Ids question = prepare_question(m, input, "--input");
  Tensor weights;
  const Ids answer = greedy_decode_with_attention(*m.model, question, tokens, weights);
  Heatmap map;
  for (int32_t id : question) map.col_labels.push_back(m.vocab.token(id));
  for (int64_t s = 0; s < weights.dim(0); ++s)
    map.row_labels.push_back(s < static_cast<int64_t>(answer.size()) ? m.vocab.token(answer[s])
                                                                     : m.vocab.token(tokens.eos));
  map.values.assign(weights.span().begin(), weights.span().end());
  map.title = "attention: " + input + " -> " + answer_text(m, answer);
  write_heatmap(map, out);
  std::cout << answer_text(m, answer) << "\n";
}

void setup_seq2seq(CLI::App& app) {
  auto t = std::make_shared<TrainArgs>();
  CLI::App* train =
      app.add_subcommand("train", "Train an encoder-decoder on question/answer pairs");
  train
      ->add_option("--data", t->data, "Pairs, one per line: question_answer or question<TAB>answer")
      ->required();
  train->add_option("--format", t->format, "auto | underscore | tsv")->capture_default_str();
  train->add_option("--valid", t->valid, "Held-out pairs (default: the book's split of --data)");
  train->add_option("--valid-fraction", t->valid_fraction, "Held-out share of --data")
      ->capture_default_str();
  train->add_option("--split-seed", t->split_seed, "numpy seed of the book's split")
      ->capture_default_str();
  train->add_option("--out", t->out, "Run directory (last/best.safetensors, metrics.jsonl)")
      ->required();
  train->add_option("--cell", t->cell, "rnn_tanh | rnn_relu | lstm | gru")->capture_default_str();
  train->add_option("--layers", t->layers, "Recurrent layers")->capture_default_str();
  train->add_option("--hidden", t->hidden, "Hidden size (per encoder direction)")
      ->capture_default_str();
  train->add_option("--embedding", t->embedding, "Embedding size")->capture_default_str();
  train->add_flag("--bidirectional", t->bidirectional, "Bidirectional encoder");
  train->add_option("--dropout", t->dropout, "Dropout between stacked layers")
      ->capture_default_str();
  train->add_flag("--reverse", t->reverse, "Feed the question reversed");
  train->add_flag("--peeky", t->peeky, "Peeky decoder");
  train->add_flag("--attention", t->attention, "Dot-product attention");
  train->add_option("--init", t->init, "book | pytorch")->capture_default_str();
  train->add_flag("--single-bias", t->single_bias,
                  "Train one bias per gate, as the book's LSTM (bias_hh stays 0)");
  train
      ->add_option("--max-answer-length", t->max_answer_length,
                   "Longest answer the decoder allows (0: the longest in --data)")
      ->capture_default_str();
  train->add_option("--optimizer", t->optimizer, "sgd | adam | adamw")->capture_default_str();
  train->add_option("--lr", t->lr, "Learning rate")->capture_default_str();
  train->add_option("--momentum", t->momentum, "SGD momentum")->capture_default_str();
  train->add_option("--weight-decay", t->weight_decay, "Weight decay")->capture_default_str();
  train->add_option("--eps", t->eps, "Adam epsilon")->capture_default_str();
  train->add_option("--clip", t->clip, "Max global gradient norm (0 = off)")->capture_default_str();
  train->add_option("--epochs", t->epochs, "Epochs (in all, when resuming)")->capture_default_str();
  train->add_option("--batch", t->batch, "Batch size")->capture_default_str();
  train->add_option("--eval-batch", t->eval_batch, "Batch size of the held-out evaluation")
      ->capture_default_str();
  train->add_option("--seed", t->seed, "Seed of initialisation, shuffling and dropout")
      ->capture_default_str();
  train->add_option("--threads", t->threads, "Threads (0 = OpenMP's default)");
  train->add_flag("--resume", t->resume, "Continue the run in --out after its last epoch");
  train->add_flag("-q,--quiet", t->quiet, "No progress output");
  train->callback([t] { run_train(*t); });

  struct PredictArgs {
    std::string model;
    std::vector<std::string> questions;
    int64_t beam = 1;
    int threads = 0;
  };
  auto p = std::make_shared<PredictArgs>();
  CLI::App* predict = app.add_subcommand("predict", "Answer questions (arguments, or stdin lines)");
  predict->add_option("--model", p->model, "Model file or run directory")->required();
  predict->add_option("questions", p->questions, "Questions (default: one per line of stdin)");
  predict->add_option("--beam", p->beam, "Beam width (1 = greedy)")->capture_default_str();
  predict->add_option("--threads", p->threads, "Threads (0 = OpenMP's default)");
  predict->callback([p] { run_predict(p->model, p->questions, p->beam, p->threads); });

  struct EvalArgs {
    std::string model, data, format = "auto";
    int64_t beam = 1;
    int threads = 0;
  };
  auto e = std::make_shared<EvalArgs>();
  CLI::App* eval = app.add_subcommand("eval", "Exact-match accuracy on a file of pairs");
  eval->add_option("--model", e->model, "Model file or run directory")->required();
  eval->add_option("--data", e->data, "Pairs to answer")->required();
  eval->add_option("--format", e->format, "auto | underscore | tsv")->capture_default_str();
  eval->add_option("--beam", e->beam, "Beam width (1 = greedy)")->capture_default_str();
  eval->add_option("--threads", e->threads, "Threads (0 = OpenMP's default)");
  eval->callback([e] { run_eval(e->model, e->data, e->format, e->beam, e->threads); });

  struct AttendArgs {
    std::string model, input, out;
  };
  auto at = std::make_shared<AttendArgs>();
  CLI::App* attend = app.add_subcommand("attend", "Draw the attention weights of one answer");
  attend->add_option("--model", at->model, "Model file or run directory")->required();
  attend->add_option("--input", at->input, "The question")->required();
  attend->add_option("--out", at->out, "Heat map file, .svg or .png")->required();
  attend->callback([at] { run_attend(at->model, at->input, at->out); });
  app.require_subcommand(1);
}

const Registration registration({"seq2seq", "Train and use encoder-decoder models", setup_seq2seq});

}  // namespace
}  // namespace rnnkit::cli
