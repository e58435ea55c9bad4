#pragma once
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace rnnkit {

// What a run shows while it trains: a live status line on a terminal (plain lines otherwise)
// and one JSON object per event in RUN_DIR/metrics.jsonl.
class Progress {
 public:
  // `keep_until_step`, `keep_epochs`: on resume, metric lines past the resumed step (written
  // after the last checkpoint of the interrupted run) are dropped so the file reads as one
  // uninterrupted run, and so are the records of epochs the checkpoint had not ended (a
  // checkpoint taken at an epoch's last step precedes that epoch's record and its validation,
  // which the resumed run writes again).
  // A failed write (a full disk) is an Error: the run stops, its last checkpoint intact.
  // A Progress that is not the `writer` (ranks but 0 of data-parallel training) shows and writes
  // nothing.
  Progress(const std::string& run_dir, int64_t keep_until_step, int64_t keep_epochs,
           bool writer = true);

  void record(const nlohmann::json& event);
  // Makes the records so far durable (fsync), before a checkpoint commits the step they reach:
  // after a power loss the resumed file then lacks none of the lines before it.
  void sync();
  // Replaces the live line (terminal) or prints a log line when `log_line` is set.
  void status(const std::string& text, bool log_line);
  void message(const std::string& text);  // a line of its own, above the live line
  void finish();

 private:
  bool stderr_takes_a_line();

  std::string path_;
  std::ofstream metrics_;
  bool terminal_;
  bool live_line_ = false;
  bool stderr_stalled_ = false;  // the last line found stderr's pipe full (stderr_takes_a_line)
  bool writer_;
};

std::string format_duration(double seconds);

}  // namespace rnnkit
