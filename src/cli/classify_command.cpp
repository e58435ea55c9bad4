#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/option_flags.h"
#include "cli/text_inputs.h"
#include "cli/training_run.h"
#include "rnnkit/classifier_training.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/formatted.h"
#include "rnnkit/utf8.h"

namespace rnnkit::cli {
namespace {

// Labels padded by the columns they show, not their bytes (accents, CJK, emoji).
void print_confusion(const std::vector<int64_t>& counts, const std::vector<std::string>& labels) {
  const size_t C = labels.size();
  size_t width = 6;
  for (const std::string& l : labels) width = std::max(width, utf8::display_width(l) + 1);
  const auto padding = [&](const std::string& l) {
    return std::string(width - utf8::display_width(l), ' ');
  };
  std::printf("confusion matrix (rows: actual, columns: predicted)\n%*s", static_cast<int>(width),
              "");
  for (const std::string& l : labels) std::printf("%s%s", padding(l).c_str(), l.c_str());
  std::printf("\n");
  for (size_t r = 0; r < C; ++r) {
    std::printf("%s%s", labels[r].c_str(), padding(labels[r]).c_str());
    for (size_t c = 0; c < C; ++c)
      std::printf("%*lld", static_cast<int>(width), static_cast<long long>(counts[r * C + c]));
    std::printf("\n");
  }
}

std::vector<int64_t> all_of(const EncodedExamples& data) {
  std::vector<int64_t> all(data.texts.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  return all;
}

void run_predict(const std::string& model_path, const std::vector<std::string>& args,
                 bool probabilities) {
  LoadedClassifier m = load_classifier(model_path);
  const EncodedExamples data = encode_texts(texts_from(args, "text"), m.vocab);
  for (const LabelPrediction& p : predict_labels(*m.model, data)) {
    std::cout << m.labels[p.label];
    if (probabilities) std::cout << "\t" << p.probabilities[p.label];
    std::cout << "\n";
  }
}

void run_eval(const std::string& model_path, const std::string& data_path) {
  LoadedClassifier m = load_classifier(model_path);
  EncodedExamples data =
      encode_examples(read_labeled_texts(data_path), m.vocab, m.labels, data_path);
  ClassifierEvaluation e = evaluate_classifier(*m.model, data, all_of(data));
  std::printf("accuracy %.2f%% on %s\n", 100.0 * e.accuracy,
              counted(std::ssize(data.texts), "text", "texts").c_str());
  print_confusion(e.confusion, m.labels);
}

void run_generate(const std::string& task, int64_t length, int64_t count, uint64_t seed,
                  const std::string& out) {
  if (task != "recall" && task != "first")
    throw Error("--task must be recall or first, not " + task);
  const std::vector<LabeledText> examples = task == "recall"
                                                ? make_recall_task(count, length, seed)
                                                : make_first_key_task(count, length, seed);
  std::string text;
  for (const LabeledText& ex : examples) text += ex.label + "\t" + ex.text + "\n";
  if (out.empty() || out == "-")
    std::cout << text;
  else
    write_file_atomically(out, text);
}

void setup_classify(CLI::App& app) {
  auto t = std::make_shared<ClassifierTrainOptions>();
  auto resume = std::make_shared<ResumeFlags>();
  CLI::App* train =
      app.add_subcommand("train", "Train a sequence classifier on label<TAB>text lines");
  add_option_table(*train, *t, ClassifierTrainOptions::table());
  add_resume_flag(*train, *resume);
  train->callback([train, t, resume] {
    const TrainSummary s =
        train_from_command_line(*train, *resume, "classify", *t, &train_classifier);
    print_run_files(s);
    if (s.last_validation.contains("confusion")) {
      const LoadedClassifier m = load_classifier(s.run_dir + "/last.safetensors");
      std::vector<int64_t> counts;
      for (const auto& row : s.last_validation["confusion"])
        for (const auto& v : row) counts.push_back(v.get<int64_t>());
      print_confusion(counts, m.labels);
    }
    exit_if_interrupted(s, "classify train");
  });

  struct UseArgs {
    std::string model, data;
    std::vector<std::string> texts;
    bool probabilities = false;
    RuntimeOptions runtime;
  };
  auto u = std::make_shared<UseArgs>();
  CLI::App* predict = app.add_subcommand("predict", "Label texts (arguments, or stdin lines)");
  predict->add_option("-m,--model", u->model, "model file or run directory")->required();
  predict->add_option("texts", u->texts, "texts (default: one per line of stdin)");
  predict->add_flag("--probabilities", u->probabilities, "print the label's probability too");
  add_option_table(*predict, u->runtime, RuntimeOptions::table());
  predict->callback([u] {
    apply_runtime(u->runtime);
    run_predict(u->model, u->texts, u->probabilities);
  });

  CLI::App* eval = app.add_subcommand("eval", "Accuracy and confusion matrix on labelled texts");
  eval->add_option("-m,--model", u->model, "model file or run directory")->required();
  eval->add_option("--data", u->data, "label<TAB>text, one per line")->required();
  add_option_table(*eval, u->runtime, RuntimeOptions::table());
  eval->callback([u] {
    apply_runtime(u->runtime);
    run_eval(u->model, u->data);
  });

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
  generate->add_option("--length", g->length, "characters per text")->capture_default_str();
  generate->add_option("--count", g->count, "number of texts")->capture_default_str();
  generate->add_option("--seed", g->seed, "seed")->capture_default_str()->check(kDecimalUint64);
  generate->add_option("--out", g->out, "output file (default: stdout)");
  generate->callback([g] { run_generate(g->task, g->length, g->count, g->seed, g->out); });
  app.require_subcommand(1);
}

const Registration registration({"classify", "Train and use many-to-one sequence classifiers",
                                 setup_classify});

}  // namespace
}  // namespace rnnkit::cli
