// A model file's rnnkit.format_version: "1" (what rnnkit writes) and an absent one (PyTorch-side
// files) load; any other is refused by loading and by quantize, naming the file, rather than read
// as format 1.
#include <gtest/gtest.h>

#include <string>

#include "error_of.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/quantize.h"
#include "rnnkit/rng.h"
#include "rnnkit/safetensors.h"
#include "temp_file.h"

namespace rnnkit {
namespace {

using testing::error_of;
using testing::TempFile;

// The model file at `path` written again with its format version set to `version` ("": none).
void rewrite_with_version(const std::string& path, const std::string& version) {
  SafetensorsFile file = read_safetensors(path);
  if (version.empty())
    file.metadata.erase("rnnkit.format_version");
  else
    file.metadata["rnnkit.format_version"] = version;
  NamedTensors named;
  for (const auto& [name, tensor] : file.tensors) named.emplace_back(name, &tensor);
  write_safetensors(path, named, file.metadata);
}

TEST(FormatVersion, OnlyTheVersionThisRnnkitReadsOrNoneLoads) {
  LanguageModel model({CellKind::Gru, 7, 4, 5, 1});
  Rng rng(2);
  model.reset_parameters(rng);
  TempFile file("format_version"), out("format_version_int8");
  save_language_model(file.path(), model, nullptr);
  EXPECT_EQ(read_safetensors(file.path()).metadata.at("rnnkit.format_version"), "1");
  EXPECT_EQ(error_of([&] { load_language_model(file.path()); }), "(no error)");
  rewrite_with_version(file.path(), "");
  EXPECT_EQ(error_of([&] { load_language_model(file.path()); }), "(no error)");
  for (const std::string version : {"2", "1.0", "0"}) {
    rewrite_with_version(file.path(), version);
    const std::string expected = file.path() + ": rnnkit.format_version is \"" + version + "\"";
    const std::string loading = error_of([&] { load_language_model(file.path()); });
    EXPECT_NE(loading.find(expected), std::string::npos) << loading;
    const std::string quantizing = error_of([&] { quantize_model_file(file.path(), out.path()); });
    EXPECT_NE(quantizing.find(expected), std::string::npos) << quantizing;
  }
}

}  // namespace
}  // namespace rnnkit
