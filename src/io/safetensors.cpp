#include "rnnkit/safetensors.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>

#include "io/strict_json.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/formatted.h"

namespace rnnkit {

// safetensors stores little-endian values; the data buffer is copied with memcpy.
static_assert(std::endian::native == std::endian::little, "rnnkit assumes a little-endian host");

namespace {

using json = nlohmann::json;

constexpr const char* kMetadataKey = "__metadata__";

// What a file may hold: the types rnnkit writes plus F64, which PyTorch users sometimes save.
enum class StoredType { F32, F16, BF16, F64, I8 };

struct StoredTypeInfo {
  const char* name;
  StoredType type;
  size_t size;
};

constexpr StoredTypeInfo kStoredTypes[] = {
    {"F32", StoredType::F32, 4}, {"F16", StoredType::F16, 2}, {"BF16", StoredType::BF16, 2},
    {"F64", StoredType::F64, 8}, {"I8", StoredType::I8, 1},
};

// Files holding I8 tensors say how to read them (a quantized model); see DType.
constexpr const char* kQuantizationKey = "rnnkit.quantization";

struct TensorEntry {
  std::string name;
  StoredTypeInfo type;
  Shape shape;
  int64_t numel = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
};

std::string quoted(const std::string& name) {
  return "'" + name + "'";
}

// "an object", "a string": for messages about a JSON value of the wrong type.
std::string type_with_article(const json& value) {
  std::string type = value.type_name();
  return (type[0] == 'a' || type[0] == 'o' ? "an " : "a ") + type;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | p[i];
  return value;
}

// A valid header nests three levels deep (header, entry, shape); anything much deeper is hostile,
// and refusing it early keeps every later walk over the document shallow.
constexpr size_t kMaxHeaderNesting = 16;

json parse_header(std::span<const uint8_t> header, const std::string& what) {
  return parse_strict_json(
      std::string_view(reinterpret_cast<const char*>(header.data()), header.size()),
      what + ": header", kMaxHeaderNesting, "tensor name");
}

// A shape entry or data offset: a JSON integer >= 0 (not 1.0, not -1, not a string).
uint64_t non_negative_integer(const json& value, const std::string& context) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) throw Error(context + " " + value.dump() + " is negative");
  if (value.is_number()) throw Error(context + " " + value.dump() + " is not an integer");
  throw Error(context + " is " + type_with_article(value) + ", not an integer");
}

