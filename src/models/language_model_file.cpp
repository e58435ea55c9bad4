#include "rnnkit/language_model_file.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "data/quoted.h"
#include "rnnkit/checkpoint.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/quantize.h"

namespace rnnkit {
namespace {

constexpr const char* kFormatVersion = "1";

const Tensor& require(const std::map<std::string, Tensor>& tensors, const std::string& name) {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error("no tensor " + name);
  return it->second;
}

// 1 + the highest layer index K of a tensor rnn.*_lK (or rnn.*_lK_reverse): a layer that lacks a
// tensor is then the missing tensor's error, not an extra layer's.
int64_t layers_named(const std::map<std::string, Tensor>& tensors) {
  int64_t layers = 0;
  for (const auto& [name, tensor] : tensors) {
    if (!name.starts_with("rnn.")) continue;
    std::string_view rest(name);
    if (rest.ends_with("_reverse")) rest.remove_suffix(8);
    const size_t at = rest.rfind("_l");
    const std::string_view digits = rest.substr(at == std::string_view::npos ? 0 : at + 2);
    if (at == std::string_view::npos || digits.size() > 4) continue;  // at most 10000 layers
    uint32_t index = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec == std::errc() && end == digits.data() + digits.size())
      layers = std::max(layers, int64_t{index} + 1);
  }
  return layers;
}

// The configuration the tensors describe; an Error saying what is missing or misshapen, which
// the callers put in context (a file with rnnkit.config, or one without).
LMConfig config_of_tensors(const std::map<std::string, Tensor>& tensors) {
  LMConfig c;
  const Tensor& w_hh = require(tensors, "rnn.weight_hh_l0");
  const Tensor& w_ih = require(tensors, "rnn.weight_ih_l0");
  // A tied model's file holds the output matrix once, as embedding.weight.
  const bool tied = !tensors.count("fc.weight") && tensors.count("embedding.weight");
  const Tensor& fc = require(tensors, tied ? "embedding.weight" : "fc.weight");
  if (w_hh.ndim() != 2 || w_ih.ndim() != 2 || fc.ndim() != 2)
    throw Error("weights are not matrices");
  // With a projection W_hh is [G*H, P] and W_hr [P, H]; H comes from W_hr then.
  auto w_hr = tensors.find("rnn.weight_hr_l0");
  if (w_hr != tensors.end() && w_hr->second.ndim() != 2)
    throw Error("rnn.weight_hr_l0 is not a matrix");
  c.proj_size = w_hr == tensors.end() ? 0 : w_hr->second.dim(0);
  c.hidden_size = w_hr == tensors.end() ? w_hh.dim(1) : w_hr->second.dim(1);
  std::optional<CellKind> cell;
  if (c.hidden_size > 0 && w_hh.dim(0) % c.hidden_size == 0)
    cell = cell_kind_with_gates(static_cast<int>(w_hh.dim(0) / c.hidden_size));
  if (!cell)
    throw Error("cannot infer the cell from rnn.weight_hh_l0 of shape " + w_hh.shape_string());
  c.cell = *cell;
  c.vocab_size = fc.dim(0);
  auto embedding = tensors.find("embedding.weight");
  if (embedding != tensors.end() && embedding->second.ndim() != 2)
    throw Error("embedding.weight of shape " + embedding->second.shape_string() +
                " is not a matrix [vocabulary, embedding]");
  c.embedding_dim = embedding == tensors.end() ? 0 : embedding->second.dim(1);
  // Without an embedding the inputs are one-hot vectors of the vocabulary.
  if (c.embedding_dim == 0 && w_ih.dim(1) != c.vocab_size)
    throw Error("no tensor embedding.weight: rnn.weight_ih_l0 reads " +
                std::to_string(w_ih.dim(1)) + " inputs, not the " + std::to_string(c.vocab_size) +
                " one-hot ones of the vocabulary (a tied model stores its output matrix once, as "
                "embedding.weight)");
  c.num_layers = layers_named(tensors);
  c.bidirectional = tensors.count("rnn.weight_hh_l0_reverse") > 0;
  // Without fc.weight the model is tied only where the embedding can be its output layer;
  // otherwise the tensor is missing.
  const int64_t output_size =
      (c.proj_size ? c.proj_size : c.hidden_size) * (c.bidirectional ? 2 : 1);
  if (tied && c.embedding_dim != output_size) require(tensors, "fc.weight");
  c.tie_weights = tied;
  c.validate();
  return c;
}

// Error naming the first tensor that the sizes of a configuration are read from whose shape is
// not the one `c` gives it; an absent tensor is left to the inference's message, unless
// `absent_too` (the tensors fit no model of their own: the one `c` has but they lack is why).
void expect_shapes_of(const LMConfig& c, const std::map<std::string, Tensor>& tensors,
                      bool absent_too = false) {
  const int64_t H = c.hidden_size, P = c.proj_size, S = P ? P : H;
  std::vector<std::pair<std::string, Shape>> expected = {
      {"rnn.weight_hh_l0", {gate_count(c.cell) * H, S}}};
  // A tied model's output matrix is its embedding.
  if (!c.tie_weights)
    expected.push_back({"fc.weight", {c.vocab_size, S * (c.bidirectional ? 2 : 1)}});
  if (c.embedding_dim > 0)
    expected.push_back({"embedding.weight", {c.vocab_size, c.embedding_dim}});
  if (P) expected.push_back({"rnn.weight_hr_l0", {P, H}});
  for (const auto& [name, shape] : expected) {
    const auto it = tensors.find(name);
    if (it == tensors.end() && absent_too)
      throw Error("no tensor " + name + ", which rnnkit.config's model has");
    if (it != tensors.end() && it->second.shape() != shape)
      throw Error("tensor " + name + " has shape " + it->second.shape_string() +
                  " but the configuration's model expects " + shape_string(shape));
  }
}

}  // namespace

