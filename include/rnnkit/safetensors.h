#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rnnkit/tensor.h"

namespace rnnkit {

// Storage types rnnkit writes. Reading also accepts F64; every type is converted to float32.
// I8 holds the integer values of a quantized model (docs/FORMAT.md): written from floats that
// must be integers in [-128, 127], and read only from a file whose metadata has
// rnnkit.quantization (anything else would take the integers for weights).
enum class DType { F32, F16, BF16, I8 };

std::string dtype_name(DType dtype);
// The float types: accepts "F32", "F16", "BF16" in any letter case; throws Error otherwise.
DType parse_dtype(std::string_view name);
size_t dtype_size(DType dtype);

// The largest header rnnkit reads or writes, as in the reference safetensors implementation.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, Tensor> tensors;      // always converted to float32 on load
  std::map<std::string, std::string> dtypes;  // each tensor's dtype in the file ("F32", "I8", ...)
};

using NamedTensors = std::vector<std::pair<std::string, const Tensor*>>;

// Parses a whole file image. `what` names the source in error messages (usually the path). A
// tensor that holds NaN or an infinity is refused (one in a weight can pass unseen), but for +inf
// in those whose names start with one of `overflowing`: a training state holds the optimizer's
// moments as the run left them (Adam::kOverflowingState).
SafetensorsFile parse_safetensors(std::span<const uint8_t> bytes, const std::string& what,
                                  std::span<const std::string_view> overflowing = {});
SafetensorsFile read_safetensors(const std::string& path);

// Tensors are stored in name order with `dtype`, or the dtype `dtypes` gives for their name (F32
// for a tensor with a finite value beyond F16's or BF16's range, asked for); the header is padded
// with spaces to a multiple of 8 bytes so that the data buffer starts aligned.
std::string serialize_safetensors(const NamedTensors& tensors,
                                  const std::map<std::string, std::string>& metadata,
                                  DType dtype = DType::F32,
                                  const std::map<std::string, DType>& dtypes = {});
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata, DType dtype = DType::F32,
                       const std::map<std::string, DType>& dtypes = {});

// IEEE binary16 and bfloat16 conversions: widening is exact; narrowing rounds to nearest even,
// keeps NaN a NaN and overflows to infinity.
uint16_t float_to_f16(float value);
float f16_to_float(uint16_t bits);
uint16_t float_to_bf16(float value);
float bf16_to_float(uint16_t bits);

}  // namespace rnnkit
