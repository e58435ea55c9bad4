// Quantized language model files (rnnkit/quantize.h): what `rnnkit quantize` writes for every
// kind of language model, how a quantized file loads (its batch-1 products in int8), how close
// its outputs stay to float32, and the errors for files that break the layout.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "rnnkit/evaluate.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/quantize.h"
#include "rnnkit/text_generator.h"
#include "settings_guard.h"
#include "shipped_poem_model.h"
#include "temp_file.h"
#include "tensor/int8_gemv.h"

namespace rnnkit {
namespace {

using testing::TempFile;

// A model of `config` with PyTorch's initialisation, saved as a float32 file.
void save_random_model(const LMConfig& config, const std::string& path, uint64_t seed = 7) {
  LanguageModel model(config);
  Rng rng(seed);
  model.reset_parameters(rng);
  save_language_model(path, model, nullptr);
}

std::vector<float> values(const Tensor& t) {
  return {t.data(), t.data() + t.numel()};
}

std::string message_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool is_weight_matrix(const std::string& name, bool tied) {
  return name == "fc.weight" || name.rfind("rnn.weight_", 0) == 0 ||
         (tied && name == "embedding.weight");
}

const std::vector<LMConfig> kConfigs = {
    {CellKind::Lstm, 11, 6, 5, 2, false},
    {CellKind::Gru, 11, 0, 5, 2, true},
    {CellKind::RnnTanh, 11, 6, 5, 3, true},
    {CellKind::RnnRelu, 11, 0, 7, 1, false},
    {CellKind::Lstm, 11, 4, 6, 2, false, 0.0f, false, 4},  // proj_size 4
    {CellKind::Lstm, 11, 5, 5, 2, false, 0.0f, true},      // tied weights
};

TEST(QuantizeModelFile, WeightMatricesBecomeInt8WithScalesAndLoadBackWithinHalfAScale) {
  for (size_t i = 0; i < kConfigs.size(); ++i) {
    const LMConfig& config = kConfigs[i];
    SCOPED_TRACE(config.to_json());
    TempFile in("in" + std::to_string(i)), out("out" + std::to_string(i));
    save_random_model(config, in.path());
    const QuantizeSummary summary = quantize_model_file(in.path(), out.path());

    const SafetensorsFile original = read_safetensors(in.path());
    const SafetensorsFile file = read_safetensors(out.path());
    EXPECT_EQ(file.metadata.at(kQuantizationKey), kInt8Rowwise);
    EXPECT_EQ(file.metadata.at("rnnkit.config"), original.metadata.at("rnnkit.config"));
    int64_t quantized = 0;
    for (const auto& [name, tensor] : original.tensors) {
      if (!is_weight_matrix(name, config.tie_weights)) {
        EXPECT_EQ(file.dtypes.at(name), "F32") << name;
        continue;
      }
      ++quantized;
      EXPECT_EQ(file.dtypes.at(name), "I8") << name;
      const Tensor& scales = file.tensors.at(name + ".scale");
      EXPECT_EQ(file.dtypes.at(name + ".scale"), "F32");
      ASSERT_EQ(scales.shape(), Shape{tensor.dim(0)}) << name;
    }
    EXPECT_EQ(summary.quantized_tensors, quantized);
    EXPECT_LT(summary.bytes_out, summary.bytes_in);

    LoadedLanguageModel loaded = load_language_model(out.path());
    EXPECT_TRUE(loaded.model->config().int8_weights);
    std::map<std::string, const Tensor*> weights;
    for (const auto& [name, tensor] : loaded.model->state_dict()) weights[name] = tensor;
    for (const auto& [name, tensor] : original.tensors) {
      const Tensor& w = *weights.at(name);
      if (!is_weight_matrix(name, config.tie_weights)) {
        EXPECT_EQ(values(w), values(tensor)) << name;
        continue;
      }
      const Tensor& scales = file.tensors.at(name + ".scale");
      const int64_t K = tensor.dim(1);
      for (int64_t j = 0; j < tensor.numel(); ++j)
        ASSERT_LE(std::fabs(w.data()[j] - tensor.data()[j]), scales.data()[j / K] / 2 * 1.0001f)
            << name << " element " << j;
    }
  }
}

TEST(QuantizeModelFile, FloatTensorsKeepA16BitDtype) {
  // The shipped poem model is F16: its float tensors (biases; an untied embedding) stay F16.
  TempFile out("f16");
  const QuantizeSummary summary = quantize_model_file(testing::kShippedPoemModel, out.path());
  const SafetensorsFile original = read_safetensors(testing::kShippedPoemModel);
  const SafetensorsFile file = read_safetensors(out.path());
  ASSERT_EQ(original.dtypes.at("fc.bias"), "F16");
  const bool tied = LMConfig::from_json(original.metadata.at("rnnkit.config")).tie_weights;
  int64_t matrices = 0;
  for (const auto& [name, dtype] : original.dtypes) {
    if (is_weight_matrix(name, tied)) {
      ++matrices;
      EXPECT_EQ(file.dtypes.at(name), "I8") << name;
    } else {
      EXPECT_EQ(file.dtypes.at(name), dtype) << name;
    }
  }
  EXPECT_EQ(summary.quantized_tensors, matrices);
  EXPECT_LT(summary.bytes_out, summary.bytes_in * 2 / 3);
}

TEST(QuantizeModelFile, QuantizingTheLoadedWeightsAgainGivesTheSameFile) {
  // What the batch-1 products quantize at run time is the file's int8 matrix, bit for bit.
  TempFile in("again_in"), out("again_out"), reloaded("again_f32"), again("again_out2");
  save_random_model(kConfigs[0], in.path());
  quantize_model_file(in.path(), out.path());
  LoadedLanguageModel loaded = load_language_model(out.path());
  save_language_model(reloaded.path(), *loaded.model, nullptr);
  quantize_model_file(reloaded.path(), again.path());
  const SafetensorsFile a = read_safetensors(out.path()), b = read_safetensors(again.path());
  for (const auto& [name, tensor] : a.tensors)
    EXPECT_EQ(values(tensor), values(b.tensors.at(name))) << name;
}

// Logits of feeding `ids` one token at a time from a zero state (the batch-1 products).
std::vector<float> stepped_logits(LanguageModel& model, const std::vector<int32_t>& ids) {
  LMState state;
  Tensor logits;
  std::vector<float> all;
  for (int32_t id : ids) {
    model.step(std::span<const int32_t>(&id, 1), state, logits);
    all.insert(all.end(), logits.data(), logits.data() + logits.numel());
  }
  return all;
}

// The loaded int8 model, and a float32 model of the same (dequantized) weights.
struct QuantizedAndDequantized {
  std::unique_ptr<LanguageModel> int8, dequantized;
};

QuantizedAndDequantized load_both(const std::string& path) {
  LoadedLanguageModel loaded = load_language_model(path);
  LMConfig config = loaded.model->config();
  config.int8_weights = false;
  auto plain = std::make_unique<LanguageModel>(config);
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, tensor] : loaded.model->state_dict()) tensors.emplace(name, *tensor);
  plain->load_state_dict(tensors);
  return {std::move(loaded.model), std::move(plain)};
}

