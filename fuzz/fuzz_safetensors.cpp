// libFuzzer target: parse_safetensors must turn every malformed input into rnnkit::Error. Any
// other outcome (a crash, a sanitizer report, another exception, a broken round trip) is a finding.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/safetensors.h"

namespace {

bool same_bits(const rnnkit::Tensor& a, const rnnkit::Tensor& b) {
  return a.shape() == b.shape() &&
         (a.numel() == 0 ||
          std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rnnkit::SafetensorsFile file;
  try {
    file = rnnkit::parse_safetensors(std::span<const uint8_t>(data, size), "fuzz input");
  } catch (const rnnkit::Error&) {
    return 0;
  }
  // Whatever parses must also write and read back unchanged: float32 storage is exact.
  rnnkit::NamedTensors named;
  for (const auto& [name, tensor] : file.tensors) named.emplace_back(name, &tensor);
  std::string written = rnnkit::serialize_safetensors(named, file.metadata);
  rnnkit::SafetensorsFile reread = rnnkit::parse_safetensors(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(written.data()), written.size()),
      "rewritten fuzz input");
  if (reread.metadata != file.metadata || reread.tensors.size() != file.tensors.size())
    __builtin_trap();
  for (const auto& [name, tensor] : file.tensors) {
    auto it = reread.tensors.find(name);
    if (it == reread.tensors.end() || !same_bits(it->second, tensor)) __builtin_trap();
  }
  return 0;
}
