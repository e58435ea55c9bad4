#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/command.h"
#include "rnnkit/adam.h"
#include "rnnkit/classifier.h"
#include "rnnkit/clip_grad_norm.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/gemm.h"
#include "rnnkit/pair_corpus.h"
#include "rnnkit/sgd.h"

namespace rnnkit::cli {
namespace {

using Ids = std::vector<int32_t>;

struct TrainArgs {
  std::string data, valid, out, level = "char";
  double valid_fraction = 0.1;
  uint32_t split_seed = 1984;
  std::string cell = "lstm";
  int64_t layers = 1, hidden = 64, embedding = 16;
  bool bidirectional = false;
  double dropout = 0.0, remember_bias = 0.0;
  std::string optimizer = "adam";
  double lr = 1e-3, momentum = 0.0, weight_decay = 0.0, clip = 5.0;
  int64_t epochs = 10, batch = 32;
  uint64_t seed = 1;
  int threads = 0;
  bool quiet = false;
};

struct Examples {
  std::vector<Ids> texts;
  std::vector<int32_t> labels;
  std::vector<int64_t> lengths;
};

Ids encode(const Vocab& vocab, const std::string& text, const std::string& where) {
  Ids ids;
  try {
    ids = vocab.encode(text);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  if (ids.empty()) throw Error(where + ": the text has no tokens");
  return ids;
}

Examples encode_examples(const std::vector<LabeledText>& raw, const Vocab& vocab,
                         const std::vector<std::string>& labels, const std::string& source) {
  Examples out;
  for (const LabeledText& ex : raw) {
    const std::string where = source + ":" + std::to_string(ex.line);
    auto it = std::find(labels.begin(), labels.end(), ex.label);
    if (it == labels.end()) throw Error(where + ": unknown label \"" + ex.label + "\"");
    out.texts.push_back(encode(vocab, ex.text, where));
    out.labels.push_back(static_cast<int32_t>(it - labels.begin()));
    out.lengths.push_back(static_cast<int64_t>(out.texts.back().size()));
  }
  return out;
}

std::unique_ptr<Optimizer> make_optimizer(const TrainArgs& a, ParameterList params) {
  if (a.optimizer == "sgd")
    return std::make_unique<SGD>(
        params, SGDOptions{.lr = a.lr, .momentum = a.momentum, .weight_decay = a.weight_decay});
  if (a.optimizer == "adam" || a.optimizer == "adamw") {
    AdamOptions o;
    o.lr = a.lr;
    o.weight_decay = a.weight_decay;
    o.decoupled_weight_decay = a.optimizer == "adamw";
    return std::make_unique<Adam>(params, o);
  }
  throw Error("--optimizer must be sgd, adam or adamw, not " + a.optimizer);
}

// The logits [C] of every given text, computed in batches of texts of equal length.
std::vector<std::vector<float>> classify(SequenceClassifier& model, const std::vector<Ids>& texts,
                                         std::span<const int64_t> indices,
                                         std::span<const int64_t> lengths) {
  std::vector<std::vector<float>> out(texts.size());
  Tensor logits;
  const int64_t C = model.config().num_classes;
  for (const auto& members : length_bucketed_batches(indices, lengths, 512, nullptr)) {
    const int64_t B = static_cast<int64_t>(members.size()), T = lengths[members[0]];
    Ids ids(T * B);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t) ids[t * B + b] = texts[members[b]][t];
    model.forward(ids, T, B, logits, false, nullptr);
    for (int64_t b = 0; b < B; ++b)
      out[members[b]].assign(logits.data() + b * C, logits.data() + (b + 1) * C);
  }
  return out;
}

int32_t argmax(const std::vector<float>& x) {
  return static_cast<int32_t>(std::max_element(x.begin(), x.end()) - x.begin());
}

struct Evaluation {
  double accuracy = 0;
  std::vector<int64_t> confusion;
};

Evaluation evaluate(SequenceClassifier& model, const Examples& data,
                    std::span<const int64_t> indices) {
  std::vector<std::vector<float>> logits = classify(model, data.texts, indices, data.lengths);
  std::vector<int32_t> actual, predicted;
  for (int64_t i : indices)
    actual.push_back(data.labels[i]), predicted.push_back(argmax(logits[i]));
  Evaluation e;
  e.confusion = confusion_matrix(actual, predicted, model.config().num_classes);
  int64_t correct = 0;
  for (size_t k = 0; k < actual.size(); ++k) correct += actual[k] == predicted[k];
  e.accuracy = actual.empty() ? 0.0 : static_cast<double>(correct) / actual.size();
  return e;
}

void print_confusion(const std::vector<int64_t>& counts, const std::vector<std::string>& labels) {
  const size_t C = labels.size();
  size_t width = 6;
  for (const std::string& l : labels) width = std::max(width, l.size() + 1);
  std::printf("confusion matrix (rows: actual, columns: predicted)\n%*s", static_cast<int>(width),
              "");
  for (const std::string& l : labels) std::printf("%*s", static_cast<int>(width), l.c_str());
  std::printf("\n");
  for (size_t r = 0; r < C; ++r) {
    std::printf("%-*s", static_cast<int>(width), labels[r].c_str());
    for (size_t c = 0; c < C; ++c)
      std::printf("%*lld", static_cast<int>(width), static_cast<long long>(counts[r * C + c]));
    std::printf("\n");
  }
}

nlohmann::json confusion_json(const std::vector<int64_t>& counts, size_t C) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t r = 0; r < C; ++r)
    rows.push_back(std::vector<int64_t>(counts.begin() + r * C, counts.begin() + (r + 1) * C));
  return rows;
}

