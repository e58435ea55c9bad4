#pragma once
#include <string>

namespace rnnkit {

// A run directory holds one run: last.safetensors, best.safetensors, state.bin (which commits a
// checkpoint) and metrics.jsonl. Creates `dir` for a fresh run; Error when it already holds a
// run, whose history would otherwise be lost.
void prepare_fresh_run_directory(const std::string& dir);

// Removes the temporary files (".NAME.tmp-PID-N") that an atomic write killed half-way left in
// `dir`; the run that owns the directory calls it when it starts.
void remove_leftover_temporaries(const std::string& dir);

}  // namespace rnnkit
