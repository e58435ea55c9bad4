#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <optional>

#include "bindings.h"
#include "rnnkit/error.h"
#include "rnnkit/evaluate.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/poem_writer.h"
#include "rnnkit/sampler.h"
#include "rnnkit/text_corpus.h"
#include "rnnkit/text_generator.h"

namespace rnnkit::python {
namespace {

// A language model file with its vocabulary. One call at a time per instance (a model keeps
// per-call workspaces): threads that generate at once each load their own.
// Ctrl-C is Python's to notice, with the GIL (on the main thread). Checked between the steps of
// a long computation, at most every 50 ms, so that it stops there without taking the GIL a step:
// a KeyboardInterrupt thrown out of the library.
class CtrlC {
 public:
  void check() {
    const auto now = std::chrono::steady_clock::now();
    if (now - checked_ < std::chrono::milliseconds(50)) return;
    checked_ = now;
    py::gil_scoped_acquire acquire;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }

 private:
  std::chrono::steady_clock::time_point checked_ = std::chrono::steady_clock::now();
};

class LanguageModelHandle {
 public:
  static std::unique_ptr<LanguageModelHandle> load(const std::string& path,
                                                   const std::string& vocab_path) {
    auto handle = std::make_unique<LanguageModelHandle>();
    {
      py::gil_scoped_release release;
      handle->loaded_ = load_language_model(path, vocab_path);
    }
    if (!handle->loaded_.vocab)
      throw Error(handle->loaded_.path + " holds no vocabulary; pass vocab=FILE");
    return handle;
  }

  // A torch state_dict of the DESIGN.md LM module; `config_json` empty infers the configuration
  // from the shapes.
  static std::unique_ptr<LanguageModelHandle> from_tensors(
      const std::map<std::string, py::array>& arrays, const std::string& config_json,
      const std::string& vocab_json) {
    std::map<std::string, Tensor> tensors;
    for (const auto& [name, array] : arrays) tensors.emplace(name, to_tensor(array));
    auto handle = std::make_unique<LanguageModelHandle>();
    py::gil_scoped_release release;
    handle->loaded_.model = language_model_from_state_dict(
        tensors,
        config_json.empty() ? std::nullopt : std::optional(LMConfig::from_json(config_json)));
    handle->loaded_.vocab = Vocab::from_json(vocab_json);
    const int64_t vocab_size = handle->loaded_.model->config().vocab_size;
    if (handle->loaded_.vocab->size() != vocab_size)
      throw Error("the vocabulary has " + std::to_string(handle->loaded_.vocab->size()) +
                  " tokens but the model's fc.weight has " + std::to_string(vocab_size) + " rows");
    return handle;
  }

  // Each generated piece goes to `on_piece` (with the GIL) as it is drawn; a false return
  // stops the generation.
  std::string generate(const std::string& prompt, int64_t n, float temperature, int top_k,
                       float top_p, std::optional<uint64_t> seed, int beam,
                       const std::optional<py::function>& on_piece) {
    GenerateRequest request;
    request.prompt = prompt;
    request.max_tokens = n;
    request.beam_width = beam;
    // Beam search draws nothing: no seed to make up.
    request.sampling = {temperature, top_k, top_p, seed ? *seed : beam > 0 ? 0 : random_seed()};
    CtrlC ctrl_c;
    const PieceCallback forward = [&](std::string_view piece) {
      if (!on_piece) {
        ctrl_c.check();
        return true;
      }
      py::gil_scoped_acquire acquire;
      return (*on_piece)(py::str(piece.data(), piece.size())).cast<bool>();
    };
    // Beam search sends no piece before it ends: Ctrl-C is checked between its steps.
    const auto ctrl_c_between_steps = [&] {
      ctrl_c.check();
      return true;
    };
    return run_released(mutex_, [&] {
      return generate_text(*loaded_.model, *loaded_.vocab, request, forward, ctrl_c_between_steps)
          .text;
    });
  }