void run_train(const TrainArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  if (a.epochs < 1) throw Error("--epochs must be at least 1");
  if (a.batch < 1) throw Error("--batch must be at least 1");
  if (a.clip < 0) throw Error("--clip must be >= 0 (0 = no clipping)");
  const TokenLevel level = parse_token_level(a.level);
  std::vector<LabeledText> raw = read_labeled_texts(a.data);

  std::set<std::string> label_set;
  std::vector<std::string> tokens;
  for (const LabeledText& ex : raw) {
    label_set.insert(ex.label);
    for (std::string& t : tokenize(ex.text, level, {}, {})) tokens.push_back(std::move(t));
  }
  const std::vector<std::string> labels(label_set.begin(), label_set.end());
  if (labels.size() < 2)
    throw Error(a.data + ": every text has the label \"" + labels[0] +
                "\"; a classifier needs two");
  const Vocab vocab = Vocab::build(tokens, level, {}, {});
  Examples data = encode_examples(raw, vocab, labels, a.data);

  std::vector<int64_t> train_idx, test_idx;
  if (!a.valid.empty()) {
    Examples held = encode_examples(read_labeled_texts(a.valid), vocab, labels, a.valid);
    const int64_t n = static_cast<int64_t>(data.texts.size());
    for (int64_t i = 0; i < n; ++i) train_idx.push_back(i);
    for (size_t i = 0; i < held.texts.size(); ++i) {
      test_idx.push_back(n + static_cast<int64_t>(i));
      data.texts.push_back(std::move(held.texts[i]));
      data.labels.push_back(held.labels[i]);
      data.lengths.push_back(held.lengths[i]);
    }
  } else {
    IndexSplit split =
        book_split(static_cast<int64_t>(data.texts.size()), a.split_seed, a.valid_fraction);
    train_idx = std::move(split.train);
    test_idx = std::move(split.test);
  }

  ClassifierConfig c;
  c.cell = parse_cell_kind(a.cell);
  c.vocab_size = vocab.size();
  c.embedding_dim = a.embedding;
  c.hidden_size = a.hidden;
  c.num_layers = a.layers;
  c.bidirectional = a.bidirectional;
  c.dropout = static_cast<float>(a.dropout);
  c.num_classes = static_cast<int64_t>(labels.size());
  SequenceClassifier model(c);
  Rng rng(a.seed);
  model.reset_parameters(rng, static_cast<float>(a.remember_bias));
  std::unique_ptr<Optimizer> optimizer = make_optimizer(a, model.parameters());

  namespace fs = std::filesystem;
  const fs::path out(a.out);
  fs::create_directories(out);
  std::ofstream metrics(out / "metrics.jsonl", std::ios::trunc);
  if (!metrics) throw Error("cannot write " + (out / "metrics.jsonl").string());
  if (!a.quiet)
    std::printf(
        "classify: %zu training and %zu held-out texts, %zu classes, vocabulary %lld, "
        "%lld parameters\n",
        train_idx.size(), test_idx.size(), labels.size(), static_cast<long long>(vocab.size()),
        static_cast<long long>(model.parameter_count()));

  using Clock = std::chrono::steady_clock;
  double best = -1;
  int64_t step = 0;
  Evaluation eval;
  for (int64_t epoch = 1; epoch <= a.epochs; ++epoch) {
    const auto start = Clock::now();
    LossResult train;
    for (const auto& members : length_bucketed_batches(train_idx, data.lengths, a.batch, &rng)) {
      const int64_t B = static_cast<int64_t>(members.size()), T = data.lengths[members[0]];
      Ids ids(T * B), targets(B);
      for (int64_t b = 0; b < B; ++b) {
        targets[b] = data.labels[members[b]];
        for (int64_t t = 0; t < T; ++t) ids[t * B + b] = data.texts[members[b]][t];
      }
      zero_grad(model.parameters());
      LossResult r = model.forward_backward(ids, T, B, targets, true, true, &rng);
      train.loss_sum += r.loss_sum;
      train.count += r.count;
      if (a.clip > 0) clip_grad_norm(model.parameters(), static_cast<float>(a.clip));
      optimizer->step();
      ++step;
    }
    eval = evaluate(model, data, test_idx);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    save_classifier((out / "last.safetensors").string(), model, vocab, labels);
    if (eval.accuracy > best) {
      best = eval.accuracy;
      save_classifier((out / "best.safetensors").string(), model, vocab, labels);
    }
    nlohmann::json line = {{"type", "epoch"},
                           {"epoch", epoch},
                           {"step", step},
                           {"train_loss", train.mean()},
                           {"accuracy", eval.accuracy},
                           {"confusion", confusion_json(eval.confusion, labels.size())},
                           {"seconds", seconds}};
    metrics << line.dump() << "\n" << std::flush;
    if (!a.quiet)
      std::printf("epoch %lld/%lld  train loss %.4f  accuracy %.2f%%  %.1fs\n",
                  static_cast<long long>(epoch), static_cast<long long>(a.epochs), train.mean(),
                  100.0 * eval.accuracy, seconds);
    std::fflush(stdout);
  }
  if (!a.quiet) print_confusion(eval.confusion, labels);
}