void save_language_model(const std::string& path, LanguageModel& model, const Vocab* vocab,
                         const std::map<std::string, std::string>& extra, DType dtype) {
  std::map<std::string, std::string> metadata = extra;
  metadata["rnnkit.config"] = model.config().to_json();
  metadata["rnnkit.format_version"] = kFormatVersion;
  if (vocab) {
    if (vocab->size() != model.config().vocab_size)
      throw Error("vocabulary of " + std::to_string(vocab->size()) +
                  " tokens does not match the model's " +
                  std::to_string(model.config().vocab_size));
    metadata["rnnkit.vocab"] = vocab->to_json();
  }
  write_safetensors(path, model.stored_state_dict(), metadata, dtype);
}

LMConfig infer_lm_config(const std::map<std::string, Tensor>& tensors) {
  try {
    return config_of_tensors(tensors);
  } catch (const Error& e) {
    throw Error(std::string("cannot infer the model configuration: ") + e.what());
  }
}

void check_config_against_tensors(const LMConfig& config,
                                  const std::map<std::string, Tensor>& tensors) {
  const LMConfig found = [&] {
    try {
      return config_of_tensors(tensors);
    } catch (const Error& e) {
      // The configuration was given; it is the tensors that do not fit one.
      expect_shapes_of(config, tensors, /*absent_too=*/true);
      throw Error(std::string("the tensors do not fit rnnkit.config: ") + e.what());
    }
  }();
  // Tensors that fit no model of their own hold a misshapen one (a transposed matrix, read as
  // another size): named against the claim. Tensors of another model than the claimed one are
  // the claim's fault: the sizes below.
  try {
    expect_shapes_of(found, tensors);
  } catch (const Error&) {
    expect_shapes_of(config, tensors);
  }
  // `fallback`: the value of a key the config may leave out (older files did), which may be why
  // it says what it says.
  auto same = [](int64_t claimed, int64_t held, const char* key, int64_t fallback = -1) {
    if (claimed != held)
      throw Error(std::string("rnnkit.config says ") + key + " " + std::to_string(claimed) +
                  (claimed == fallback
                       ? " (or leaves it out, which means " + std::to_string(fallback) + ")"
                       : std::string()) +
                  " but the tensors hold " + std::to_string(held));
  };
  same(config.vocab_size, found.vocab_size, "vocab_size");
  same(config.embedding_dim, found.embedding_dim, "embedding_dim", 0);
  same(config.hidden_size, found.hidden_size, "hidden_size");
  same(config.num_layers, found.num_layers, "num_layers", 1);
  same(config.proj_size, found.proj_size, "proj_size", 0);
  if (config.bidirectional != found.bidirectional)
    throw Error(std::string("rnnkit.config says bidirectional ") +
                (config.bidirectional ? "true" : "false") + " but the tensors are those of a " +
                (found.bidirectional ? "bidirectional" : "unidirectional") + " model");
}

std::unique_ptr<LanguageModel> language_model_from_state_dict(
    const std::map<std::string, Tensor>& tensors, const std::optional<LMConfig>& claimed) {
  if (claimed) check_config_against_tensors(*claimed, tensors);
  auto model = std::make_unique<LanguageModel>(claimed ? *claimed : infer_lm_config(tensors));
  model->load_state_dict(tensors);
  return model;
}

