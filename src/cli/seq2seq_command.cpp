#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/option_flags.h"
#include "cli/text_inputs.h"
#include "cli/training_run.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/gemm.h"
#include "rnnkit/plot.h"
#include "rnnkit/seq2seq_training.h"

namespace rnnkit::cli {
namespace {

using Ids = std::vector<int32_t>;

void run_predict(const std::string& model_path, const std::vector<std::string>& args,
                 int64_t beam) {
  LoadedSeq2seq m = load_seq2seq(model_path);
  std::vector<Ids> questions;
  for (const auto& [text, where] : texts_from(args, "question"))
    questions.push_back(prepare_question(m, text, where));
  for (const Ids& a : answer_questions(m, questions, beam)) std::cout << answer_text(m, a) << "\n";
}

void run_eval(const std::string& model_path, const std::string& data_path,
              const std::string& format, int64_t beam) {
  LoadedSeq2seq m = load_seq2seq(model_path);
  PairCorpus corpus = read_pairs(data_path, parse_pair_format(format));
  EncodedPairs data = encode_pairs(corpus, m.vocab, data_path, m.model->config().max_answer_length);
  // The questions and answers as predict takes and gives them (a space-padded model's padding
  // added and dropped), so that a pair scores as predict would answer it, padded or not.
  std::vector<Ids> questions;
  for (const TextPair& pair : corpus.pairs)
    questions.push_back(
        prepare_question(m, pair.question, data_path + ":" + std::to_string(pair.line)));
  std::vector<Ids> answers = answer_questions(m, questions, beam);
  int64_t correct = 0;
  for (size_t i = 0; i < answers.size(); ++i)
    correct += answer_text(m, answers[i]) == answer_text(m, data.answers[i]);
  std::printf("%lld of %s exact (accuracy %.2f%%)\n", static_cast<long long>(correct),
              counted(std::ssize(answers), "answer", "answers").c_str(),
              100.0 * correct / answers.size());
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

struct UseArgs {
  std::string model, data, format = "auto", input, out;
  std::vector<std::string> questions;
  int64_t beam = 1;
  RuntimeOptions runtime;
};

// --model, --beam and --threads of predict and eval.
void add_use_flags(CLI::App& app, UseArgs& a) {
  app.add_option("-m,--model", a.model, "model file or run directory")->required();
  app.add_option("--beam", a.beam, "beam width (1 = greedy)")->capture_default_str();
  add_option_table(app, a.runtime, RuntimeOptions::table());
}

void setup_seq2seq(CLI::App& app) {
  auto t = std::make_shared<Seq2seqTrainOptions>();
  auto resume = std::make_shared<ResumeFlags>();
  CLI::App* train =
      app.add_subcommand("train", "Train an encoder-decoder on question/answer pairs");
  add_option_table(*train, *t, Seq2seqTrainOptions::table());
  add_resume_flag(*train, *resume);
  train->callback([train, t, resume] {
    const TrainSummary s = train_from_command_line(*train, *resume, "seq2seq", *t, &train_seq2seq);
    print_run_files(s);
    exit_if_interrupted(s, "seq2seq train");
  });

  auto u = std::make_shared<UseArgs>();
  CLI::App* predict = app.add_subcommand("predict", "Answer questions (arguments, or stdin lines)");
  add_use_flags(*predict, *u);
  predict->add_option("questions", u->questions, "questions (default: one per line of stdin)");
  predict->callback([u] {
    apply_runtime(u->runtime);
    run_predict(u->model, u->questions, u->beam);
  });

  CLI::App* eval = app.add_subcommand("eval", "Exact-match accuracy on a file of pairs");
  add_use_flags(*eval, *u);
  eval->add_option("--data", u->data, "pairs to answer")->required();
  eval->add_option("--format", u->format, "auto | underscore | tsv")->capture_default_str();
  eval->callback([u] {
    apply_runtime(u->runtime);
    run_eval(u->model, u->data, u->format, u->beam);
  });

  CLI::App* attend = app.add_subcommand("attend", "Draw the attention weights of one answer");
  attend->add_option("-m,--model", u->model, "model file or run directory")->required();
  attend->add_option("--input", u->input, "the question")->required();
  attend->add_option("--out", u->out, "heat map file, .svg or .png")->required();
  add_option_table(*attend, u->runtime, RuntimeOptions::table());
  attend->callback([u] {
    apply_runtime(u->runtime);
    run_attend(u->model, u->input, u->out);
  });
  app.require_subcommand(1);
}

const Registration registration({"seq2seq", "Train and use encoder-decoder models", setup_seq2seq});

}  // namespace
}  // namespace rnnkit::cli
