#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <mutex>

#include "rnnkit/tensor.h"

// The extension module rnnkit._rnnkit: one bind_* function per concept, called by module.cpp.
namespace rnnkit::python {

namespace py = pybind11;

// float32, C-contiguous; any other real array is converted (forcecast) on the way in.
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

Tensor to_tensor(const FloatArray& array);  // a copy, of the array's shape
FloatArray to_array(const Tensor& tensor);  // a copy

// Runs `work` without the GIL, so other Python threads run meanwhile, and one call at a time per
// object (`mutex`): the library's layers and models keep per-call workspaces.
template <class Work>
auto run_released(std::mutex& mutex, Work&& work) {
  py::gil_scoped_release release;
  std::lock_guard lock(mutex);
  return work();
}

void bind_errors(py::module_& m);
void bind_recurrent_stack(py::module_& m);
void bind_language_model(py::module_& m);
void bind_training(py::module_& m);
void bind_seq2seq(py::module_& m);
void bind_classifier(py::module_& m);

}  // namespace rnnkit::python
