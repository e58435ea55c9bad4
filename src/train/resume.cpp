#include <algorithm>
#include <functional>
#include <map>

#include "rnnkit/error.h"
#include "rnnkit/utf8.h"
#include "train/family_tasks.h"
#include "train/train_state.h"

namespace rnnkit {
namespace {

// The stored options with the budget and threads of the resumed run.
template <class Options>
Options stored_options(const SafetensorsFile& file, const std::string& run_dir,
                       const ResumeOverrides& overrides) {
  const std::string path = run_dir + "/state.bin";
  nlohmann::json j = nlohmann::json::parse(file.metadata.at("rnnkit.options"), nullptr, false);
  if (j.is_discarded()) throw Error(path + ": rnnkit.options is not JSON");
  // A run stored before its family stopped offering an engine option (the sampling of text, by
  // families without text to sample) holds it at its default: nothing to restore.
  const nlohmann::json engine_defaults = options_to_json(EngineOptions{}, EngineOptions::table());
  for (const auto& [key, value] : engine_defaults.items())
    if (j.contains(key) && j[key] == value &&
        std::none_of(Options::table().begin(), Options::table().end(),
                     [&](const OptionSpec<Options>& s) { return s.key == key; }))
      j.erase(key);
  Options o;
  options_from_json(o, Options::table(), j, path);
  o.out_dir = run_dir;
  if (overrides.steps > 0 || overrides.epochs > 0 || overrides.time_limit > 0) {
    o.steps = overrides.steps;
    o.epochs = overrides.epochs;
    o.time_limit = overrides.time_limit;
  }
  if (overrides.threads) o.threads = *overrides.threads;
  return o;
}

}  // namespace

TrainSummary resume_training(const std::string& run_dir, const ResumeOverrides& overrides,
                             const std::string& family) {
  agree_on_how_the_ranks_start(true);
  const std::string path = run_dir + "/state.bin";
  SafetensorsFile file = read_train_state_file(path);
  const std::string found = train_state_family(file);
  if (!family.empty() && found != family) {
    static const std::map<std::string, std::string> kCommands = {
        {"lm", "rnnkit train"},
        {"seq2seq", "rnnkit seq2seq train"},
        {"classify", "rnnkit classify train"},
        {"forecast", "rnnkit forecast train"}};
    const auto command = kCommands.find(found);
    throw Error(run_dir + " holds a " + found + " run, not a " + family + " run" +
                (command == kCommands.end()
                     ? std::string()
                     : ": resume it with `" + command->second + " --resume " + run_dir + "`"));
  }
  using Resume = std::function<TrainSummary()>;
  const std::map<std::string, Resume> families = {
      {"lm",
       [&] {
         return train_language_model_from(stored_options<TrainOptions>(file, run_dir, overrides),
                                          &file);
       }},
      {"seq2seq",
       [&] {
         return train_seq2seq_from(stored_options<Seq2seqTrainOptions>(file, run_dir, overrides),
                                   &file);
       }},
      {"classify",
       [&] {
         return train_classifier_from(
             stored_options<ClassifierTrainOptions>(file, run_dir, overrides), &file);
       }},
      {"forecast",
       [&] {
         return train_forecaster_from(
             stored_options<ForecastTrainOptions>(file, run_dir, overrides), &file);
       }},
  };
  auto it = families.find(found);
  if (it == families.end()) throw Error(path + ": unknown model family \"" + found + "\"");
  // The run's options keep their paths as given: from another directory, a relative one names
  // another file (or none), which the message then says.
  const std::string started = train_state_start_directory(file);
  try {
    return it->second();
  } catch (const Error& e) {
    // (Stored legibly: a directory name that is not UTF-8 is compared as it was stored.)
    if (started.empty() || started == utf8::with_replacement(current_directory())) throw;
    throw Error(std::string(e.what()) +
                " (the run's relative paths are read from here; it was started in " + started +
                ")");
  }
}

}  // namespace rnnkit