  std::string poem(const std::string& start, const std::string& acrostic, int form, int lines,
                   bool rhyme, bool tones, const std::string& style, float temperature,
                   std::optional<uint64_t> seed) {
    PoemRequest request;
    request.start = start;
    request.acrostic = acrostic;
    request.form = form;
    request.lines = lines;
    request.rhyme = rhyme;
    request.tones = tones;
    request.style = style;
    request.sampling.temperature = temperature;
    request.sampling.seed = seed ? *seed : random_seed();
    return run_released(mutex_,
                        [&] { return write_poem(*loaded_.model, *loaded_.vocab, request).text(); });
  }

  // (name, array) pairs under torch's state_dict names of the DESIGN.md LM module. The tensors
  // are copied without the GIL: a stream's worker holds the model while it waits for the GIL to
  // hand over a piece, so waiting for the model with the GIL held would never end.
  std::vector<std::pair<std::string, FloatArray>> state_dict() {
    const auto copies = run_released(mutex_, [&] {
      std::vector<std::pair<std::string, Tensor>> tensors;
      for (const auto& [name, tensor] : loaded_.model->state_dict())
        tensors.emplace_back(name, *tensor);
      return tensors;
    });
    std::vector<std::pair<std::string, FloatArray>> entries;
    for (const auto& [name, tensor] : copies) entries.emplace_back(name, to_array(tensor));
    return entries;
  }

  // As `rnnkit eval --text`: the text read as one sequence from a zero state.
  double perplexity(const std::string& text) {
    return run_released(mutex_, [&] {
      const std::vector<int32_t> ids = loaded_.vocab->encode(text_as_read(text));
      if (ids.size() < 2)
        throw Error("perplexity needs a text of at least 2 tokens, got " +
                    std::to_string(ids.size()));
      CtrlC ctrl_c;
      return reported_perplexity(
          evaluate_stream(*loaded_.model, ids, 256, [&] { ctrl_c.check(); }));
    });
  }

  void save(const std::string& path) {
    run_released(mutex_, [&] { save_language_model(path, *loaded_.model, &*loaded_.vocab); });
  }

  std::vector<std::string> vocab() const { return loaded_.vocab->tokens(); }
  std::string vocab_json() const { return loaded_.vocab->to_json(); }
  std::string path() const { return loaded_.path; }
  std::string config_json() const { return loaded_.model->config().to_json(); }

 private:
  LoadedLanguageModel loaded_;
  std::mutex mutex_;
};

}  // namespace

void bind_language_model(py::module_& m) {
  py::class_<LanguageModelHandle>(m, "LanguageModelHandle",
                                  "A language model file and its vocabulary (the engine of "
                                  "rnnkit.LanguageModel).")
      .def_static("load", &LanguageModelHandle::load, py::arg("path"), py::arg("vocab_path"))
      .def_static("from_tensors", &LanguageModelHandle::from_tensors, py::arg("tensors"),
                  py::arg("config_json"), py::arg("vocab_json"))
      .def("generate", &LanguageModelHandle::generate, py::arg("prompt"), py::arg("n"),
           py::arg("temperature"), py::arg("top_k"), py::arg("top_p"), py::arg("seed"),
           py::arg("beam"), py::arg("on_piece") = py::none())
      .def("poem", &LanguageModelHandle::poem, py::arg("start"), py::arg("acrostic"),
           py::arg("form"), py::arg("lines"), py::arg("rhyme"), py::arg("tones"), py::arg("style"),
           py::arg("temperature"), py::arg("seed"))
      .def("state_dict", &LanguageModelHandle::state_dict)
      .def("perplexity", &LanguageModelHandle::perplexity, py::arg("text"))
      .def("save", &LanguageModelHandle::save, py::arg("path"))
      .def_property_readonly("vocab", &LanguageModelHandle::vocab)
      .def_property_readonly("vocab_json", &LanguageModelHandle::vocab_json)
      .def_property_readonly("path", &LanguageModelHandle::path)
      .def_property_readonly("config_json", &LanguageModelHandle::config_json);
}

}  // namespace rnnkit::python