TensorEntry parse_entry(const std::string& name, const json& info, uint64_t buffer_size,
                        const std::string& what) {
  std::string tensor = what + ": tensor " + quoted(name);
  if (!info.is_object())
    throw Error(tensor + ": header entry is " + type_with_article(info) + ", not an object");
  auto field = [&](const char* key) -> const json& {
    auto it = info.find(key);
    if (it == info.end()) throw Error(tensor + ": header entry has no \"" + key + "\"");
    return *it;
  };

  TensorEntry entry;
  entry.name = name;

  const json& dtype = field("dtype");
  if (!dtype.is_string()) throw Error(tensor + ": \"dtype\" is not a string");
  const auto& dtype_string = dtype.get_ref<const std::string&>();
  auto type = std::find_if(std::begin(kStoredTypes), std::end(kStoredTypes),
                           [&](const StoredTypeInfo& t) { return dtype_string == t.name; });
  if (type == std::end(kStoredTypes))
    throw Error(tensor + " has dtype " + dtype_string +
                ", which rnnkit cannot load (supported: F32, F16, BF16, F64, I8)");
  entry.type = *type;

  const json& shape = field("shape");
  if (!shape.is_array()) throw Error(tensor + ": \"shape\" is not an array");
  // No tensor of a model or a training state has more than 4 dimensions; a header of millions
  // would otherwise be printed whole in the errors below.
  constexpr size_t kMaxDimensions = 16;
  if (shape.size() > kMaxDimensions)
    throw Error(tensor + ": shape has " + std::to_string(shape.size()) +
                " dimensions; rnnkit reads at most " + std::to_string(kMaxDimensions));
  bool has_zero_dimension = false;
  for (const json& dim : shape) {
    uint64_t d = non_negative_integer(dim, tensor + ": shape entry");
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error(tensor + ": shape entry " + std::to_string(d) + " is too large");
    entry.shape.push_back(static_cast<int64_t>(d));
    has_zero_dimension |= d == 0;
  }

  const json& offsets = field("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2)
    throw Error(tensor + ": \"data_offsets\" is not an array [BEGIN, END]");
  entry.begin = non_negative_integer(offsets[0], tensor + ": data offset");
  entry.end = non_negative_integer(offsets[1], tensor + ": data offset");
  if (entry.begin > entry.end)
    throw Error(tensor + ": data_offsets begin " + std::to_string(entry.begin) + " is after end " +
                std::to_string(entry.end));
  if (entry.end > buffer_size)
    throw Error(tensor + ": data_offsets end " + std::to_string(entry.end) +
                " is past the end of the " + std::to_string(buffer_size) + "-byte data buffer");

  // The byte count a hostile shape asks for may not fit in 64 bits; that is checked before
  // multiplying, so nothing is ever sized from the shape alone.
  uint64_t byte_length = entry.end - entry.begin;
  uint64_t needed = has_zero_dimension ? 0 : entry.type.size;
  bool overflows = false;
  for (int64_t d : entry.shape) {
    if (d != 0 && needed > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) {
      overflows = true;
      break;
    }
    needed *= static_cast<uint64_t>(d);
  }
  if (overflows || needed != byte_length)
    throw Error(tensor + ": data_offsets [" + std::to_string(entry.begin) + ", " +
                std::to_string(entry.end) + "] hold " + std::to_string(byte_length) +
                " bytes, but shape " + shape_string(entry.shape) + " with dtype " +
                entry.type.name + " needs " +
                (overflows ? "more than 2^64" : std::to_string(needed)));
  // An empty tensor may still have dimensions larger than a Tensor allows, e.g. [2^62, 0].
  try {
    entry.numel = shape_numel(entry.shape);
  } catch (const Error& e) {
    throw Error(tensor + ": " + e.what());
  }
  return entry;
}

// The tensors must tile the data buffer exactly: no byte unused, none shared.
void check_buffer_coverage(std::vector<TensorEntry>& entries, uint64_t buffer_size,
                           const std::string& what) {
  std::sort(entries.begin(), entries.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t covered = 0;
  const TensorEntry* previous = nullptr;
  for (const TensorEntry& entry : entries) {
    if (entry.begin > covered)
      throw Error(what + ": hole in the data buffer at offset " + std::to_string(covered) +
                  ": no tensor holds bytes [" + std::to_string(covered) + ", " +
                  std::to_string(entry.begin) + ")");
    if (entry.begin < covered)
      throw Error(what + ": tensors " + quoted(previous->name) + " and " + quoted(entry.name) +
                  " overlap at data buffer offset " + std::to_string(entry.begin));
    covered = entry.end;
    previous = &entry;
  }
  if (covered != buffer_size)
    throw Error(what + ": hole in the data buffer at offset " + std::to_string(covered) +
                ": no tensor holds bytes [" + std::to_string(covered) + ", " +
                std::to_string(buffer_size) + ")");
}

Tensor load_tensor(const TensorEntry& entry, const uint8_t* data, const std::string& what,
                   bool may_overflow) {
  Tensor tensor(entry.shape);
  float* out = tensor.data();
  size_t n = static_cast<size_t>(entry.numel);
  switch (entry.type.type) {
    case StoredType::F32:
      if (n) std::memcpy(out, data, n * sizeof(float));
      break;
    case StoredType::F16:
    case StoredType::BF16: {
      float (*widen)(uint16_t) = entry.type.type == StoredType::F16 ? f16_to_float : bf16_to_float;
      for (size_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, data + 2 * i, 2);
        out[i] = widen(bits);
      }
      break;
    }
    case StoredType::F64:
      for (size_t i = 0; i < n; ++i) {
        double value;
        std::memcpy(&value, data + 8 * i, 8);
        out[i] = static_cast<float>(value);
        // rnnkit computes in float32: a finite value beyond its range would become inf here and
        // fail far from its cause.
        if (std::isinf(out[i]) && std::isfinite(value))
          throw Error(what + ": tensor " + quoted(entry.name) + " holds " + formatted("%g", value) +
                      " (element " + std::to_string(i) + "), beyond float32's range");
      }
      break;
    case StoredType::I8:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(data[i]);
      break;
  }
  // No model holds a NaN or an infinity that means anything, and one in a weight can pass unseen
  // (a recurrent weight times the zero first state) where PyTorch gives NaN.
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(out[i]) && !(may_overflow && out[i] > 0 && std::isinf(out[i])))
      throw Error(what + ": tensor " + quoted(entry.name) + " holds " +
                  formatted("%g", static_cast<double>(out[i])) + " (element " + std::to_string(i) +
                  "): rnnkit loads finite values only");
  return tensor;
}

