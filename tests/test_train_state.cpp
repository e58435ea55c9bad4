// state.bin and model files that lie: every value of a training state is validated on resume,
// and a configuration is checked against the tensors before a model is allocated from it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "rnnkit/classifier_training.h"
#include "rnnkit/error.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/trainer.h"
#include "tiny_training_run.h"
#include "train/train_state.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class TrainState : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rnnkit_train_state_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    // Three steps end mid-epoch: the carried state is part of the position.
    train_language_model(testing::tiny_run(run()));
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string run() const { return (dir_ / "run").string(); }
  std::string state_path() const { return run() + "/state.bin"; }

  // Rewrites state.bin after `edit` changes its contents, without its checksum (as a state
  // written before there was one), so that the values themselves meet their checks.
  void rewrite_state(const std::function<void(SafetensorsFile&)>& edit) {
    rewrite_state_at(state_path(), edit);
  }
  static void rewrite_state_at(const std::string& path,
                               const std::function<void(SafetensorsFile&)>& edit) {
    SafetensorsFile f = read_train_state_file(path);
    f.metadata.erase("rnnkit.state_crc32");
    edit(f);
    NamedTensors tensors;
    for (const auto& [name, t] : f.tensors) tensors.emplace_back(name, &t);
    write_safetensors(path, tensors, f.metadata);
  }
  void edit_train_state(const std::function<void(json&)>& edit) {
    rewrite_state([&](SafetensorsFile& f) {
      json s = json::parse(f.metadata.at("rnnkit.train_state"));
      edit(s);
      f.metadata["rnnkit.train_state"] = s.dump();
    });
  }
  // The message of the Error that resuming throws (empty when it does not throw).
  std::string resume_error() {
    try {
      resume_training(run(), ResumeOverrides{.steps = 5});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(TrainState, ResumesWhenIntact) {
  EXPECT_EQ(resume_error(), "");
}

TEST_F(TrainState, ResumesWithoutAChecksumAsStatesWrittenBeforeIt) {
  ASSERT_EQ(read_safetensors(state_path()).metadata.count("rnnkit.state_crc32"), 1u);
  rewrite_state([](SafetensorsFile&) {});
  EXPECT_EQ(resume_error(), "");
}

// One byte changed anywhere (a tensor's value, a figure of the position) is caught by the
// checksum before any value is used.
TEST_F(TrainState, ACorruptedStateIsRefusedNamingTheFile) {
  std::string bytes;
  {
    std::ifstream in(state_path(), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t header = 8 + static_cast<size_t>(static_cast<uint8_t>(bytes[0])) +
                        (static_cast<size_t>(static_cast<uint8_t>(bytes[1])) << 8);
  const size_t step = bytes.find("\\\"step\\\":");
  ASSERT_NE(step, std::string::npos);
  for (const size_t at : {bytes.size() - 3, header + (bytes.size() - header) / 2, step + 9}) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] == '1' ? '2' : flipped[at] ^ 0x01);
    std::ofstream(state_path(), std::ios::binary | std::ios::trunc) << flipped;
    const std::string message = resume_error();
    EXPECT_NE(message.find(state_path() + " is corrupted"), std::string::npos)
        << "byte " << at << ": " << message;
  }
}

// A state cut short (a disk that filled, a copy that stopped) says it is damaged and what to do,
// after the reason its reader gives; so does one of another family's command.
TEST_F(TrainState, ATruncatedStateSaysItIsDamaged) {
  const auto size = fs::file_size(state_path());
  fs::resize_file(state_path(), size / 2);
  const std::string message = resume_error();
  EXPECT_EQ(message.rfind(state_path() + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("; it is damaged (not a whole training state): resume from a copy of the "
                         "run directory, or start the run again"),
            std::string::npos)
      << message;
}

TEST_F(TrainState, AnotherFamilysRunNamesItsCommand) {
  try {
    resume_training(run(), ResumeOverrides{.steps = 5}, "seq2seq");
    FAIL() << "a language model's run resumed as a seq2seq run";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), run() + " holds a lm run, not a seq2seq run: resume it with " +
                                         "`rnnkit train --resume " + run() + "`");
  }
}

