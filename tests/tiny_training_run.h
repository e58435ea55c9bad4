#pragma once
// A run of `rnnkit train` small enough for a unit test: three steps of a one-layer RNN of 8 on
// the fixture text, one thread.
#include <filesystem>
#include <string>

#include "rnnkit/train_options.h"

namespace rnnkit::testing {

inline TrainOptions tiny_run(const std::filesystem::path& out) {
  TrainOptions o;
  o.text_path = std::string(RNNKIT_FIXTURE_DIR) + "/train_step_text.txt";
  o.out_dir = out.string();
  o.embedding = 0;
  o.hidden = 8;
  o.layers = 1;
  o.batch = 2;
  o.bptt = 4;
  o.steps = 3;
  o.log_every = 1;
  o.threads = 1;
  return o;
}

}  // namespace rnnkit::testing