// Whether every finite value of `tensor` stays finite in `dtype` (any dtype but F16 and BF16 is
// taken as fitting; I8's own check is append_stored's).
bool fits_half(const Tensor& tensor, DType dtype) {
  if (dtype != DType::F16 && dtype != DType::BF16) return true;
  uint16_t (*narrow)(float) = dtype == DType::F16 ? float_to_f16 : float_to_bf16;
  float (*widen)(uint16_t) = dtype == DType::F16 ? f16_to_float : bf16_to_float;
  const std::span<const float> values = tensor.span();
  return std::none_of(values.begin(), values.end(), [&](float v) {
    return std::isfinite(v) && !std::isfinite(widen(narrow(v)));
  });
}

void append_stored(std::string& out, const std::string& name, const Tensor& tensor, DType dtype) {
  const float* values = tensor.data();
  size_t n = static_cast<size_t>(tensor.numel());
  switch (dtype) {
    case DType::F32:
      if (n) out.append(reinterpret_cast<const char*>(values), n * sizeof(float));
      break;
    case DType::F16:
    case DType::BF16: {
      uint16_t (*narrow)(float) = dtype == DType::F16 ? float_to_f16 : float_to_bf16;
      for (size_t i = 0; i < n; ++i) {
        uint16_t bits = narrow(values[i]);
        out.append(reinterpret_cast<const char*>(&bits), 2);
      }
      break;
    }
    case DType::I8:
      for (size_t i = 0; i < n; ++i) {
        const float v = values[i];
        if (!(v >= -128.0f && v <= 127.0f && v == std::trunc(v)))
          throw Error("safetensors: tensor " + quoted(name) + " holds " + std::to_string(v) +
                      ", which is not an I8 integer in [-128, 127]");
        out.push_back(static_cast<char>(static_cast<int8_t>(v)));
      }
      break;
  }
}

}  // namespace

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I8:
      return "I8";
  }
  throw Error("invalid DType value " + std::to_string(static_cast<int>(dtype)));
}

DType parse_dtype(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (DType dtype : {DType::F32, DType::F16, DType::BF16})
    if (upper == dtype_name(dtype)) return dtype;
  throw Error("unknown dtype '" + std::string(name) + "' (expected F32, F16 or BF16)");
}

size_t dtype_size(DType dtype) {
  return dtype == DType::F32 ? 4 : dtype == DType::I8 ? 1 : 2;
}

uint16_t float_to_f16(float value) {
  uint32_t x = std::bit_cast<uint32_t>(value);
  uint16_t sign = static_cast<uint16_t>(x >> 16 & 0x8000);
  uint32_t magnitude = x & 0x7fffffff;
  if (magnitude > 0x7f800000)  // NaN: keep it quiet and keep the top payload bits
    return static_cast<uint16_t>(sign | 0x7e00 | (magnitude >> 13 & 0x3ff));
  // 65520 is halfway between the largest half, 65504, and 65536; ties go to the even 65536 = inf.
  if (magnitude >= 0x477ff000) return sign | 0x7c00;
  if (magnitude >= 0x38800000) {  // a normal half: rebias the exponent, round off 13 bits
    uint32_t half = (magnitude - (112u << 23)) >> 13;
    uint32_t rest = magnitude & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;  // a carry bumps the exponent
    return static_cast<uint16_t>(sign | half);
  }
  // A subnormal half counts units of 2^-24; the float is mantissa * 2^(exponent - 150).
  uint32_t exponent = magnitude >> 23;
  uint32_t shift = 126 - exponent;               // >= 14 here
  if (exponent == 0 || shift > 24) return sign;  // below half of 2^-24
  uint32_t mantissa = (magnitude & 0x7fffff) | 0x800000;
  uint32_t units = mantissa >> shift;
  uint32_t rest = mantissa & ((1u << shift) - 1);
  uint32_t halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (units & 1))) ++units;
  return static_cast<uint16_t>(sign | units);
}

float f16_to_float(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = bits >> 10 & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000 | mantissa << 13);
  return std::bit_cast<float>(sign | (exponent + 112) << 23 | mantissa << 13);
}

uint16_t float_to_bf16(float value) {
  uint32_t x = std::bit_cast<uint32_t>(value);
  if ((x & 0x7fffffff) > 0x7f800000)  // NaN: truncating could clear the payload and make an inf
    return static_cast<uint16_t>(x >> 16 | 0x0040);
  // Round to nearest even; a carry out of the mantissa correctly yields the next binade or inf.
  return static_cast<uint16_t>((x + 0x7fff + (x >> 16 & 1)) >> 16);
}

