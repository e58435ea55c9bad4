#include <httplib.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "rnnkit/poem_writer.h"
#include "rnnkit/precision.h"
#include "rnnkit/utf8.h"
#include "serve/endpoints.h"

namespace rnnkit::serve {
namespace {

// The model file's name without its directories, legible in JSON whatever bytes it holds.
std::string shown_file_name(const std::string& path) {
  return utf8::with_replacement(std::filesystem::path(path).lexically_normal().filename().string());
}

nlohmann::json optional_token(const std::string& token) {
  return token.empty() ? nlohmann::json(nullptr) : nlohmann::json(token);
}

// The float's shortest decimal form (0.8, not 0.800000011920929 as its double would print).
double shortest_decimal(float value) {
  std::array<char, 32> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
  return std::strtod(std::string(digits.data(), end).c_str(), nullptr);
}

}  // namespace

nlohmann::json describe_model(LanguageModel& model, const Vocab& vocab, const std::string& path,
                              const ServeOptions& options) {
  const SpecialTokens& specials = vocab.specials();
  const std::string& script = vocab.normalization().script;
  const SamplingOptions sampling;
  const GenerateRequest generate;
  nlohmann::json limits = options_to_json(options.limits, ServeLimits::table());
  limits["max_poem_lines"] = kMaxPoemLines;
  const std::optional<std::string> poem_fault = poem_model_fault(model, vocab);
  return {
      // The file name only: where the server's files lie is not the clients' business.
      {"path", shown_file_name(path)},
      {"config", nlohmann::json::parse(model.config().to_json())},
      {"parameters", model.parameter_count()},
      {"vocab_size", vocab.size()},
      {"level", token_level_name(vocab.level())},
      {"script", script.empty() ? nlohmann::json(nullptr) : nlohmann::json(script)},
      {"specials",
       {{"unk", optional_token(specials.unk)},
        {"bos", optional_token(specials.bos)},
        {"eos", optional_token(specials.eos)},
        {"pad", optional_token(specials.pad)}}},
      {"defaults",
       {{"n", generate.max_tokens},
        {"temperature", shortest_decimal(sampling.temperature)},
        {"top_k", sampling.top_k},
        {"top_p", shortest_decimal(sampling.top_p)}}},
      {"limits", limits},
      {"workers", options.workers},
      {"queue", options.queue},
      {"max_batch", options.max_batch},
      // How the model computes: weight-only int8 (rnnkit quantize), bfloat16 products (--bf16).
      // Whether POST /v1/poem can answer at all: null, or why this model writes no poems.
      {"poem_fault", poem_fault ? nlohmann::json(*poem_fault) : nlohmann::json(nullptr)},
      {"int8_weights", model.config().int8_weights},
      {"bf16", matmul_precision() == Precision::BF16},
  };
}

nlohmann::json describe_forecaster(ServedForecaster& forecaster, const std::string& path) {
  Forecaster& model = *forecaster.inputs.loaded.model;
  const ForecasterConfig& c = model.config();
  const std::vector<std::string>& names = forecaster.inputs.loaded.normalization.names;
  int64_t parameters = 0;
  for (const Parameter* p : model.parameters()) parameters += p->value.numel();
  // The keys of POST /v1/forecast's answer besides "forecast" (one per quantile).
  nlohmann::json quantile_keys = nlohmann::json::array();
  if (c.loss == ForecastLossKind::Quantile)
    for (size_t q = 0; q < c.quantiles.size(); ++q) quantile_keys.push_back(c.quantile_name(q));
  nlohmann::json config = nlohmann::json::parse(c.to_json());
  if (config.contains("quantiles")) {  // 0.1, not 0.10000000149011612
    config["quantiles"] = nlohmann::json::array();
    for (const float q : c.quantiles) config["quantiles"].push_back(shortest_decimal(q));
  }
  // The file read (a run directory's best or last checkpoint), by its name only.
  const std::string file = resolve_model_path(path);
  return {{"path", shown_file_name(file)},
          {"config", config},
          {"parameters", parameters},
          {"targets", std::vector<std::string>(names.begin(), names.begin() + c.num_targets)},
          {"covariates", std::vector<std::string>(names.begin() + c.num_targets, names.end())},
          {"quantile_keys", quantile_keys}};
}

void handle_health(ServeContext& context, const httplib::Request&, httplib::Response& response) {
  const ModelPool::Load load = context.pool.load();
  nlohmann::json body = {
      {"status", "ok"}, {"workers", load.workers}, {"busy", load.busy}, {"waiting", load.waiting}};
  if (context.scheduler) {
    const DecodeScheduler::Load batch = context.scheduler->load();
    body["batch"] = {{"loops", batch.loops},
                     {"max_batch", batch.max_batch},
                     {"running", batch.running},
                     {"waiting", batch.waiting},
                     {"widest", batch.widest}};
  }
  response.set_content(body.dump() + "\n", "application/json");
}

void handle_model(ServeContext& context, const httplib::Request&, httplib::Response& response) {
  response.set_content(context.model_info.dump() + "\n", "application/json");
}

}  // namespace rnnkit::serve
