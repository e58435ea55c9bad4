#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "rnnkit/checkpoint.h"
#include "rnnkit/language_model.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// A language model as a file: safetensors with PyTorch's state_dict names and the metadata keys
// rnnkit.config, rnnkit.vocab and rnnkit.format_version (docs/FORMAT.md).
struct LoadedLanguageModel {
  std::unique_ptr<LanguageModel> model;
  std::optional<Vocab> vocab;
  std::map<std::string, std::string> metadata;
  std::string path;  // the file actually read
};

// Written atomically; `extra` metadata is stored beside the standard keys.
void save_language_model(const std::string& path, LanguageModel& model, const Vocab* vocab,
                         const std::map<std::string, std::string>& extra = {},
                         DType dtype = DType::F32);

// `path` is a .safetensors file or a run directory (best.safetensors, else last.safetensors).
// Without rnnkit.config the configuration is inferred from the tensor shapes (a state_dict
// saved from PyTorch; a plain RNN is taken as tanh). `vocab_path` (a JSON file in the
// rnnkit.vocab format) replaces the stored vocabulary; its size must match the model.
LoadedLanguageModel load_language_model(const std::string& path,
                                        const std::string& vocab_path = "");

// Error when the metadata's rnnkit.format_version is present and not the one this rnnkit
// writes and reads ("1"): a later format would be read as this one, silently.
void check_format_version(const std::map<std::string, std::string>& metadata);

// What a file of another kind is ("a forecasting model", "a training state"), from the metadata
// key only that kind writes; nullopt for a language model or a file without rnnkit metadata.
std::optional<std::string> other_model_kind(const std::map<std::string, std::string>& metadata);

// Error unless `vocab` has the model's vocab_size tokens, naming where each came from
// (vocab_path: empty for the model file's own rnnkit.vocab; model_path: empty where the caller
// names the file itself).
void check_vocabulary_size(const Vocab& vocab, const LMConfig& config,
                           const std::string& vocab_path, const std::string& model_path);

// Error unless `tensors` have the sizes `config` claims; run before a model is allocated from
// a configuration read from a file, so that a lying configuration cannot force a huge
// allocation.
void check_config_against_tensors(const LMConfig& config,
                                  const std::map<std::string, Tensor>& tensors);

// The configuration a PyTorch state_dict of the DESIGN.md LM module implies.
LMConfig infer_lm_config(const std::map<std::string, Tensor>& tensors);

// A model holding `tensors` (a state_dict of the DESIGN.md LM module, loaded strictly): of the
// `claimed` configuration, checked against the tensors before anything is allocated, or of the
// one infer_lm_config finds when there is no claim.
std::unique_ptr<LanguageModel> language_model_from_state_dict(
    const std::map<std::string, Tensor>& tensors, const std::optional<LMConfig>& claimed);

}  // namespace rnnkit
