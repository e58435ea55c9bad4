#include "rnnkit/train_options.h"

#include <nlohmann/json.hpp>

#include "rnnkit/error.h"

namespace rnnkit {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    TrainOptions, text_path, poems_path, valid_path, valid_fraction, level, lowercase, letters_only,
    min_count, max_vocab, eos_per_line, max_tokens, script, poem_form, poem_max_length, packed,
    cell, layers, hidden, proj_size, embedding, bidirectional, dropout, tie_weights, init_range,
    init_from, pretrained_embeddings, batch, bptt, sampling, offset, random_offset, optimizer, lr,
    momentum, weight_decay, beta1, beta2, eps, clip, schedule, skip_nonfinite, epochs, steps,
    time_limit, out_dir, log_every, valid_every, checkpoint_every, sample_every, sample_length,
    dtype, seed, threads, bf16)

std::string TrainOptions::to_json() const {
  return nlohmann::json(*this).dump();
}

TrainOptions TrainOptions::from_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<TrainOptions>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("malformed training options: ") + e.what());
  }
}

void TrainOptions::validate() const {
  auto fail = [](const std::string& message) { throw Error(message); };
  if (text_path.empty() == poems_path.empty())
    fail("give exactly one of --text FILE or --poems DIR");
  if (level != "char" && level != "word") fail("--level must be char or word, got " + level);
  if (script != "simplified" && script != "traditional")
    fail("--script must be simplified or traditional, got " + script);
  if (poem_form != 0 && poem_form != 5 && poem_form != 7) fail("--form must be 5 or 7");
  if (poem_max_length < 3) fail("--max-length must be at least 3");
  if (!(valid_fraction >= 0 && valid_fraction < 1)) fail("--valid-fraction must be in [0, 1)");
  if (layers < 1) fail("--layers must be at least 1");
  if (hidden < 1) fail("--hidden must be at least 1");
  if (proj_size < 0 || proj_size >= hidden) fail("--proj-size must be in [0, --hidden) (0 = none)");
  if (embedding < 0) fail("--embedding must be >= 0 (0 = one-hot)");
  if (!(dropout >= 0 && dropout < 1)) fail("--dropout must be in [0, 1)");
  if (batch < 1) fail("--batch must be at least 1");
  if (bptt < 1) fail("--bptt must be at least 1");
  if (sampling != "sequential" && sampling != "random")
    fail("--sampling must be sequential or random, got " + sampling);
  if (offset < 0 || offset >= bptt) fail("--offset must be in [0, bptt)");
  if (optimizer != "sgd" && optimizer != "adam" && optimizer != "adamw")
    fail("--optimizer must be sgd, adam or adamw, got " + optimizer);
  if (!(lr > 0)) fail("--lr must be positive");
  if (clip < 0) fail("--clip must be >= 0");
  if (epochs < 0 || steps < 0 || time_limit < 0) fail("--epochs, --steps and --time must be >= 0");
  if (out_dir.empty()) fail("--out RUN_DIR is required");
  if (dtype != "f32" && dtype != "f16" && dtype != "bf16") fail("--dtype must be f32, f16 or bf16");
  if (threads < 0) fail("--threads must be >= 0");
}

}  // namespace rnnkit
