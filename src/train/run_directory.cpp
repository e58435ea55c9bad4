#include "train/run_directory.h"

#include <filesystem>

#include "rnnkit/error.h"

namespace rnnkit {

namespace fs = std::filesystem;

void prepare_fresh_run_directory(const std::string& dir) {
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw Error(dir + " exists and is not a directory");
  if (fs::exists(fs::path(dir) / "state.bin"))
    throw Error(dir + " already holds a training run (state.bin); continue it with --resume " +
                dir + ", or train into another --out");
  // Files of a run but no state.bin: it has no checkpoint, so --resume cannot continue it.
  for (const char* name : {"metrics.jsonl", "last.safetensors"})
    if (fs::exists(fs::path(dir) / name))
      throw Error(dir + " already holds a training run with no checkpoint (" + name +
                  ", no state.bin: still running, or stopped before its first checkpoint), so "
                  "there is nothing to resume; delete it, or train into another --out");
  fs::create_directories(dir);
}

void remove_leftover_temporaries(const std::string& dir) {
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() > 1 && name[0] == '.' &&
        name.find(".tmp-") != std::string::npos)
      fs::remove(entry.path());
  }
}

}  // namespace rnnkit
