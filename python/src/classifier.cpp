#include <pybind11/stl.h>
#include <cmath>

#include "model_file_handle.h"
#include "rnnkit/classifier_training.h"
#include "rnnkit/cross_entropy.h"

namespace rnnkit::python {
namespace {

// A classifier model file (rnnkit classify train).
class ClassifierHandle
    : public ModelFileHandle<ClassifierHandle, LoadedClassifier, load_classifier> {
 public:
  // The probabilities of the labels (in label order) for each text: the softmax of the logits
  // `rnnkit classify predict` takes its label and --probabilities from.
  std::vector<std::vector<float>> probabilities(const std::vector<std::string>& texts) {
    return run_released(mutex_, [&] {
      std::vector<std::pair<std::string, std::string>> sourced;
      for (size_t i = 0; i < texts.size(); ++i)
        sourced.emplace_back(texts[i], "text " + std::to_string(i));
      const EncodedExamples data = encode_texts(sourced, loaded_.vocab);
      std::vector<int64_t> all(texts.size());
      for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
      std::vector<std::vector<float>> rows = classify_texts(*loaded_.model, data, all);
      for (std::vector<float>& row : rows) {
        std::vector<float> log_probs(row.size());
        log_softmax(row.data(), static_cast<int64_t>(row.size()), log_probs.data());
        for (size_t c = 0; c < row.size(); ++c) row[c] = std::exp(log_probs[c]);
      }
      return rows;
    });
  }

  std::vector<std::string> labels() const { return loaded_.labels; }
};

}  // namespace

void bind_classifier(py::module_& m) {
  py::class_<ClassifierHandle>(m, "ClassifierHandle",
                               "A classifier model file (rnnkit.Classifier's engine).")
      .def_static("load", &ClassifierHandle::load, py::arg("path"))
      .def("probabilities", &ClassifierHandle::probabilities, py::arg("texts"))
      .def_property_readonly("labels", &ClassifierHandle::labels);
}

}  // namespace rnnkit::python