TEST(QuantizedModel, OnTheBaselinePathItsStepsAreTheDequantizedFloatModel) {
  SettingsGuard guard;
  set_cpu_path(CpuPath::Baseline);
  const std::vector<int32_t> ids = {1, 4, 2, 9, 0, 3, 3, 10};
  for (size_t i = 0; i < kConfigs.size(); ++i) {
    if (kConfigs[i].bidirectional) continue;  // a bidirectional model does not step
    TempFile in("base_in" + std::to_string(i)), out("base_out" + std::to_string(i));
    save_random_model(kConfigs[i], in.path());
    quantize_model_file(in.path(), out.path());
    QuantizedAndDequantized both = load_both(out.path());
    const std::vector<float> a = stepped_logits(*both.int8, ids),
                             b = stepped_logits(*both.dequantized, ids);
    for (size_t j = 0; j < a.size(); ++j) ASSERT_NEAR(a[j], b[j], 1e-5) << i << " " << j;
  }
}

TEST(QuantizedModel, WithVnniItsStepsStayCloseToTheDequantizedFloatModel) {
  if (!gemv::int8_kernel_supported(gemv::Int8Kernel::Vnni)) GTEST_SKIP() << "no AVX512_VNNI";
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512";
  SettingsGuard guard;
  set_cpu_path(CpuPath::Avx512);
  const std::vector<int32_t> ids = {1, 4, 2, 9, 0, 3, 3, 10};
  TempFile in("vnni_in"), out("vnni_out");
  save_random_model(kConfigs[0], in.path());
  quantize_model_file(in.path(), out.path());
  QuantizedAndDequantized both = load_both(out.path());
  const std::vector<float> a = stepped_logits(*both.int8, ids),
                           b = stepped_logits(*both.dequantized, ids);
  double largest = 0;
  for (size_t j = 0; j < a.size(); ++j) largest = std::max(largest, double(std::fabs(a[j] - b[j])));
  // Activations rounded to 1/254 of their range at every product, through 8 steps and 2 layers.
  EXPECT_LT(largest, 0.02);
  EXPECT_GT(largest, 0.0) << "the int8 products did not run";
}

