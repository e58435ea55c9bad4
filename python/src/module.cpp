#include "bindings.h"
#include "rnnkit/threads.h"

PYBIND11_MODULE(_rnnkit, m) {
  using namespace rnnkit::python;
  m.doc() = "rnnkit's C++ library: recurrent layers and language models (use the rnnkit package)";
  bind_errors(m);
  bind_recurrent_stack(m);
  bind_language_model(m);
  bind_training(m);
  bind_seq2seq(m);
  bind_classifier(m);
  m.def("set_num_threads", &rnnkit::set_num_threads, py::arg("n"),
        "Pins the number of compute threads to n (bitwise repeatable results); 0 returns to the "
        "default, the cores other processes leave free. rnnkit.Error outside 0..1024.");
  m.def("num_threads", &rnnkit::num_threads, "The current number of compute threads.");
  m.def("_input_bytes_copied", &input_bytes_copied,
        "Bytes of input arrays copied (converted) so far; a float32 C-contiguous, float-aligned "
        "array is read in place (a test hook).");
}
