#include "rnnkit/quantize.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "rnnkit/checkpoint.h"
#include "rnnkit/error.h"
#include "rnnkit/int8_rows.h"
#include "rnnkit/language_model_file.h"

namespace rnnkit {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The weight matrices that batch-1 products read. embedding.weight is one only when tied (it is
// then fc.weight); it may be stored either way, as a lookup reads one row of it.
bool must_be_int8(const std::string& name) {
  return name == "fc.weight" || name.rfind("rnn.weight_", 0) == 0;
}

// Metadata keys of the model files that are not language models, and what they are.
template <class Run>
auto naming_tensor(const std::string& name, Run&& run) -> decltype(run()) {
  try {
    return run();
  } catch (const Error& e) {
    throw Error("tensor '" + name + "': " + e.what());
  }
}

Tensor dequantized_weight(const std::string& name, const Tensor& values, const Tensor& scales) {
  const std::string what = "int8 tensor '" + name + "'";
  if (values.ndim() != 2) throw Error(what + " is not a matrix: " + values.shape_string());
  if (scales.shape() != Shape{values.dim(0)})
    throw Error("scale tensor '" + name + kScaleSuffix + "' has shape " + scales.shape_string() +
                ", not [" + std::to_string(values.dim(0)) + "] (one per row of " + name + ")");
  const int64_t N = values.dim(0), K = values.dim(1);
  Tensor W({N, K});
  for (int64_t n = 0; n < N; ++n) {
    const float scale = scales.data()[n];
    if (!std::isfinite(scale) || scale < 0.0f)
      throw Error("scale tensor '" + name + kScaleSuffix + "' row " + std::to_string(n) + " is " +
                  std::to_string(scale) + " (scales are finite and >= 0)");
    for (int64_t k = 0; k < K; ++k) {
      const float v = values.data()[n * K + k];
      if (v < -127.0f)
        throw Error(what + " holds -128 at row " + std::to_string(n) +
                    " (symmetric int8 uses [-127, 127])");
      W.data()[n * K + k] = dequantized(scale, static_cast<int8_t>(v));
    }
  }
  return W;
}

}  // namespace

bool dequantize_language_model_tensors(SafetensorsFile& file) {
  auto marker = file.metadata.find(kQuantizationKey);
  if (marker == file.metadata.end()) return false;
  if (marker->second != kInt8Rowwise)
    throw Error(std::string(kQuantizationKey) + " is '" + marker->second + "'; rnnkit reads " +
                kInt8Rowwise);
  std::map<std::string, Tensor> weights;
  for (const auto& [name, tensor] : file.tensors) {
    if (ends_with(name, kScaleSuffix)) {
      const std::string weight = name.substr(0, name.size() - std::string(kScaleSuffix).size());
      if (!file.tensors.count(weight) || file.dtypes.at(weight) != "I8")
        throw Error("scale tensor '" + name + "' has no int8 weight '" + weight + "'");
      continue;
    }
    const std::string& dtype = file.dtypes.at(name);
    const bool int8 = dtype == "I8";
    if (!int8 && must_be_int8(name))
      throw Error("tensor '" + name + "' has dtype " + dtype + " in an " + kInt8Rowwise +
                  " file, where weight matrices are I8 with a " + kScaleSuffix + " tensor");
    if (int8 && !must_be_int8(name) && name != "embedding.weight")
      throw Error("tensor '" + name + "' has dtype I8, but only weight matrices are quantized");
    if (!int8) continue;
    auto scale = file.tensors.find(name + kScaleSuffix);
    if (scale == file.tensors.end())
      throw Error("int8 tensor '" + name + "' has no scale tensor '" + name + kScaleSuffix + "'");
    if (file.dtypes.at(scale->first) != "F32")
      throw Error("scale tensor '" + scale->first + "' has dtype " + file.dtypes.at(scale->first) +
                  ", not F32");
    weights.emplace(name, dequantized_weight(name, tensor, scale->second));
  }
  for (auto& [name, W] : weights) {
    file.tensors.erase(name + kScaleSuffix);
    file.dtypes.erase(name + kScaleSuffix);
    file.tensors[name] = std::move(W);
    file.dtypes[name] = "F32";
  }
  return true;
}

QuantizeSummary quantize_model_file(const std::string& in, const std::string& out) {
  const std::string path = resolve_model_path(in);
  // Writing over the model being read would lose the float weights for good.
  if (std::filesystem::exists(out) && std::filesystem::equivalent(path, out))
    throw Error(out + " is the model being quantized (" + path +
                "): write the int8 model to another file");
  SafetensorsFile file = read_safetensors(path);
  const uintmax_t bytes_in = std::filesystem::file_size(path);
  std::map<std::string, std::string> metadata = file.metadata;
  std::map<std::string, Tensor> written;
  std::map<std::string, DType> dtypes;
  naming_file(path, [&] {
    check_format_version(metadata);
    if (metadata.count(kQuantizationKey))
      throw Error("already quantized (" + std::string(kQuantizationKey) + " = " +
                  metadata[kQuantizationKey] + ")");
    if (const auto kind = other_model_kind(metadata))
      throw Error("is " + *kind + "; rnnkit quantize takes language models only");
    // Building the model checks that the tensors are a language model's (sizes against the
    // configuration, no tensor missing or extra) before anything is written.
    auto config = metadata.count("rnnkit.config")
                      ? std::optional(LMConfig::from_json(metadata["rnnkit.config"]))
                      : std::nullopt;
    auto model = language_model_from_state_dict(file.tensors, config);
    // The vocabulary is kept as it is: one that commands refuse without a --vocab file (which
    // quantize does not take) is refused here.
    if (auto vocab = metadata.find("rnnkit.vocab"); vocab != metadata.end())
      check_vocabulary_size(Vocab::from_json(vocab->second), model->config(), "", "");
    for (const auto& [name, tensor] : model->stored_state_dict()) {
      if (!must_be_int8(name) && !(name == "embedding.weight" && model->config().tie_weights)) {
        // A float tensor keeps a 16-bit dtype (the shipped model's F16 embedding); F64 becomes F32.
        const std::string& stored = file.dtypes.at(name);
        if (stored == "F16" || stored == "BF16") dtypes.emplace(name, parse_dtype(stored));
        written.emplace(name, *tensor);
        continue;
      }
      const int64_t N = tensor->dim(0), K = tensor->dim(1);
      const Int8Rows q =
          naming_tensor(name, [&] { return quantize_rows(N, K, tensor->data(), K); });
      Tensor values({N, K}), scales({N});
      for (int64_t n = 0; n < N; ++n) {
        scales.data()[n] = q.scales[n];
        for (int64_t k = 0; k < K; ++k) values.data()[n * K + k] = q.values[n * q.ld + k];
      }
      written.emplace(name, std::move(values));
      written.emplace(name + kScaleSuffix, std::move(scales));
      dtypes.emplace(name, DType::I8);
    }
  });
  metadata[kQuantizationKey] = kInt8Rowwise;
  NamedTensors named;
  for (const auto& [name, tensor] : written) named.emplace_back(name, &tensor);
  write_safetensors(out, named, metadata, DType::F32, dtypes);
  QuantizeSummary summary;
  for (const auto& [name, dtype] : dtypes) summary.quantized_tensors += dtype == DType::I8;
  summary.float_tensors = static_cast<int64_t>(written.size()) - 2 * summary.quantized_tensors;
  summary.bytes_in = bytes_in;
  summary.bytes_out = std::filesystem::file_size(out);
  return summary;
}

}  // namespace rnnkit
