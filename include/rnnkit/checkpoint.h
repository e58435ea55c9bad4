#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rnnkit/error.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

// What every model file and run directory shares, for every model family: strict state-dict
// loading, configuration and metadata reading with errors that name the file, shape checks made
// before a model is allocated, and run-directory resolution. Files are written atomically by
// write_safetensors.

// A model's tensors by name, as state_dict() gives them for writing.
using StateDict = std::vector<std::pair<std::string, const Tensor*>>;

// Copies `tensors` into the model's tensors: a missing, unexpected or misshapen tensor is an
// Error naming it; nothing is copied unless all match.
void load_state_dict_strict(const std::vector<std::pair<std::string, Tensor*>>& expected,
                            const std::map<std::string, Tensor>& tensors);

// `path` is a .safetensors file or a run directory (its best.safetensors, else
// last.safetensors); a file path is returned unchanged.
std::string resolve_model_path(const std::string& path);

// The metadata value of `key`; Error "<path> is not <what> (no <key> metadata)" without it.
const std::string& require_metadata(const SafetensorsFile& file, const std::string& key,
                                    const std::string& path, const std::string& what);

// Runs `read` (the reading of one file) and puts `path` in front of the message of an Error it
// throws, unless the message names the file already.
std::string message_naming_file(const std::string& path, const std::string& message);
template <class Read>
auto naming_file(const std::string& path, Read&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const Error& e) {
    throw Error(message_naming_file(path, e.what()));
  }
}

// Reads a configuration JSON object; every error names `what` ("model config") and the key.
class ConfigReader {
 public:
  ConfigReader(const std::string& text, std::string what);
  int64_t integer(const char* key, int64_t fallback, bool required) const;
  bool boolean(const char* key) const;  // absent = false
  double number(const char* key, double fallback) const;
  std::string string(const char* key) const;  // required
  const nlohmann::json& json() const { return j_; }
  // Error when the configuration has a key that `written` (what the family's to_json writes for
  // the configuration read) lacks: rnnkit would ignore it, and a file that means something by it
  // ("nonlinearity": "relu") would run as something else without a word.
  void refuse_unknown_keys(const std::string& written) const;

 private:
  nlohmann::json j_;
  std::string what_;
};

// Before a model is built from a configuration, its sizes are checked against the tensors the
// file holds, so that a configuration that lies (hidden_size 20000 in a 100 KB file) is an
// Error instead of a huge allocation. Error unless tensors[name] exists with dimension `axis`
// equal to `expected` (the configuration's `config_key`).
void expect_dimension(const std::map<std::string, Tensor>& tensors, const std::string& name,
                      int axis, int64_t expected, const std::string& config_key);

// The number of tensors named prefix0, prefix1, ... (layers of a stack).
int64_t count_numbered(const std::map<std::string, Tensor>& tensors, const std::string& prefix);

}  // namespace rnnkit
