#include "rnnkit/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "rnnkit/cache_aligned.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

float* allocate(size_t count) {
  if (count == 0) return nullptr;
  size_t bytes = (count * sizeof(float) + kCacheLine - 1) / kCacheLine * kCacheLine;
  void* p = std::aligned_alloc(kCacheLine, bytes);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<float*>(p);
}

}  // namespace

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("negative dimension in shape " + shape_string(shape));
    if (d != 0 && n > kMaxTensorElements / d)
      throw Error("shape too large: " + shape_string(shape));
    n *= d;
  }
  return n;
}

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(Shape shape) {
  resize(std::move(shape));
  zero();
}

Tensor::Tensor(const Tensor& other) : shape_(other.shape_), numel_(other.numel_) {
  capacity_ = static_cast<size_t>(numel_);
  data_ = allocate(capacity_);
  if (numel_) std::memcpy(data_, other.data_, numel_ * sizeof(float));
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  resize(other.shape_);
  numel_ = other.numel_;  // a default (empty) tensor has shape {} like a scalar, but no element
  if (numel_) std::memcpy(data_, other.data_, numel_ * sizeof(float));
  return *this;
}

Tensor::Tensor(Tensor&& other) noexcept
    : shape_(std::move(other.shape_)),
      numel_(other.numel_),
      capacity_(other.capacity_),
      data_(other.data_),
      borrowed_(other.borrowed_) {
  other.data_ = nullptr;
  other.borrowed_ = false;
  other.numel_ = 0;
  other.capacity_ = 0;
  other.shape_.clear();
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this == &other) return *this;
  if (!borrowed_) std::free(data_);
  shape_ = std::move(other.shape_);
  numel_ = other.numel_;
  capacity_ = other.capacity_;
  data_ = other.data_;
  borrowed_ = other.borrowed_;
  other.data_ = nullptr;
  other.borrowed_ = false;
  other.numel_ = 0;
  other.capacity_ = 0;
  other.shape_.clear();
  return *this;
}

Tensor::~Tensor() {
  if (!borrowed_) std::free(data_);
}

void Tensor::throw_no_dimension(int i) const {
  throw Error("Tensor::dim(" + std::to_string(i) + "): a tensor of shape " + shape_string() +
              " has " + std::to_string(ndim()) + " dimensions");
}

Tensor Tensor::from(Shape shape, std::span<const float> values) {
  Tensor t(std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw Error("Tensor::from: " + std::to_string(values.size()) + " values for shape " +
                t.shape_string());
  std::copy(values.begin(), values.end(), t.data_);
  return t;
}

Tensor Tensor::borrow(Shape shape, const float* data) {
  Tensor t;
  t.numel_ = shape_numel(shape);
  t.shape_ = std::move(shape);
  t.data_ = const_cast<float*>(data);  // read only: the mutators call own() first
  t.borrowed_ = true;
  return t;
}

void Tensor::own() {
  if (borrowed_) *this = Tensor(*this);
}

void Tensor::resize(Shape shape) {
  own();
  int64_t n = shape_numel(shape);
  if (static_cast<size_t>(n) > capacity_) {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
    data_ = allocate(static_cast<size_t>(n));
    capacity_ = static_cast<size_t>(n);
  }
  shape_ = std::move(shape);
  numel_ = n;
}

void Tensor::reshape(Shape shape) {
  if (shape_numel(shape) != numel_)
    throw Error("cannot reshape " + shape_string() + " to " + rnnkit::shape_string(shape));
  shape_ = std::move(shape);
}

void Tensor::zero() {
  own();
  if (numel_) std::memset(data_, 0, numel_ * sizeof(float));
}

void Tensor::fill(float value) {
  own();
  std::fill(data_, data_ + numel_, value);
}

std::string Tensor::shape_string() const {
  return rnnkit::shape_string(shape_);
}

}  // namespace rnnkit
