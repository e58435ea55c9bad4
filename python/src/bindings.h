#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <mutex>

#include "rnnkit/tensor.h"
#include "rnnkit/threads.h"

// The extension module rnnkit._rnnkit: one bind_* function per concept, called by module.cpp.
namespace rnnkit::python {

namespace py = pybind11;

// What the bindings return: float32, C-contiguous.
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// `array` as a Tensor of its shape, without copying where the layout allows: a float32,
// C-contiguous array with float-aligned data is borrowed (the caller holds `array` for as long as
// the tensor is used: a pybind11 argument lives through the call, GIL released or not); any
// other (dtype, strides, misaligned) is copied and converted into the tensor's own storage.
Tensor to_tensor(const py::array& array);
FloatArray to_array(const Tensor& tensor);  // a copy
// The bytes to_tensor has copied since the module was loaded (the no-copy rule's test hook).
int64_t input_bytes_copied();

// Runs `work` without the GIL, so other Python threads run meanwhile, and one call at a time per
// object (`mutex`): the library's layers and models keep per-call workspaces.
template <class Work>
auto run_released(std::mutex& mutex, Work&& work) {
  py::gil_scoped_release release;
  std::lock_guard lock(mutex);
  apply_thread_count();  // set_num_threads() of any Python thread, in this one too
  return work();
}

void bind_errors(py::module_& m);
void bind_recurrent_stack(py::module_& m);
void bind_language_model(py::module_& m);
void bind_training(py::module_& m);
void bind_seq2seq(py::module_& m);
void bind_classifier(py::module_& m);
void bind_forecaster(py::module_& m);
// Process-wide settings: the thread count and the matmul precision.
void bind_settings(py::module_& m);

}  // namespace rnnkit::python
