#include "rnnkit/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "io/strict_json.h"
#include "rnnkit/error.h"

namespace rnnkit {

namespace {

Error missing_tensor(const std::string& name) {
  const bool bias = name.ends_with("bias") || name.find(".bias_") != std::string::npos;
  return Error("checkpoint lacks tensor " + name +
               (bias ? " (rnnkit's layers all have biases: a PyTorch model made with bias=False "
                       "loads once zero biases of these names are added to its state_dict)"
                     : ""));
}

}  // namespace

void load_state_dict_strict(const std::vector<std::pair<std::string, Tensor*>>& expected,
                            const std::map<std::string, Tensor>& tensors) {
  for (const auto& [name, target] : expected) {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw missing_tensor(name);
    if (it->second.shape() != target->shape())
      throw Error("tensor " + name + " has shape " + it->second.shape_string() +
                  " but the model expects " + target->shape_string());
  }
  for (const auto& entry : tensors)
    if (std::none_of(expected.begin(), expected.end(),
                     [&](const auto& e) { return e.first == entry.first; }))
      throw Error("checkpoint has unexpected tensor " + entry.first);
  for (const auto& [name, target] : expected) *target = tensors.at(name);
}

std::string resolve_model_path(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path)) return path;
  for (const char* name : {"best.safetensors", "last.safetensors"}) {
    fs::path candidate = fs::path(path) / name;
    if (fs::exists(candidate)) return candidate.string();
  }
  throw Error(path + " is a directory without best.safetensors or last.safetensors");
}

const std::string& require_metadata(const SafetensorsFile& file, const std::string& key,
                                    const std::string& path, const std::string& what) {
  auto it = file.metadata.find(key);
  if (it == file.metadata.end())
    throw Error(path + " is not " + what + " (no " + key + " metadata)");
  return it->second;
}

std::string message_naming_file(const std::string& path, const std::string& message) {
  return message.rfind(path, 0) == 0 ? message : path + ": " + message;
}

ConfigReader::ConfigReader(const std::string& text, std::string what)
    : j_(parse_strict_json(text, what)), what_(std::move(what)) {
  if (!j_.is_object()) throw Error(what_ + " is not a JSON object");
}

int64_t ConfigReader::integer(const char* key, int64_t fallback, bool required) const {
  if (!j_.contains(key)) {
    if (required) throw Error(what_ + " lacks \"" + key + "\"");
    return fallback;
  }
  if (!j_[key].is_number_integer()) throw Error(what_ + ": \"" + key + "\" must be an integer");
  // get<int64_t>() would wrap one above 2^63 - 1 into a negative number, then named as such.
  if (j_[key].is_number_unsigned() && !std::in_range<int64_t>(j_[key].get<uint64_t>()))
    throw Error(what_ + ": \"" + key + "\" is out of range: " + j_[key].dump());
  return j_[key].get<int64_t>();
}

bool ConfigReader::boolean(const char* key) const {
  if (!j_.contains(key)) return false;
  if (!j_[key].is_boolean()) throw Error(what_ + ": \"" + key + "\" must be true or false");
  return j_[key].get<bool>();
}

double ConfigReader::number(const char* key, double fallback) const {
  if (!j_.contains(key)) return fallback;
  if (!j_[key].is_number()) throw Error(what_ + ": \"" + key + "\" must be a number");
  return j_[key].get<double>();
}

std::string ConfigReader::string(const char* key) const {
  if (!j_.contains(key) || !j_[key].is_string()) throw Error(what_ + " lacks \"" + key + "\"");
  return j_[key].get<std::string>();
}

void ConfigReader::refuse_unknown_keys(const std::string& written) const {
  const nlohmann::json known = nlohmann::json::parse(written);
  for (const auto& [key, value] : j_.items()) {
    if (known.contains(key)) continue;
    std::string keys;
    for (const auto& [name, unused] : known.items()) keys += (keys.empty() ? "" : ", ") + name;
    throw Error(what_ + " has \"" + key + "\", which rnnkit does not read (it reads " + keys + ")" +
                (key == "nonlinearity"
                     ? "; a plain RNN's nonlinearity is its cell, \"rnn_tanh\" or \"rnn_relu\""
                     : ""));
  }
}

void expect_dimension(const std::map<std::string, Tensor>& tensors, const std::string& name,
                      int axis, int64_t expected, const std::string& config_key) {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw missing_tensor(name);
  if (it->second.ndim() <= axis || it->second.dim(axis) != expected)
    throw Error("the configuration's " + config_key + " (" + std::to_string(expected) +
                ") does not match tensor " + name + " of shape " + it->second.shape_string());
}

int64_t count_numbered(const std::map<std::string, Tensor>& tensors, const std::string& prefix) {
  int64_t n = 0;
  while (tensors.count(prefix + std::to_string(n))) ++n;
  return n;
}

}  // namespace rnnkit
