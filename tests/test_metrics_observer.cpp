// ScopedMetricsObserver: the records a run writes to metrics.jsonl reach the observer, one call
// per line, in order, and only while the scope lasts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "rnnkit/trainer.h"
#include "tiny_training_run.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using testing::tiny_run;

std::vector<json> metrics_lines(const fs::path& run) {
  std::ifstream in(run / "metrics.jsonl");
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

TEST(MetricsObserver, SeesEveryMetricsLineInOrderAndOnlyInsideItsScope) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_metrics_observer";
  fs::remove_all(dir);
  std::vector<json> seen;
  {
    ScopedMetricsObserver observer([&](const json& record) { seen.push_back(record); });
    train_language_model(tiny_run(dir / "observed"));
  }
  const std::vector<json> written = metrics_lines(dir / "observed");
  EXPECT_GE(written.size(), 3u);  // a train record per step at log_every 1
  EXPECT_EQ(seen, written);

  const size_t before = seen.size();
  train_language_model(tiny_run(dir / "unobserved"));
  EXPECT_EQ(seen.size(), before);
  fs::remove_all(dir);
}

TEST(MetricsObserver, AnExceptionFromTheObserverStopsTheRun) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_metrics_observer_throws";
  fs::remove_all(dir);
  int calls = 0;
  ScopedMetricsObserver observer([&](const json&) {
    ++calls;
    throw std::runtime_error("stop here");
  });
  EXPECT_THROW(train_language_model(tiny_run(dir)), std::runtime_error);
  EXPECT_EQ(calls, 1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnkit
