#include <pybind11/stl.h>
#include <memory>
#include <optional>

#include "bindings.h"
#include "rnnkit/error.h"
#include "rnnkit/evaluate.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/sampler.h"
#include "rnnkit/text_generator.h"

namespace rnnkit::python {
namespace {

// A language model file with its vocabulary. One call at a time per instance (a model keeps
// per-call workspaces): threads that generate at once each load their own.
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

  std::string generate(const std::string& prompt, int64_t n, float temperature, int top_k,
                       float top_p, std::optional<uint64_t> seed, int beam) {
    GenerateRequest request;
    request.prompt = prompt;
    request.max_tokens = n;
    request.beam_width = beam;
    request.sampling = {temperature, top_k, top_p, seed ? *seed : random_seed()};
    return run_released(
        mutex_, [&] { return generate_text(*loaded_.model, *loaded_.vocab, request).text; });
  }

  // As `rnnkit eval --text`: the text read as one sequence from a zero state.
  double perplexity(const std::string& text) {
    return run_released(mutex_, [&] {
      const std::vector<int32_t> ids = loaded_.vocab->encode(text);
      if (ids.size() < 2)
        throw Error("perplexity needs a text of at least 2 tokens, got " +
                    std::to_string(ids.size()));
      return evaluate_stream(*loaded_.model, ids).perplexity();
    });
  }

  void save(const std::string& path) {
    run_released(mutex_, [&] { save_language_model(path, *loaded_.model, &*loaded_.vocab); });
  }

  std::vector<std::string> vocab() const { return loaded_.vocab->tokens(); }
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
      .def("generate", &LanguageModelHandle::generate, py::arg("prompt"), py::arg("n"),
           py::arg("temperature"), py::arg("top_k"), py::arg("top_p"), py::arg("seed"),
           py::arg("beam"))
      .def("perplexity", &LanguageModelHandle::perplexity, py::arg("text"))
      .def("save", &LanguageModelHandle::save, py::arg("path"))
      .def_property_readonly("vocab", &LanguageModelHandle::vocab)
      .def_property_readonly("path", &LanguageModelHandle::path)
      .def_property_readonly("config_json", &LanguageModelHandle::config_json);
}

}  // namespace rnnkit::python
