#include <atomic>
#include <csignal>
#include <functional>
#include <map>
#include <optional>

#include <pybind11/stl.h>
#include <nlohmann/json.hpp>

#include "bindings.h"
#include "rnnkit/classifier_training.h"
#include "rnnkit/communicator.h"
#include "rnnkit/error.h"
#include "rnnkit/forecast_training.h"
#include "rnnkit/seq2seq_training.h"
#include "rnnkit/threads.h"
#include "rnnkit/trainer.h"

namespace rnnkit::python {
namespace {

using json = nlohmann::json;

// A model family the library trains: a fresh run from options given as JSON (the option table's
// keys, so Python has no second list of options), and its table for train_options().
struct Family {
  std::function<TrainSummary(const json& options)> train;
  std::function<json()> describe;
};

template <class Options>
Family family(TrainSummary (*train)(const Options&)) {
  return {[train](const json& given) {
            Options o;
            options_from_json(o, Options::table(), given, "rnnkit.train");
            if constexpr (requires { o.given; }) {
              o.given.emplace();
              for (const auto& item : given.items()) o.given->insert(item.key());
            }
            return train(o);
          },
          [] {
            const json defaults = options_to_json(Options{}, Options::table());
            json specs = json::array();
            for (const OptionSpec<Options>& s : Options::table())
              specs.push_back({{"flag", s.flag},
                               {"flag_sets_false", s.flag_sets_false},
                               {"key", s.key},
                               {"default", defaults.at(s.key)},
                               {"help", s.help},
                               {"group", s.group},
                               {"choices", s.check.choices}});
            return specs;
          }};
}

const Family& find_family(const std::string& name) {
  static const std::map<std::string, Family> families = {
      {"lm", family(&train_language_model)},
      {"seq2seq", family(&train_seq2seq)},
      {"classify", family(&train_classifier)},
      {"forecast", family(&train_forecaster)},
  };
  auto it = families.find(name);
  if (it == families.end())
    throw Error("unknown model family \"" + name + "\" (lm, seq2seq, classify or forecast)");
  return it->second;
}

// The option table of `family` as a JSON array of {flag, flag_sets_false, key, default, help,
// group, choices}.
std::string options_json(const std::string& family) {
  return find_family(family).describe().dump();
}

// The stop request of the run the main thread trains, for the SIGINT handler to set.
std::atomic<std::atomic<int>*> sigint_target{nullptr};

// While the main thread trains, under Python's default SIGINT handling: Ctrl-C asks that run to
// stop after its step, as it asks `rnnkit train`, where Python's own handler would be noticed
// only at the next metrics record. An ignored SIGINT (a background job) or a handler of the
// program's own is left as it is; the previous action is put back whole (sigaction: flags too,
// so blocking calls stay interruptible).
class SigintStopsRun {
 public:
  SigintStopsRun(bool install, std::atomic<int>& request) : installed_(install) {
    if (!installed_) return;
    sigint_target.store(&request);
    struct sigaction action = {};
    action.sa_handler = [](int signal) {
      if (std::atomic<int>* target = sigint_target.load()) target->store(signal);
    };
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~SigintStopsRun() {
    if (!installed_) return;
    sigaction(SIGINT, &previous_, nullptr);
    sigint_target.store(nullptr);
  }
  SigintStopsRun(const SigintStopsRun&) = delete;
  SigintStopsRun& operator=(const SigintStopsRun&) = delete;

 private:
  bool installed_;
  struct sigaction previous_ = {};
};

// A fresh run of `family`, or the run in `resume_dir` continued with the budget and threads
// `options` may change.
TrainSummary train_or_resume(const std::string& family, const json& options,
                             const std::string& resume_dir) {
  if (resume_dir.empty()) return find_family(family).train(options);
  ResumeOverrides overrides;
  overrides.epochs = options.value("epochs", int64_t{0});
  overrides.steps = options.value("steps", int64_t{0});
  overrides.time_limit = options.value("time_limit", 0.0);
  if (options.contains("threads")) {
    const auto threads = options.at("threads").get<int64_t>();
    if (threads < 0 || threads > kMaxThreads)
      throw Error("threads must be in [0, " + std::to_string(kMaxThreads) + "], not " +
                  std::to_string(threads));
    overrides.threads = static_cast<int>(threads);
  }
  return resume_training(resume_dir, overrides, family);
}

std::string train_here(const std::string& family, const std::string& options_json,
                       const std::string& resume_dir, const std::optional<py::function>& on_record,
                       bool ctrl_c_stops) {
  const json options = json::parse(options_json);
  std::atomic<int> stop{0};  // this call's run only, not other threads'
  const ScopedRunStop scoped_stop(stop);
  std::optional<py::error_already_set> raised;  // on_record's, kept until every rank has stopped
  ScopedMetricsObserver observer([&](const json& record) {
    if (!on_record) return;
    py::gil_scoped_acquire acquire;
    try {
      (*on_record)(record.dump());
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_KeyboardInterrupt) && !distributed()) throw;
      if (!e.matches(PyExc_KeyboardInterrupt)) raised = std::move(e);
      stop.store(SIGINT);
    }
  });
  const SigintStopsRun sigint(ctrl_c_stops, stop);
  TrainSummary summary;
  {
    py::gil_scoped_release release;
    summary = train_or_resume(family, options, resume_dir);
  }
  if (raised) throw std::move(*raised);
  return json{{"run_dir", summary.run_dir},
              {"steps", summary.steps},
              {"epochs", summary.epochs},
              {"stop_signal", summary.stop_signal}}
      .dump();
}

// Trains without the GIL. Each metrics record is passed to `on_record` (as its JSON text) with
// the GIL held. Ctrl-C (`ctrl_c_stops`: the main thread under Python's default SIGINT handler) or
// a KeyboardInterrupt of on_record stops the run as
// SIGINT stops `rnnkit train`, after the step and with a checkpoint (stop_signal in the summary);
// any other exception of on_record stops it at once, its last checkpoint intact for resume.
// Under mpirun (data-parallel: on_record runs on rank 0) that exception too stops the run after
// the step, as every rank must stop together, and is raised then; an error of the run on one rank
// ends the job (end_job_after_error), as in `rnnkit train`, where the others would wait for it.
// `resume_dir` continues that run, `options_json` then holding only the budget and threads it may
// change.
std::string train(const std::string& family, const std::string& options_json,
                  const std::string& resume_dir, const std::optional<py::function>& on_record,
                  bool ctrl_c_stops) {
  try {
    return train_here(family, options_json, resume_dir, on_record, ctrl_c_stops);
  } catch (const py::error_already_set&) {
    throw;  // the callback's, raised after a data-parallel run stopped together
  } catch (const std::exception& e) {
    end_job_after_error(e.what());
    throw;
  }
}

}  // namespace

void bind_training(py::module_& m) {
  m.def("options_json", &options_json, py::arg("family"));
  m.def("train", &train, py::arg("family"), py::arg("options_json"), py::arg("resume_dir"),
        py::arg("on_record"), py::arg("ctrl_c_stops"));
  m.def("stop_training", [] { request_training_stop(SIGTERM); });
}

}  // namespace rnnkit::python
