// metrics.jsonl on resume (src/train/progress.cpp): the lines an interrupted run wrote after its
// checkpoint are dropped, and an epoch record the checkpoint did not include (it was taken at
// the epoch's last step, before the record) is dropped too, so the resumed run's record of it
// is the only one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "train/progress.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;

const std::string kLines =
    "{\"type\":\"train\",\"step\":5,\"epoch\":0}\n"
    "{\"type\":\"valid\",\"step\":10,\"epoch\":0}\n"
    "{\"type\":\"epoch\",\"step\":10,\"epoch\":1}\n"
    "{\"type\":\"train\",\"step\":15,\"epoch\":1}\n";

// The metrics file after a Progress resumes at (step, epochs ended) over `lines`.
std::string resumed_metrics(int64_t step, int64_t epochs, const std::string& lines = kLines) {
  const fs::path dir = fs::temp_directory_path() / ("rnnkit_progress_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "metrics.jsonl") << lines;
  { Progress progress(dir.string(), step, epochs); }
  std::ifstream in(dir / "metrics.jsonl");
  std::stringstream text;
  text << in.rdbuf();
  fs::remove_all(dir);
  return text.str();
}

TEST(ProgressResume, DropsLinesPastTheCheckpoint) {
  EXPECT_EQ(resumed_metrics(10, 1),
            "{\"type\":\"train\",\"step\":5,\"epoch\":0}\n"
            "{\"type\":\"valid\",\"step\":10,\"epoch\":0}\n"
            "{\"type\":\"epoch\",\"step\":10,\"epoch\":1}\n");
}

TEST(ProgressResume, DropsTheRecordOfAnEpochTheCheckpointHadNotEnded) {
  EXPECT_EQ(resumed_metrics(10, 0),
            "{\"type\":\"train\",\"step\":5,\"epoch\":0}\n"
            "{\"type\":\"valid\",\"step\":10,\"epoch\":0}\n");
}

// A checkpoint at an epoch's last step precedes the epoch's record and its validation (which
// counts the epoch as ended): both are written again by the resumed run, so both go.
TEST(ProgressResume, DropsTheValidationAtTheEndOfAnEpochTheCheckpointHadNotEnded) {
  const std::string lines = kLines + "{\"type\":\"valid\",\"step\":10,\"epoch\":1}\n";
  EXPECT_EQ(resumed_metrics(10, 0, lines),
            "{\"type\":\"train\",\"step\":5,\"epoch\":0}\n"
            "{\"type\":\"valid\",\"step\":10,\"epoch\":0}\n");
  EXPECT_EQ(resumed_metrics(10, 1, lines),
            "{\"type\":\"train\",\"step\":5,\"epoch\":0}\n"
            "{\"type\":\"valid\",\"step\":10,\"epoch\":0}\n"
            "{\"type\":\"epoch\",\"step\":10,\"epoch\":1}\n"
            "{\"type\":\"valid\",\"step\":10,\"epoch\":1}\n");
}

// Lines that are no record (JSON of another shape, a line cut short) are dropped, not an error of
// the JSON library; a record whose step is no integer is kept as one of no step.
TEST(ProgressResume, LinesThatAreNoRecordAreDropped) {
  const std::string lines =
      "5\n[1,2]\n{\"type\":\"train\",\"step\":\"x\"}\n{\"type\":\"tr\n" + kLines;
  EXPECT_EQ(resumed_metrics(10, 1, lines),
            "{\"type\":\"train\",\"step\":\"x\"}\n"
            "{\"type\":\"train\",\"step\":5,\"epoch\":0}\n"
            "{\"type\":\"valid\",\"step\":10,\"epoch\":0}\n"
            "{\"type\":\"epoch\",\"step\":10,\"epoch\":1}\n");
}

TEST(ProgressResume, WithoutResumeTheFileIsLeftAsItIs) {
  EXPECT_EQ(resumed_metrics(-1, -1), kLines);
}

}  // namespace
}  // namespace rnnkit