TEST(QuantizedModel, ShippedPoemModelKeepsItsPerplexityAndGreedyContinuation) {
  TempFile out("tang_int8");
  quantize_model_file(testing::kShippedPoemModel, out.path());
  LoadedLanguageModel f32 = load_language_model(testing::kShippedPoemModel);
  LoadedLanguageModel int8 = load_language_model(out.path());
  const auto seqs = testing::tang_valid_sample(*f32.vocab);
  ASSERT_EQ(seqs.size(), 200u);
  // Batch 1: every recurrent product is a single-row int8 product.
  const Perplexity a = evaluate_sequences(*f32.model, seqs, *f32.vocab->pad_id(), 1);
  const Perplexity b = evaluate_sequences(*int8.model, seqs, *int8.vocab->pad_id(), 1);
  EXPECT_NEAR(b.perplexity(), a.perplexity(), 0.01 * a.perplexity());
  EXPECT_NE(b.perplexity(), a.perplexity());

  GenerateRequest request;
  request.prompt = "床前明月光，";
  request.max_tokens = 40;
  request.sampling.temperature = 0;
  EXPECT_EQ(generate_text(*int8.model, *int8.vocab, request).text,
            generate_text(*f32.model, *f32.vocab, request).text);
}

// A quantized file's tensors and metadata, to be broken one way at a time.
struct Contents {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, DType> dtypes;
  std::map<std::string, std::string> metadata;

  void write(const std::string& path) const {
    NamedTensors named;
    for (const auto& [name, tensor] : tensors) named.emplace_back(name, &tensor);
    write_safetensors(path, named, metadata, DType::F32, dtypes);
  }
};

Contents quantized_contents(const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  Contents c{file.tensors, {}, file.metadata};
  for (const auto& [name, dtype] : file.dtypes)
    if (dtype == "I8") c.dtypes[name] = DType::I8;
  return c;
}

TEST(QuantizedModel, BrokenFilesAreErrorsNamingFileAndTensor) {
  TempFile in("bad_in"), good("bad_good"), bad("bad_bad");
  save_random_model(kConfigs[0], in.path());
  quantize_model_file(in.path(), good.path());
  const Contents valid = quantized_contents(good.path());
  auto error_loading = [&](const std::function<void(Contents&)>& breaking) {
    Contents c = valid;
    breaking(c);
    c.write(bad.path());
    return message_of([&] { load_language_model(bad.path()); });
  };
  auto expect = [&](const std::string& message, const std::string& fragment) {
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_NE(message.find(bad.path()), std::string::npos) << message;
  };
  expect(error_loading([](Contents& c) { c.dtypes.erase("fc.weight"); }),
         "tensor 'fc.weight' has dtype F32 in an int8-rowwise file");
  expect(error_loading([](Contents& c) { c.tensors.erase("rnn.weight_hh_l1.scale"); }),
         "int8 tensor 'rnn.weight_hh_l1' has no scale tensor 'rnn.weight_hh_l1.scale'");
  expect(error_loading([](Contents& c) { c.tensors.at("fc.weight.scale") = Tensor({12}); }),
         "scale tensor 'fc.weight.scale' has shape [12], not [11]");
  expect(error_loading([](Contents& c) { c.tensors.at("fc.weight.scale").data()[3] = NAN; }),
         "tensor 'fc.weight.scale' holds nan (element 3): rnnkit loads finite values only");
  expect(error_loading([](Contents& c) { c.tensors.at("fc.weight.scale").data()[0] = -1; }),
         "row 0 is -1");
  expect(error_loading([](Contents& c) { c.dtypes["fc.weight.scale"] = DType::F16; }),
         "scale tensor 'fc.weight.scale' has dtype F16, not F32");
  expect(error_loading([](Contents& c) { c.tensors.at("fc.weight").data()[0] = -128; }),
         "int8 tensor 'fc.weight' holds -128");
  expect(error_loading([](Contents& c) {
           for (float& v : c.tensors.at("fc.bias").span()) v = 1;
           c.dtypes["fc.bias"] = DType::I8;
         }),
         "tensor 'fc.bias' has dtype I8, but only weight matrices are quantized");
  expect(error_loading([](Contents& c) { c.tensors.emplace("fc.bias.scale", Tensor({11})); }),
         "scale tensor 'fc.bias.scale' has no int8 weight 'fc.bias'");
  expect(error_loading([](Contents& c) { c.metadata[kQuantizationKey] = "int4"; }),
         "rnnkit.quantization is 'int4'; rnnkit reads int8-rowwise");
  expect(error_loading([](Contents& c) { c.metadata.erase(kQuantizationKey); }),
         "tensor 'fc.weight' has dtype I8 but the metadata has no rnnkit.quantization");
}

