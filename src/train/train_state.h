#pragma once
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "rnnkit/lr_scheduler.h"
#include "rnnkit/optimizer.h"
#include "rnnkit/rng.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/training_task.h"

namespace rnnkit {

// The working directory, or "" where it cannot be named (removed).
inline std::string current_directory() {
  std::error_code error;
  const std::filesystem::path path = std::filesystem::current_path(error);
  return error ? "" : path.string();
}

// The engine's counters that an exact resume needs besides the tensors.
struct TrainPosition {
  int64_t step = 0, epoch = 0;
  double elapsed = 0;
  double epoch_loss_sum = 0;
  int64_t epoch_tokens = 0;
  double best_valid_loss = std::numeric_limits<double>::infinity();
  int64_t skipped = 0;
  int64_t consecutive_skips = 0;  // --skip-nonfinite's batches skipped in a row, up to this step
  // Where the run was started: the directory its options' relative paths are relative to.
  std::string start_directory = current_directory();
  // The task's data_fingerprint(), taken once per run: a resume compares it with the stored one.
  uint64_t data_fingerprint = 0;
};

// The directory the run of `file` (its state.bin) was started in; empty in older states.
std::string train_state_start_directory(const SafetensorsFile& file);

// A count of the stored position: a JSON integer in [0, 2^63); Error naming `key` for another
// value (3.7, 1e19, -1), which a plain get<int64_t>() would truncate or wrap.
int64_t stored_count(const nlohmann::json& j, const char* key);
// A generator state stored as its words in decimal strings (digits only); Error naming `key`.
Rng::State stored_rng(const nlohmann::json& words, const char* key);

// state.bin: a safetensors file with the model ("model." + name), the optimiser's state tensors
// and the task's carried tensors, and the metadata rnnkit.family, rnnkit.train_state (the
// position, RNG, optimiser step count, schedule and the task's data position), rnnkit.options
// and the model's own metadata. Written atomically; it commits a checkpoint.
void write_train_state(const std::string& path, TrainingTask& task, Optimizer& optimizer,
                       const LRScheduler& scheduler, const Rng& rng, const TrainPosition& pos,
                       const nlohmann::json& family_options);

// Reads state.bin; a missing, truncated, corrupt or foreign file is an Error naming it.
SafetensorsFile read_train_state_file(const std::string& path);
// The run's family ("lm" for files written before families were recorded).
std::string train_state_family(const SafetensorsFile& file);
// A metadata value a family needs from state.bin; Error naming the key when it is absent.
const std::string& stored(const SafetensorsFile& file, const std::string& key);

// The model's tensors under their state_dict names.
std::map<std::string, Tensor> model_tensors_of(const SafetensorsFile& file);

// Restores the optimiser, schedule, task position and RNG; every value is validated, and an
// Error names the file and what is wrong.
TrainPosition restore_train_state(const SafetensorsFile& file, const std::string& path,
                                  TrainingTask& task, Optimizer& optimizer, LRScheduler& scheduler,
                                  Rng& rng);

}  // namespace rnnkit