TEST_F(TrainState, NegativeStepIsRefusedNamingTheFile) {
  edit_train_state([](json& s) { s["step"] = -5; });
  const std::string message = resume_error();
  EXPECT_NE(message.find(state_path()), std::string::npos) << message;
  EXPECT_NE(message.find("\"step\" is negative"), std::string::npos) << message;
}

// A count that is not a whole number in [0, 2^63) is named, not truncated (3.7 resumed at step 3)
// or wrapped (1e19 and 2^63 + 5 were named "negative").
TEST_F(TrainState, ACountThatIsNoInt64IsRefusedAsWritten) {
  const auto message_for = [&](const json& step) {
    edit_train_state([&](json& s) { s["step"] = step; });
    return resume_error();
  };
  EXPECT_NE(message_for(3.7).find("\"step\" is not an integer (3.7)"), std::string::npos);
  EXPECT_NE(message_for(1e19).find("\"step\" is not an integer (1e+19)"), std::string::npos);
  EXPECT_NE(message_for(uint64_t{1} << 63).find("\"step\" is out of range (9223372036854775808)"),
            std::string::npos);
  edit_train_state([](json& s) {
    s["step"] = 3;
    s["position"]["batch_index"] = 2.5;
  });
  EXPECT_NE(resume_error().find("\"batch_index\" is not an integer (2.5)"), std::string::npos);
}

// The state JSON says each thing once: a repeated key (nlohmann keeps the last) is refused.
TEST_F(TrainState, ARepeatedKeyIsRefused) {
  rewrite_state([](SafetensorsFile& f) {
    std::string& s = f.metadata.at("rnnkit.train_state");
    s.insert(1, "\"step\": 99, ");
  });
  EXPECT_NE(resume_error().find("duplicate key 'step'"), std::string::npos) << resume_error();
}

TEST_F(TrainState, AllZeroRngIsRefused) {
  edit_train_state([](json& s) { s["rng"] = {"0", "0", "0", "0"}; });
  EXPECT_NE(resume_error().find("all zero"), std::string::npos);
}

TEST_F(TrainState, MalformedRngWordIsRefused) {
  for (const char* word : {"12x", " 12", "+12", "-1", ""}) {
    edit_train_state([&](json& s) { s["rng"][1] = word; });
    EXPECT_NE(resume_error().find("\"rng\" word 1 is not an unsigned integer"), std::string::npos)
        << "\"" << word << "\"";
  }
}

TEST_F(TrainState, MissingKeyNamesTheFileNotTheJsonLibrary) {
  edit_train_state([](json& s) { s.erase("epoch"); });
  const std::string message = resume_error();
  EXPECT_EQ(message.rfind(state_path(), 0), 0u) << message;
}

TEST_F(TrainState, MissingCarriedStateIsRefused) {
  rewrite_state([](SafetensorsFile& f) { f.tensors.erase("state.h"); });
  EXPECT_NE(resume_error().find("state.h is missing"), std::string::npos);
}

TEST_F(TrainState, LyingConfigurationIsRefusedBeforeAllocation) {
  rewrite_state([](SafetensorsFile& f) {
    json c = json::parse(f.metadata.at("rnnkit.config"));
    c["hidden_size"] = 20000;  // 1.6 GB of weights for a file of a few kB
    f.metadata["rnnkit.config"] = c.dump();
  });
  EXPECT_NE(resume_error().find("hidden_size 20000"), std::string::npos);
}