void run_predict(const std::string& model_path, const std::vector<std::string>& args,
                 bool probabilities) {
  LoadedClassifier m = load_classifier(model_path);
  std::vector<Ids> texts;
  if (!args.empty()) {
    for (size_t i = 0; i < args.size(); ++i)
      texts.push_back(encode(m.vocab, args[i], "text " + std::to_string(i + 1)));
  } else {
    std::string line;
    for (int64_t number = 1; std::getline(std::cin, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      texts.push_back(encode(m.vocab, line, "stdin:" + std::to_string(number)));
    }
  }
  std::vector<int64_t> indices(texts.size()), lengths(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    indices[i] = static_cast<int64_t>(i);
    lengths[i] = static_cast<int64_t>(texts[i].size());
  }
  const std::vector<std::vector<float>> logits = classify(*m.model, texts, indices, lengths);
  std::vector<float> log_probs;
  for (const std::vector<float>& row : logits) {
    const int32_t best = argmax(row);
    std::cout << m.labels[best];
    if (probabilities) {
      log_probs.resize(row.size());
      log_softmax(row.data(), static_cast<int64_t>(row.size()), log_probs.data());
      std::cout << "\t" << std::exp(log_probs[best]);
    }
    std::cout << "\n";
  }
}

void run_eval(const std::string& model_path, const std::string& data_path) {
  LoadedClassifier m = load_classifier(model_path);
  Examples data = encode_examples(read_labeled_texts(data_path), m.vocab, m.labels, data_path);
  std::vector<int64_t> all(data.texts.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  Evaluation e = evaluate(*m.model, data, all);
  std::printf("accuracy %.2f%% on %zu texts\n", 100.0 * e.accuracy, all.size());
  print_confusion(e.confusion, m.labels);
}

void run_generate(const std::string& task, int64_t length, int64_t count, uint64_t seed,
                  const std::string& out) {
  std::vector<LabeledText> examples;
  if (task == "recall") {
    examples = make_recall_task(count, length, seed);
  } else if (task == "first") {
    examples = make_first_key_task(count, length, seed);
  } else {
    throw Error("--task must be recall or first, not " + task);
  }
  std::string text;
  for (const LabeledText& ex : examples) text += ex.label + "\t" + ex.text + "\n";
  if (out.empty() || out == "-") {
    std::cout << text;
  } else {
    write_file_atomically(out, text);
  }
}

void setup_classify(CLI::App& app) {
  auto t = std::make_shared<TrainArgs>();
  CLI::App* train =
      app.add_subcommand("train", "Train a sequence classifier on label<TAB>text lines");
  train->add_option("--data", t->data, "label<TAB>text, one per line")->required();
  train->add_option("--valid", t->valid, "Held-out texts (default: a shuffled share of --data)");
  train->add_option("--valid-fraction", t->valid_fraction, "Held-out share of --data")
      ->capture_default_str();
  train->add_option("--split-seed", t->split_seed, "Seed of the held-out split")
      ->capture_default_str();
  train->add_option("--out", t->out, "Run directory (last/best.safetensors, metrics.jsonl)")
      ->required();
  train->add_option("--level", t->level, "char | word")->capture_default_str();
  train->add_option("--cell", t->cell, "rnn_tanh | rnn_relu | lstm | gru")->capture_default_str();
  train->add_option("--layers", t->layers, "Recurrent layers")->capture_default_str();
  train->add_option("--hidden", t->hidden, "Hidden size")->capture_default_str();
  train->add_option("--embedding", t->embedding, "Embedding size (0 = one-hot)")
      ->capture_default_str();
  train->add_flag("--bidirectional", t->bidirectional, "Bidirectional recurrent stack");
  train->add_option("--dropout", t->dropout, "Dropout between stacked layers")
      ->capture_default_str();
  train
      ->add_option("--remember-bias", t->remember_bias,
                   "Added to the initial bias of the LSTM forget / GRU update gate")
      ->capture_default_str();
  train->add_option("--optimizer", t->optimizer, "sgd | adam | adamw")->capture_default_str();
  train->add_option("--lr", t->lr, "Learning rate")->capture_default_str();
  train->add_option("--momentum", t->momentum, "SGD momentum")->capture_default_str();
  train->add_option("--weight-decay", t->weight_decay, "Weight decay")->capture_default_str();
  train->add_option("--clip", t->clip, "Max global gradient norm (0 = off)")->capture_default_str();
  train->add_option("--epochs", t->epochs, "Epochs")->capture_default_str();
  train->add_option("--batch", t->batch, "Batch size")->capture_default_str();
  train->add_option("--seed", t->seed, "Seed of initialisation, shuffling and dropout")
      ->capture_default_str();
  train->add_option("--threads", t->threads, "Threads (0 = OpenMP's default)");
  train->add_flag("-q,--quiet", t->quiet, "No progress output");
  train->callback([t] { run_train(*t); });

  struct PredictArgs {
    std::string model;
    std::vector<std::string> texts;
    bool probabilities = false;
  };
  auto p = std::make_shared<PredictArgs>();
  CLI::App* predict = app.add_subcommand("predict", "Label texts (arguments, or stdin lines)");
  predict->add_option("--model", p->model, "Model file or run directory")->required();
  predict->add_option("texts", p->texts, "Texts (default: one per line of stdin)");
  predict->add_flag("--probabilities", p->probabilities, "Print the label's probability too");
  predict->callback([p] { run_predict(p->model, p->texts, p->probabilities); });

  struct EvalArgs {
    std::string model, data;
  };
  auto e = std::make_shared<EvalArgs>();
  CLI::App* eval = app.add_subcommand("eval", "Accuracy and confusion matrix on labelled texts");
  eval->add_option("--model", e->model, "Model file or run directory")->required();
  eval->add_option("--data", e->data, "label<TAB>text, one per line")->required();
  eval->callback([e] { run_eval(e->model, e->data); });

  struct GenerateArgs {
    std::string task = "recall", out;
    int64_t length = 20, count = 5000;
    uint64_t seed = 1;
  };
  auto g = std::make_shared<GenerateArgs>();
  CLI::App* generate =
      app.add_subcommand("generate", "Write a labelled task with a known answer (TSV)");
  generate
      ->add_option("--task", g->task,
                   "recall: does the first character (A-H) recur as the last one? "
                   "first: is the first character in A-D or E-H?")
      ->capture_default_str();
  generate->add_option("--length", g->length, "Characters per text")->capture_default_str();
  generate->add_option("--count", g->count, "Number of texts")->capture_default_str();
  generate->add_option("--seed", g->seed, "Seed")->capture_default_str();
  generate->add_option("--out", g->out, "Output file (default: stdout)");
  generate->callback([g] { run_generate(g->task, g->length, g->count, g->seed, g->out); });
  app.require_subcommand(1);
}

const Registration registration({"classify", "Train and use many-to-one sequence classifiers",
                                 setup_classify});

}  // namespace
}  // namespace rnnkit::cli
