#include "train/train_state.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <utility>

#include "io/strict_json.h"
#include "rnnkit/adam.h"
#include "rnnkit/communicator.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/utf8.h"
#include "train/run_directory.h"

namespace rnnkit {

using json = nlohmann::json;

int64_t stored_count(const json& j, const char* key) {
  const json& value = j.at(key);
  // get<int64_t>() would truncate 3.7 and wrap (or, from a double, leave undefined) a number
  // beyond int64_t.
  if (!value.is_number_integer())
    throw Error(std::string("\"") + key + "\" is not an integer (" + value.dump() + ")");
  if (value.is_number_unsigned() && !std::in_range<int64_t>(value.get<uint64_t>()))
    throw Error(std::string("\"") + key + "\" is out of range (" + value.dump() + ")");
  const int64_t v = value.get<int64_t>();
  if (v < 0) throw Error(std::string("\"") + key + "\" is negative (" + std::to_string(v) + ")");
  return v;
}

Rng::State stored_rng(const json& words, const char* key) {
  Rng::State state{};
  if (!words.is_array() || words.size() != state.size())
    throw Error(std::string("\"") + key + "\" must hold " + std::to_string(state.size()) +
                " words");
  bool any = false;
  for (size_t i = 0; i < state.size(); ++i) {
    const std::string text = words[i].get<std::string>();
    // Digits only: stoull took " 123", "+123" and "-1" (wrapped).
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), state[i]);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      throw Error(std::string("\"") + key + "\" word " + std::to_string(i) +
                  " is not an unsigned integer");
    any = any || state[i] != 0;
  }
  if (!any) throw Error(std::string("\"") + key + "\" is all zero, which no generator reaches");
  return state;
}

namespace {

double finite(const json& j, const char* key) {
  const double v = j.at(key).get<double>();
  if (!std::isfinite(v)) throw Error(std::string("\"") + key + "\" is not finite");
  return v;
}

constexpr const char* kChecksumKey = "rnnkit.state_crc32";

// CRC-32 (zlib's) of a state: its metadata but the checksum (keys in order, each key and value
// followed by a NUL) and its tensors' float32 values in name order (as a file stores them).
std::string state_checksum(const std::map<std::string, std::string>& metadata,
                           const std::map<std::string, const Tensor*>& tensors) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto add = [&crc](const void* data, size_t size) {
    // zlib takes lengths as uInt: a tensor over 4 GiB goes in parts.
    for (auto* p = static_cast<const Bytef*>(data); size > 0;) {
      const auto part = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
      crc = crc32(crc, p, part);
      p += part;
      size -= part;
    }
  };
  for (const auto& [key, value] : metadata) {
    if (key == kChecksumKey) continue;
    add(key.c_str(), key.size() + 1);
    add(value.c_str(), value.size() + 1);
  }
  for (const auto& [name, tensor] : tensors) {
    add(name.c_str(), name.size() + 1);
    add(tensor->data(), static_cast<size_t>(tensor->numel()) * sizeof(float));
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc & 0xffffffffUL));
  return hex;
}

}  // namespace

void write_train_state(const std::string& path, TrainingTask& task, Optimizer& optimizer,
                       const LRScheduler& scheduler, const Rng& rng, const TrainPosition& pos,
                       const json& family_options) {
  NamedTensors tensors;
  for (const auto& [name, t] : task.state_dict()) tensors.emplace_back("model." + name, t);
  for (const auto& [name, t] : optimizer.state_tensors()) tensors.emplace_back(name, t);
  for (const auto& [name, t] : task.position_tensors()) tensors.emplace_back(name, t);
  const Rng::State& r = rng.state();
  json s = {
      {"step", pos.step},
      {"epoch", pos.epoch},
      {"elapsed", pos.elapsed},
      {"epoch_loss_sum", pos.epoch_loss_sum},
      {"epoch_tokens", pos.epoch_tokens},
      {"best_valid_loss",
       std::isfinite(pos.best_valid_loss) ? json(pos.best_valid_loss) : json(nullptr)},
      {"skipped", pos.skipped},
      {"consecutive_skips", pos.consecutive_skips},
      {"rng",
       {std::to_string(r[0]), std::to_string(r[1]), std::to_string(r[2]), std::to_string(r[3])}},
      {"optimizer_steps", optimizer.step_count()},
      {"scheduler", scheduler.state()},
      {"position", task.position()},
      {"data_fingerprint", std::to_string(pos.data_fingerprint)},
      // Only ever shown in a message: a directory name that is not UTF-8 is kept legible.
      {"start_directory", utf8::with_replacement(pos.start_directory)}};
  std::map<std::string, std::string> metadata = task.model_metadata();
  metadata["rnnkit.family"] = task.family();
  metadata["rnnkit.train_state"] = s.dump();
  metadata["rnnkit.options"] = family_options.dump();
  std::map<std::string, const Tensor*> by_name(tensors.begin(), tensors.end());
  metadata[kChecksumKey] = state_checksum(metadata, by_name);
  write_safetensors(path, tensors, metadata);
}