// A classifier run stored while every family listed the text-sampling options holds them at
// their defaults: it resumes. Another value could not have been trained with, and is refused.
TEST_F(TrainState, ARunStoredWithOptionsItsFamilyNoLongerOffersResumesAtTheirDefaults) {
  const std::string data = (dir_ / "labels.tsv").string();
  {
    std::ofstream out(data);
    for (int i = 0; i < 40; ++i) out << (i % 2 ? "odd\tab" : "even\tba") << i % 7 << "\n";
  }
  ClassifierTrainOptions o;
  o.data = data;
  o.out_dir = (dir_ / "classify").string();
  o.hidden = 4;
  o.embedding = 3;
  o.batch = 4;
  o.epochs = 0;
  o.steps = 2;
  o.threads = 1;
  train_classifier(o);
  const std::string state = o.out_dir + "/state.bin";
  for (const auto& [value, resumes] : {std::pair{0, true}, std::pair{5, false}}) {
    rewrite_state_at(state, [value = value](SafetensorsFile& f) {
      json options = json::parse(f.metadata.at("rnnkit.options"));
      ASSERT_FALSE(options.contains("sample_every"));
      options["sample_every"] = value;
      options["sample_length"] = 200;
      f.metadata["rnnkit.options"] = options.dump();
    });
    std::string message;
    try {
      resume_training(o.out_dir, ResumeOverrides{.steps = 3});
    } catch (const Error& e) {
      message = e.what();
    }
    if (resumes)
      EXPECT_EQ(message, "") << "sample_every " << value;
    else
      EXPECT_NE(message.find("unknown option \"sample_every\""), std::string::npos) << message;
  }
}

// Adam's second moment overflows to +inf after a gradient beyond 1.8e19 while the loss and the
// weights stay finite (that element's update is 0 from then on, as PyTorch's): the run resumes
// with it, and carries it on. A non-finite weight is still refused.
TEST_F(TrainState, AnOverflowedOptimizerMomentResumesAsWritten) {
  const std::string moment = "optim.exp_avg_sq.fc.weight";
  rewrite_state([&](SafetensorsFile& f) {
    ASSERT_EQ(f.tensors.count(moment), 1u);
    f.tensors.at(moment).data()[1] = std::numeric_limits<float>::infinity();
  });
  EXPECT_EQ(resume_error(), "");
  EXPECT_TRUE(std::isinf(read_train_state_file(state_path()).tensors.at(moment).data()[1]));
  // What no run that goes on holds: a non-finite weight, a first moment or a momentum that is
  // not finite (its update would be), a second moment that is NaN or negative.
  const float inf = std::numeric_limits<float>::infinity();
  for (const auto& [name, value] :
       {std::pair{std::string("model.fc.weight"), inf}, std::pair{moment, -inf},
        std::pair{moment, std::numeric_limits<float>::quiet_NaN()},
        std::pair{std::string("optim.exp_avg.fc.weight"), inf}}) {
    const std::string intact = state_path() + ".intact";
    fs::copy_file(state_path(), intact, fs::copy_options::overwrite_existing);
    rewrite_state([&, name = name, value = value](SafetensorsFile& f) {
      f.tensors.at(name).data()[1] = value;
    });
    const std::string message = resume_error();
    EXPECT_NE(message.find("tensor '" + name + "' holds "), std::string::npos) << message;
    fs::rename(intact, state_path());
  }
}

TEST_F(TrainState, NotAStateFile) {
  fs::copy_file(run() + "/last.safetensors", state_path(), fs::copy_options::overwrite_existing);
  EXPECT_NE(resume_error().find("is not an rnnkit training state"), std::string::npos);
}

TEST_F(TrainState, ModelFileWithLyingConfigurationIsRefused) {
  const std::string model = run() + "/last.safetensors";
  SafetensorsFile f = read_safetensors(model);
  json c = json::parse(f.metadata.at("rnnkit.config"));
  c["hidden_size"] = 20000;
  f.metadata["rnnkit.config"] = c.dump();
  NamedTensors tensors;
  for (const auto& [name, t] : f.tensors) tensors.emplace_back(name, &t);
  write_safetensors(model, tensors, f.metadata);
  try {
    load_language_model(model);
    FAIL() << "a configuration that lies was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rnnkit.config says hidden_size 20000"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace rnnkit