TEST(QuantizeModelFile, RefusesQuantizedFilesAndOtherModelFamilies) {
  TempFile in("refuse_in"), out("refuse_out"), other("refuse_other");
  save_random_model(kConfigs[0], in.path());
  quantize_model_file(in.path(), out.path());
  std::string message = message_of([&] { quantize_model_file(out.path(), other.path()); });
  EXPECT_NE(message.find(out.path() + ": already quantized"), std::string::npos) << message;
  for (const auto& [key, family] : std::vector<std::pair<std::string, std::string>>{
           {"rnnkit.seq2seq_config", "a seq2seq model"},
           {"rnnkit.classifier_config", "a classifier model"},
           {"rnnkit.normalization", "a forecasting model"}}) {
    Contents c = quantized_contents(in.path());
    c.metadata[key] = "{}";
    c.write(other.path());
    message = message_of([&] { quantize_model_file(other.path(), out.path()); });
    EXPECT_NE(message.find("is " + family + "; rnnkit quantize takes language models only"),
              std::string::npos)
        << message;
  }
  EXPECT_FALSE(std::filesystem::exists(out.path()) &&
               read_safetensors(out.path()).metadata.count("rnnkit.seq2seq_config"));
}

// Quantizing onto the input would lose the float model; the sizes are those of the two files;
// a vocabulary that every command refuses is refused before anything is written.
TEST(QuantizeModelFile, KeepsItsInputAndRefusesAVocabularyOfAnotherSize) {
  TempFile in("self_in"), out("self_out");
  save_random_model(kConfigs[0], in.path());
  const uintmax_t size = std::filesystem::file_size(in.path());
  std::string message = message_of([&] { quantize_model_file(in.path(), in.path()); });
  EXPECT_NE(message.find("is the model being quantized"), std::string::npos) << message;
  EXPECT_EQ(std::filesystem::file_size(in.path()), size);
  EXPECT_EQ(read_safetensors(in.path()).metadata.count(kQuantizationKey), 0u);

  const QuantizeSummary summary = quantize_model_file(in.path(), out.path());
  EXPECT_EQ(summary.bytes_in, size);
  EXPECT_EQ(summary.bytes_out, std::filesystem::file_size(out.path()));

  // kConfigs[0] has 11 tokens; a stored vocabulary of 3.
  std::filesystem::remove(out.path());
  Contents c = quantized_contents(in.path());
  c.metadata["rnnkit.vocab"] =
      Vocab::from_tokens({"a", "b", "c"}, TokenLevel::Char, {}, {}).to_json();
  c.write(in.path());
  message = message_of([&] { quantize_model_file(in.path(), out.path()); });
  EXPECT_NE(message.find("the vocabulary has 3 tokens but the model"), std::string::npos)
      << message;
  EXPECT_FALSE(std::filesystem::exists(out.path()));
}

}  // namespace
}  // namespace rnnkit