float bf16_to_float(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

SafetensorsFile parse_safetensors(std::span<const uint8_t> bytes, const std::string& what,
                                  std::span<const std::string_view> overflowing) {
  if (bytes.size() < 8)
    throw Error(what + ": not a safetensors file: " + std::to_string(bytes.size()) +
                " bytes, shorter than the 8-byte header length");
  uint64_t header_size = read_u64_le(bytes.data());
  if (header_size > kSafetensorsMaxHeaderBytes)
    throw Error(what + ": not a safetensors file: header length " + std::to_string(header_size) +
                " exceeds the limit of " + std::to_string(kSafetensorsMaxHeaderBytes) + " bytes");
  if (header_size > bytes.size() - 8)
    throw Error(what + ": not a safetensors file: header length " + std::to_string(header_size) +
                " is past the end of the file (" + std::to_string(bytes.size()) + " bytes)");
  json header = parse_header(bytes.subspan(8, header_size), what);
  if (!header.is_object())
    throw Error(what + ": header is a JSON " + header.type_name() + ", not an object");

  std::span<const uint8_t> buffer = bytes.subspan(8 + header_size);
  SafetensorsFile file;
  std::vector<TensorEntry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == kMetadataKey) {
      if (!info.is_object()) throw Error(what + ": \"__metadata__\" is not an object");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string())
          throw Error(what + ": metadata value of " + quoted(key) + " is " +
                      type_with_article(value) + ", not a string");
        file.metadata.emplace(key, value.get<std::string>());
      }
      continue;
    }
    entries.push_back(parse_entry(name, info, buffer.size(), what));
  }

  check_buffer_coverage(entries, buffer.size(), what);
  for (const TensorEntry& entry : entries) {
    if (entry.type.type == StoredType::I8 && !file.metadata.count(kQuantizationKey))
      throw Error(what + ": tensor " + quoted(entry.name) +
                  " has dtype I8 but the metadata has no " + kQuantizationKey +
                  " to say what its integers mean");
    const bool may_overflow =
        std::any_of(overflowing.begin(), overflowing.end(),
                    [&](std::string_view prefix) { return entry.name.starts_with(prefix); });
    file.tensors.emplace(entry.name,
                         load_tensor(entry, buffer.data() + entry.begin, what, may_overflow));
    file.dtypes.emplace(entry.name, entry.type.name);
  }
  return file;
}

SafetensorsFile read_safetensors(const std::string& path) {
  std::string bytes = read_file(path);
  return parse_safetensors({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, path);
}

std::string serialize_safetensors(const NamedTensors& tensors,
                                  const std::map<std::string, std::string>& metadata, DType dtype,
                                  const std::map<std::string, DType>& dtypes) {
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, tensor] : tensors) {
    if (tensor == nullptr) throw Error("safetensors: tensor " + quoted(name) + " is null");
    if (name == kMetadataKey) throw Error("safetensors: a tensor cannot be named __metadata__");
    if (!by_name.emplace(name, tensor).second)
      throw Error("safetensors: duplicate tensor name " + quoted(name));
  }
  for (const auto& [name, type] : dtypes)
    if (!by_name.count(name))
      throw Error("safetensors: a dtype is given for " + quoted(name) + ", which is no tensor");
  // A tensor with a finite value beyond the half type's range is stored as F32: as an infinity
  // it would make a file no reader takes (non-finite values are refused when read).
  std::map<std::string, DType> stored;
  for (const auto& [name, tensor] : by_name) {
    auto it = dtypes.find(name);
    const DType asked = it == dtypes.end() ? dtype : it->second;
    stored[name] = fits_half(*tensor, asked) ? asked : DType::F32;
  }
  auto dtype_of = [&](const std::string& name) { return stored.at(name); };

  json header = json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : by_name) {
    uint64_t size = static_cast<uint64_t>(tensor->numel()) * dtype_size(dtype_of(name));
    header[name] = {{"dtype", dtype_name(dtype_of(name))},
                    {"shape", tensor->shape()},
                    {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const json::type_error&) {
    throw Error("safetensors: a tensor name or metadata string is not valid UTF-8");
  }
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  if (header_text.size() > kSafetensorsMaxHeaderBytes)
    throw Error("safetensors: header of " + std::to_string(header_text.size()) +
                " bytes exceeds the limit of " + std::to_string(kSafetensorsMaxHeaderBytes));

  std::string out;
  out.reserve(8 + header_text.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(header_text.size() >> (8 * i)));
  out += header_text;
  for (const auto& [name, tensor] : by_name) append_stored(out, name, *tensor, dtype_of(name));
  return out;
}

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata, DType dtype,
                       const std::map<std::string, DType>& dtypes) {
  write_file_atomically(path, serialize_safetensors(tensors, metadata, dtype, dtypes));
}

}  // namespace rnnkit
