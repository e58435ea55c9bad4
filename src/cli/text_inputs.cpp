#include "cli/text_inputs.h"

#include <iostream>

#include "rnnkit/gemm.h"
#include "rnnkit/utf8.h"

namespace rnnkit::cli {

std::vector<std::pair<std::string, std::string>> texts_from(const std::vector<std::string>& args,
                                                            const std::string& noun) {
  std::vector<std::pair<std::string, std::string>> texts;
  for (size_t i = 0; i < args.size(); ++i)
    texts.emplace_back(args[i], noun + " " + std::to_string(i + 1));
  if (!args.empty()) return texts;
  std::string line;
  for (int64_t number = 1; std::getline(std::cin, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A file redirected from Windows' Notepad begins with a byte order mark, as data files may.
    if (number == 1) line = std::string(utf8::without_byte_order_mark(line));
    if (!line.empty()) texts.emplace_back(line, "stdin:" + std::to_string(number));
  }
  return texts;
}

void apply_runtime(const RuntimeOptions& runtime) {
  validate_options(runtime, RuntimeOptions::table());
  set_num_threads(runtime.threads);
  if (runtime.bf16) set_matmul_precision(Precision::BF16);
}

}  // namespace rnnkit::cli
