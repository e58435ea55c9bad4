#include <pybind11/stl.h>

#include "model_file_handle.h"
#include "rnnkit/classifier_training.h"

namespace rnnkit::python {
namespace {

// A classifier model file (rnnkit classify train).
class ClassifierHandle
    : public ModelFileHandle<ClassifierHandle, LoadedClassifier, load_classifier> {
 public:
  // For each text, its label's index and the probabilities of the labels (in label order), as
  // `rnnkit classify predict` prints them (predict_labels).
  std::vector<std::pair<int32_t, std::vector<float>>> predictions(
      const std::vector<std::string>& texts) {
    return run_released(mutex_, [&] {
      std::vector<std::pair<std::string, std::string>> sourced;
      for (size_t i = 0; i < texts.size(); ++i)
        sourced.emplace_back(texts[i], "text " + std::to_string(i));
      std::vector<std::pair<int32_t, std::vector<float>>> out;
      for (LabelPrediction& p :
           predict_labels(*loaded_.model, encode_texts(sourced, loaded_.vocab)))
        out.emplace_back(p.label, std::move(p.probabilities));
      return out;
    });
  }

  std::vector<std::string> labels() const { return loaded_.labels; }
};

}  // namespace

void bind_classifier(py::module_& m) {
  py::class_<ClassifierHandle>(m, "ClassifierHandle",
                               "A classifier model file (rnnkit.Classifier's engine).")
      .def_static("load", &ClassifierHandle::load, py::arg("path"))
      .def("predictions", &ClassifierHandle::predictions, py::arg("texts"))
      .def_property_readonly("labels", &ClassifierHandle::labels);
}

}  // namespace rnnkit::python
