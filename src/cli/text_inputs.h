#pragma once
#include <string>
#include <utility>
#include <vector>

#include "rnnkit/train_options.h"

namespace rnnkit::cli {

// The texts a predict command works on, each with where it came from for error messages: the
// arguments ("question 2"), or else the non-empty lines of stdin ("stdin:7").
std::vector<std::pair<std::string, std::string>> texts_from(const std::vector<std::string>& args,
                                                            const std::string& noun);

// Validates and applies --threads and --bf16 of a command that uses a model.
void apply_runtime(const RuntimeOptions& runtime);

}  // namespace rnnkit::cli
