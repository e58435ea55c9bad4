#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace rnnkit {

using Shape = std::vector<int64_t>;

// A dense, row-major float tensor with 64-byte aligned storage. Copies are deep; resize() reuses
// the allocation when it is large enough, so workspaces sized once stay allocated across steps.
// A borrowed tensor (borrow()) reads memory it does not own, such as a caller's NumPy array.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape);  // zero-filled
  Tensor(std::initializer_list<int64_t> shape) : Tensor(Shape(shape)) {}
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(Tensor&& other) noexcept;
  ~Tensor();

  static Tensor from(Shape shape, std::span<const float> values);
  // A tensor over `data` that neither owns nor copies it, to be read only (passed on as a const
  // Tensor&; its non-const data() is the caller's memory): `data` must stay alive and unchanged
  // while the tensor is used. Copies of it own their storage, and so does the tensor itself once
  // resize(), zero() or fill() has changed it. The library's kernels need no more alignment than
  // a float's.
  static Tensor borrow(Shape shape, const float* data);

  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  // Dimension i, counted from the end when negative (as torch's size(i)); an Error out of range.
  int64_t dim(int i) const {
    const int d = i < 0 ? i + ndim() : i;
    if (d < 0 || d >= ndim()) throw_no_dimension(i);
    return shape_[d];
  }
  int64_t numel() const { return numel_; }
  bool empty() const { return numel_ == 0; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  float& operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }
  std::span<float> span() { return {data_, static_cast<size_t>(numel_)}; }
  std::span<const float> span() const { return {data_, static_cast<size_t>(numel_)}; }

  // Changes the shape; contents are unspecified unless the element count is unchanged.
  void resize(Shape shape);
  // Changes the shape keeping the contents; the element count must match.
  void reshape(Shape shape);
  void zero();
  void fill(float value);

  std::string shape_string() const;

 private:
  void own();  // a borrowed tensor takes a copy of its own
  [[noreturn]] void throw_no_dimension(int i) const;

  Shape shape_;
  int64_t numel_ = 0;
  size_t capacity_ = 0;
  float* data_ = nullptr;
  bool borrowed_ = false;  // data_ is not ours to free or write
};

// The most elements a tensor may hold (4 TB of floats): a larger shape is an Error, never a
// size that wraps around.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;

int64_t shape_numel(const Shape& shape);
std::string shape_string(const Shape& shape);

// Batch columns of a [T, B, F] tensor, in the given order (repeats allowed): [T, columns, F].
// Beam search copies each hypothesis' recurrent state and memory this way. An empty tensor (a
// state of zeros) stays empty; Error for a column outside 0..B-1.
Tensor gather_columns(const Tensor& x, std::span<const int32_t> columns);

}  // namespace rnnkit
