#include <string>

#include "bindings.h"
#include "rnnkit/error.h"
#include "rnnkit/precision.h"
#include "rnnkit/threads.h"
#include "rnnkit/trainer.h"

namespace rnnkit::python {
namespace {

// The names of the command line's precisions: its default and its --bf16.
Precision precision_named(const std::string& name) {
  if (name == "f32") return Precision::F32;
  if (name == "bf16") return Precision::BF16;
  throw Error("matmul precision must be 'f32' or 'bf16', not '" + name + "'");
}

std::string precision_name() {
  return matmul_precision() == Precision::BF16 ? "bf16" : "f32";
}

}  // namespace

void bind_settings(py::module_& m) {
  m.def(
      "set_num_threads",
      [](const py::object& n) {
        // Any integer (a NumPy one too); beyond int's range pybind11's own conversion would
        // raise a TypeError listing signatures.
        const auto index = py::reinterpret_steal<py::object>(PyNumber_Index(n.ptr()));
        if (!index) throw py::error_already_set();
        int overflow = 0;
        const long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
        if (overflow != 0 || value < 0 || value > kMaxThreads)
          throw Error("thread count (n) must be from 0 (adapt to the load) to " +
                      std::to_string(kMaxThreads) + ", got " + py::repr(index).cast<std::string>());
        set_num_threads_between_runs(static_cast<int>(value));
      },
      py::arg("n"),
      "Pins the number of compute threads to n (bitwise repeatable results); 0 returns to the "
      "default, the cores other processes leave free. rnnkit.Error outside 0..1024. "
      "rnnkit.train sets its own (option threads) for the run and gives this one back after it: "
      "while a run trains (on any thread), rnnkit.Error.");
  m.def("num_threads", &num_threads, "The current number of compute threads.");
  m.def(
      "set_matmul_precision",
      [](const std::string& name) { set_matmul_precision_between_runs(precision_named(name)); },
      py::arg("precision"),
      "'f32' (the default: PyTorch's float32 results) or 'bf16' (both inputs of each matrix "
      "product rounded to bfloat16, sums in float32: the command line's --bf16), for the whole "
      "process; set it before running models. rnnkit.Error for another name, and for 'bf16' "
      "where bf16_supported() is false. rnnkit.train sets its own (option bf16) for the run and "
      "gives this one back after it: while a run trains (on any thread), rnnkit.Error.");
  m.def("matmul_precision", &precision_name, "The current matmul precision: 'f32' or 'bf16'.");
  m.def("bf16_supported", &bf16_matmuls_supported,
        "Whether bf16 matrix products run here: the CPU has AVX512_BF16 and ONEDNN_MAX_CPU_ISA "
        "allows it.");
}

}  // namespace rnnkit::python
