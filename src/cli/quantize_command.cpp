#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "rnnkit/quantize.h"

namespace rnnkit::cli {
namespace {

struct QuantizeArgs {
  std::string in, out;
};

void setup_quantize(CLI::App& app) {
  auto a = std::make_shared<QuantizeArgs>();
  app.add_option("IN", a->in, "language model: a .safetensors file or a run directory")->required();
  app.add_option("OUT", a->out, "the int8 model file to write")->required();
  app.callback([a] {
    const QuantizeSummary s = quantize_model_file(a->in, a->out);
    std::printf(
        "%s: %lld weight matrices int8 with per-row scales, %lld float tensors kept; "
        "%llu -> %llu bytes\n",
        a->out.c_str(), static_cast<long long>(s.quantized_tensors),
        static_cast<long long>(s.float_tensors), static_cast<unsigned long long>(s.bytes_in),
        static_cast<unsigned long long>(s.bytes_out));
  });
}

const Registration registration(
    {"quantize", "Write a language model's weight matrices as int8 with per-row scales",
     setup_quantize});

}  // namespace
}  // namespace rnnkit::cli