void check_format_version(const std::map<std::string, std::string>& metadata) {
  const auto version = metadata.find("rnnkit.format_version");
  if (version != metadata.end() && version->second != kFormatVersion)
    throw Error("rnnkit.format_version is \"" + version->second +
                "\", but this rnnkit reads format " + kFormatVersion + " only");
}

std::optional<std::string> other_model_kind(const std::map<std::string, std::string>& metadata) {
  static const std::pair<const char*, const char*> kinds[] = {
      {"rnnkit.seq2seq_config", "a seq2seq model"},
      {"rnnkit.classifier_config", "a classifier model"},
      {"rnnkit.normalization", "a forecasting model"},
      {"rnnkit.family", "a training state"},
  };
  for (const auto& [key, kind] : kinds)
    if (metadata.count(key)) return kind;
  return std::nullopt;
}

namespace {

// A vocabulary file may give the model's own tokens another normalisation or other specials;
// other tokens would read every id as another one: a perplexity or a text of nothing. A stored
// vocabulary that does not parse, or does not fit the model (`given` does: checked before), is
// what a vocabulary file is there to replace.
void check_same_tokens(const Vocab& given, const std::string& stored_json,
                       const std::string& vocab_path, const std::string& model_path) {
  std::optional<Vocab> stored;
  try {
    stored = Vocab::from_json(stored_json);
  } catch (const Error&) {
    return;
  }
  const std::vector<std::string>& ours = given.tokens();
  const std::vector<std::string>& theirs = stored->tokens();
  if (ours.size() != theirs.size() || ours == theirs) return;
  const auto [there, here] = std::mismatch(ours.begin(), ours.end(), theirs.begin());
  // Long tokens are shown cut: where the cut hides how they differ, the message says where.
  const auto parted = std::mismatch(there->begin(), there->end(), here->begin(), here->end());
  const size_t same = static_cast<size_t>(parted.first - there->begin());
  throw Error("the vocabulary in " + vocab_path + " has other tokens than the one " + model_path +
              " holds (rnnkit.vocab): id " + std::to_string(there - ours.begin()) + " is " +
              quote(*there) + " there and " + quote(*here) + " in the model file" +
              (same >= kQuotedBytes ? " (they part at byte " + std::to_string(same) + ")" : ""));
}

}  // namespace

LoadedLanguageModel load_language_model(const std::string& path, const std::string& vocab_path) {
  LoadedLanguageModel loaded;
  loaded.path = resolve_model_path(path);
  SafetensorsFile file = read_safetensors(loaded.path);
  naming_file(loaded.path, [&] {
    check_format_version(file.metadata);
    if (const auto kind = other_model_kind(file.metadata))
      throw Error("is " + *kind + ", not a language model");
  });
  auto config_it = file.metadata.find("rnnkit.config");
  loaded.model = naming_file(loaded.path, [&] {
    std::optional<LMConfig> config;
    if (config_it != file.metadata.end()) config = LMConfig::from_json(config_it->second);
    if (dequantize_language_model_tensors(file)) {
      if (!config) config = infer_lm_config(file.tensors);
      config->int8_weights = true;
    }
    return language_model_from_state_dict(file.tensors, config);
  });
  const auto stored = file.metadata.find("rnnkit.vocab");
  if (vocab_path.empty()) {
    if (stored != file.metadata.end())
      loaded.vocab = naming_file(loaded.path, [&] { return Vocab::from_json(stored->second); });
  } else {
    const std::string text = read_file(vocab_path);
    loaded.vocab = naming_file(vocab_path, [&] { return Vocab::from_json(text); });
  }
  if (loaded.vocab)
    check_vocabulary_size(*loaded.vocab, loaded.model->config(), vocab_path, loaded.path);
  if (!vocab_path.empty() && stored != file.metadata.end())
    check_same_tokens(*loaded.vocab, stored->second, vocab_path, loaded.path);
  loaded.metadata = std::move(file.metadata);
  return loaded;
}

void check_vocabulary_size(const Vocab& vocab, const LMConfig& config,
                           const std::string& vocab_path, const std::string& model_path) {
  if (vocab.size() != config.vocab_size)
    throw Error("the vocabulary" + (vocab_path.empty() ? std::string() : " in " + vocab_path) +
                " has " + std::to_string(vocab.size()) + " tokens but the model" +
                (model_path.empty() ? std::string() : " " + model_path) + " has " +
                std::to_string(config.vocab_size));
}

}  // namespace rnnkit
