#pragma once
#include <cstdint>
#include <string>

#include "rnnkit/safetensors.h"

namespace rnnkit {

// Weight-only int8 language model files (docs/FORMAT.md, "Quantized models"). The metadata key
// rnnkit.quantization = "int8-rowwise" marks one; each weight matrix W [N,K] that a GEMV reads
// (rnn.weight_ih_l*, rnn.weight_hh_l*, rnn.weight_hr_l*, fc.weight, and embedding.weight when
// fc.weight is tied to it) is stored as `W` (I8 [N,K]) and `W.scale` (F32 [N]), with
// W = W.scale[:, None] * W (quantize_rows); biases and an untied embedding stay float (F16 and
// BF16 tensors keep their dtype, others are F32).
inline constexpr const char* kQuantizationKey = "rnnkit.quantization";
inline constexpr const char* kInt8Rowwise = "int8-rowwise";
inline constexpr const char* kScaleSuffix = ".scale";

struct QuantizeSummary {
  int64_t quantized_tensors = 0, float_tensors = 0;
  uint64_t bytes_in = 0, bytes_out = 0;  // file sizes
};

// Writes the int8-rowwise form of the language model file `in` (a file or run directory) to
// `out`, atomically, keeping its other metadata (configuration, vocabulary). Refuses, naming
// the file, what is no language model (seq2seq, classifier, forecaster files, training states)
// and a file already quantized.
QuantizeSummary quantize_model_file(const std::string& in, const std::string& out);

// Where `file` is a quantized language model, replaces its int8 tensors and their scales by the
// dequantized float32 weights and returns true; false for a float file. Every departure from the
// layout above is an Error naming the tensor: an unknown quantization, a weight matrix not
// stored as I8, an I8 tensor that is no weight matrix, a missing scale or one of the wrong dtype
// or shape, a scale that is not finite and >= 0, an int8 value of -128, a scale without its
// weight.
bool dequantize_language_model_tensors(SafetensorsFile& file);

}  // namespace rnnkit
