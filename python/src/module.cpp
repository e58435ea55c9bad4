#include "bindings.h"

PYBIND11_MODULE(_rnnkit, m) {
  using namespace rnnkit::python;
  m.doc() = "rnnkit's C++ library: recurrent layers and language models (use the rnnkit package)";
  bind_errors(m);
  bind_recurrent_stack(m);
  bind_language_model(m);
  bind_training(m);
  bind_seq2seq(m);
  bind_classifier(m);
  bind_forecaster(m);
  bind_settings(m);
  m.def("_input_bytes_copied", &input_bytes_copied,
        "Bytes of input arrays copied (converted) so far; a float32 C-contiguous, float-aligned "
        "array is read in place (a test hook).");
}
