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

// The metrics file after a Progress resumes at (step, epochs ended) over kLines.
std::string resumed_metrics(int64_t step, int64_t epochs) {
  const fs::path dir = fs::temp_directory_path() / ("rnnkit_progress_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "metrics.jsonl") << kLines;
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

TEST(ProgressResume, WithoutResumeTheFileIsLeftAsItIs) {
  EXPECT_EQ(resumed_metrics(-1, -1), kLines);
}

}  // namespace
}  // namespace rnnkit
