#include <algorithm>

#include "bindings.h"

namespace rnnkit::python {

Tensor to_tensor(const FloatArray& array) {
  Shape shape(array.shape(), array.shape() + array.ndim());
  Tensor tensor(shape);
  std::copy_n(array.data(), tensor.numel(), tensor.data());
  return tensor;
}

FloatArray to_array(const Tensor& tensor) {
  FloatArray array(std::vector<py::ssize_t>(tensor.shape().begin(), tensor.shape().end()));
  std::copy_n(tensor.data(), tensor.numel(), array.mutable_data());
  return array;
}

}  // namespace rnnkit::python
