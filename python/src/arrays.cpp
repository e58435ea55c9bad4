#include <algorithm>
#include <atomic>
#include <cstdint>

#include "bindings.h"

namespace rnnkit::python {
namespace {

std::atomic<int64_t> bytes_copied{0};

// A float's own alignment is all the library needs: its kernels load with unaligned instructions
// (gemv.cpp's one aligned store is to a local buffer) and oneDNN takes any address.
bool borrowable(const py::array& array) {
  return py::isinstance<py::array_t<float, py::array::c_style>>(array) &&
         reinterpret_cast<uintptr_t>(array.data()) % alignof(float) == 0;
}

}  // namespace

Tensor to_tensor(const py::array& array) {
  Shape shape(array.shape(), array.shape() + array.ndim());
  if (borrowable(array))
    return Tensor::borrow(std::move(shape), static_cast<const float*>(array.data()));
  Tensor tensor;
  tensor.resize(shape);
  if (tensor.empty()) return tensor;  // (a capsule cannot hold the null data of no elements)
  // NumPy converts and gathers straight into the tensor's storage: one copy, whatever the layout.
  const py::array_t<float> storage(shape, tensor.data(), py::capsule(tensor.data(), [](void*) {}));
  py::module_::import("numpy").attr("copyto")(storage, array, py::arg("casting") = "unsafe");
  bytes_copied += tensor.numel() * static_cast<int64_t>(sizeof(float));
  return tensor;
}

FloatArray to_array(const Tensor& tensor) {
  FloatArray array(std::vector<py::ssize_t>(tensor.shape().begin(), tensor.shape().end()));
  std::copy_n(tensor.data(), tensor.numel(), array.mutable_data());
  return array;
}

int64_t input_bytes_copied() {
  return bytes_copied;
}

}  // namespace rnnkit::python
