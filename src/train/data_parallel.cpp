#include <algorithm>
#include <string>
#include <vector>

#include "rnnkit/communicator.h"
#include "rnnkit/error.h"
#include "rnnkit/training_task.h"
#include "train/family_tasks.h"

namespace rnnkit {

void agree_on_how_the_ranks_start(bool resuming) {
  if (!distributed()) return;
  Communicator& w = world();
  const uint64_t mine = resuming ? 1 : 0;
  std::vector<uint64_t> all(static_cast<size_t>(w.size()));
  w.allgather(std::span(&mine, 1), all);
  const auto how = [](uint64_t r) { return r ? "resumes a run (--resume)" : "starts a fresh run"; };
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw Error("rank " + std::to_string(r) + " " + how(all[r]) + " where rank 0 " + how(all[0]) +
                  ": every rank must be given the same command (docs/DISTRIBUTED.md)");
}

DataParallel::Share DataParallel::share(int64_t n) const {
  const int64_t r = rank(), p = ranks(), base = n / p, extra = n % p;
  return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

}  // namespace rnnkit