SafetensorsFile read_train_state_file(const std::string& path) {
  // Rank 0 alone reads the run directory (data-parallel training); the others get its bytes, so
  // the run directory need not be on storage every node sees.
  const bool shared = distributed();
  std::string bytes;
  if (!shared || world().rank() == 0) {
    if (!std::filesystem::exists(path)) {
      // A run before its first checkpoint holds the directory's lock: named, it is not "no run".
      const std::filesystem::path dir = std::filesystem::path(path).parent_path();
      if (std::filesystem::exists(dir / ".lock")) const RunDirectoryLock probe(dir.string());
      throw Error(path + " does not exist: there is no run to resume there");
    }
    bytes = read_file(path);
  }
  if (shared) world().broadcast(bytes, 0);
  SafetensorsFile file;
  try {
    file =
        parse_safetensors(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                          path, Adam::kOverflowingState);
  } catch (const Error& e) {
    // A file cut short (a disk that filled, a copy that stopped) or overwritten: its own reason,
    // then what it means.
    const std::string message = e.what();
    throw Error((message.find(path) == std::string::npos ? path + ": " + message : message) +
                "; it is damaged (not a whole training state): resume from a copy of the run "
                "directory, or start the run again");
  }
  for (const char* key : {"rnnkit.train_state", "rnnkit.options"})
    if (!file.metadata.count(key))
      throw Error(path + " is not an rnnkit training state (no " + key + " metadata)");
  // States written before the checksum existed have none and are taken as they are.
  if (const auto stored = file.metadata.find(kChecksumKey); stored != file.metadata.end()) {
    std::map<std::string, const Tensor*> by_name;
    for (const auto& [name, tensor] : file.tensors) by_name.emplace(name, &tensor);
    if (state_checksum(file.metadata, by_name) != stored->second)
      throw Error(path + " is corrupted: its contents do not match their checksum (" +
                  std::string(kChecksumKey) +
                  "); resume from a copy of the run directory, or start the run again");
  }
  return file;
}

std::string train_state_family(const SafetensorsFile& file) {
  auto it = file.metadata.find("rnnkit.family");
  return it == file.metadata.end() ? "lm" : it->second;
}

const std::string& stored(const SafetensorsFile& file, const std::string& key) {
  auto it = file.metadata.find(key);
  if (it == file.metadata.end()) throw Error("state.bin lacks the " + key + " metadata");
  return it->second;
}

std::map<std::string, Tensor> model_tensors_of(const SafetensorsFile& file) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind("model.", 0) == 0) tensors[name.substr(6)] = t;
  return tensors;
}

std::string train_state_start_directory(const SafetensorsFile& file) {
  const auto state = file.metadata.find("rnnkit.train_state");
  if (state == file.metadata.end()) return "";
  const json s = json::parse(state->second, nullptr, false);
  return s.is_object() && s.contains("start_directory") && s["start_directory"].is_string()
             ? s["start_directory"].get<std::string>()
             : "";
}

TrainPosition restore_train_state(const SafetensorsFile& file, const std::string& path,
                                  TrainingTask& task, Optimizer& optimizer, LRScheduler& scheduler,
                                  Rng& rng) {
  try {
    const json s = parse_strict_json(file.metadata.at("rnnkit.train_state"), "its training state");
    TrainPosition pos;
    pos.step = stored_count(s, "step");
    pos.epoch = stored_count(s, "epoch");
    pos.elapsed = finite(s, "elapsed");
    if (pos.elapsed < 0) throw Error("\"elapsed\" is negative");
    pos.epoch_loss_sum = finite(s, "epoch_loss_sum");
    pos.epoch_tokens = stored_count(s, "epoch_tokens");
    pos.best_valid_loss = s.at("best_valid_loss").is_null()
                              ? std::numeric_limits<double>::infinity()
                              : finite(s, "best_valid_loss");
    pos.skipped = stored_count(s, "skipped");
    // Older states have no count: they resume as after a trained batch.
    if (s.contains("consecutive_skips"))
      pos.consecutive_skips = stored_count(s, "consecutive_skips");
    pos.start_directory = s.value("start_directory", "");
    const Rng::State rng_state = stored_rng(s.at("rng"), "rng");
    const int64_t optimizer_steps = stored_count(s, "optimizer_steps");
    // A resumed run reads its files again: other data would continue as if they were the same
    // (older states have no checksum to compare).
    pos.data_fingerprint = task.data_fingerprint();
    if (s.contains("data_fingerprint") &&
        s.at("data_fingerprint").get<std::string>() != std::to_string(pos.data_fingerprint))
      throw Error(
          "the training data (or the vocabulary they make) differ from those the run started "
          "with: --resume reads the files of the run's options again; restore them, or start a "
          "new run");
    optimizer.load_state_tensors(file.tensors);
    // Files written before families were recorded keep the position at the top level.
    task.restore_position(s.contains("position") ? s.at("position") : s, file.tensors, rng);
    rng.set_state(rng_state);
    optimizer.set_step_count(optimizer_steps);
    scheduler.load_state(s.at("scheduler").get<LRScheduler::State>());
    return pos;
  } catch (const json::exception& e) {
    throw Error(path + ": malformed training state (" + json_error_reason(e) + ")");
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

}  // namespace rnnkit
