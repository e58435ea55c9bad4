#include <pybind11/stl.h>

#include "model_file_handle.h"
#include "rnnkit/seq2seq_training.h"

namespace rnnkit::python {
namespace {

// A seq2seq model file (rnnkit seq2seq train).
class Seq2seqHandle : public ModelFileHandle<Seq2seqHandle, LoadedSeq2seq, load_seq2seq> {
 public:
  // As `rnnkit seq2seq predict --beam`: 1 is greedy decoding, batched.
  std::vector<std::string> predict(const std::vector<std::string>& questions, int64_t beam) {
    return run_released(mutex_, [&] {
      std::vector<std::vector<int32_t>> ids;
      for (size_t i = 0; i < questions.size(); ++i)
        ids.push_back(prepare_question(loaded_, questions[i], "question " + std::to_string(i)));
      std::vector<std::string> answers;
      for (const auto& answer : answer_questions(loaded_, ids, beam))
        answers.push_back(answer_text(loaded_, answer));
      return answers;
    });
  }
};

}  // namespace

void bind_seq2seq(py::module_& m) {
  py::class_<Seq2seqHandle>(m, "Seq2seqHandle", "A seq2seq model file (rnnkit.Seq2seq's engine).")
      .def_static("load", &Seq2seqHandle::load, py::arg("path"))
      .def("predict", &Seq2seqHandle::predict, py::arg("questions"), py::arg("beam"));
}

}  // namespace rnnkit::python
