#include "lm_profile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <vector>

#include "models/output_layer_chunks.h"
#include "rnnkit/clip_grad_norm.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"

namespace rnnkit::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Part {
  std::string name;
  double gflop = 0;
  std::vector<double> seconds, cpu_seconds;  // one total per repetition
};

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

class Parts {
 public:
  // Runs f, adding its time to the part `name` of the current repetition.
  void time(const std::string& name, double gflop, const std::function<void()>& f) {
    auto it =
        std::find_if(parts_.begin(), parts_.end(), [&](const Part& p) { return p.name == name; });
    if (it == parts_.end()) {
      parts_.push_back({name, gflop, {}, {}});
      it = parts_.end() - 1;
    }
    if (it->seconds.size() < repetition_ + 1) {
      it->seconds.resize(repetition_ + 1, 0.0);
      it->cpu_seconds.resize(repetition_ + 1, 0.0);
    }
    const double cpu0 = process_cpu_seconds();
    const auto t0 = Clock::now();
    f();
    it->seconds[repetition_] += std::chrono::duration<double>(Clock::now() - t0).count();
    it->cpu_seconds[repetition_] += process_cpu_seconds() - cpu0;
  }
  void next_repetition() { ++repetition_; }
  const std::vector<Part>& parts() const { return parts_; }

 private:
  std::vector<Part> parts_;
  size_t repetition_ = 0;
};

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  const size_t n = xs.size();
  return n % 2 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
}

}  // namespace

std::vector<ProfiledPart> profile_training_step(LanguageModel& model, const TokenBatch& batch,
                                                Optimizer& optimizer, float clip, int repetitions) {
  const LMConfig& c = model.config();
  if (c.bidirectional) throw Error("the step profile covers unidirectional models only");
  const int64_t T = batch.steps, B = batch.batch, N = T * B, V = c.vocab_size, H = c.hidden_size;
  const int64_t L = c.num_layers, in0 = c.embedding_dim ? c.embedding_dim : V;
  const double g = gate_count(c.cell), n = static_cast<double>(N);
  const ParameterList params = model.parameters();
  Embedding* embedding = model.embedding();
  Linear& fc = model.fc();

  Tensor x({T, B, in0}), dy({T, B, H}), logits, dx({T, B, in0});
  std::vector<Tensor> y(L, Tensor({T, B, H})), dhidden(2, Tensor({T, B, H}));
  int64_t counted = 0;
  for (int32_t t : batch.targets) counted += t != kIgnoreIndex;
  const float scale = counted ? 1.0f / static_cast<float>(counted) : 0.0f;

  Parts parts;
  // As the training engine: the optimizer step zeroes the grads for the next one.
  zero_grad(params);
  for (int rep = 0; rep < repetitions; ++rep) {
    parts.time(embedding ? "embedding forward" : "one-hot input", 0, [&] {
      if (embedding)
        embedding->forward(batch.inputs, x.data());
      else
        one_hot(batch.inputs, V, x.data());
    });
    for (int64_t l = 0; l < L; ++l) {
      const double I = static_cast<double>(l ? H : in0);
      parts.time("layer " + std::to_string(l) + " forward", 2 * g * H * (I + H) * n / 1e9, [&] {
        model.rnn().layer(l, 0).forward(l ? y[l - 1].data() : x.data(), l ? H : in0, T, B, nullptr,
                                        nullptr, y[l].data(), H, nullptr, nullptr);
      });
    }
    // The model's own output layer, its chunks' parts timed apart (the weight's preparation
    // with the first chunk's product).
    std::optional<OutputLayerChunks> out;
    parts.time("output layer forward", 2.0 * H * V * n / 1e9, [&] {
      out.emplace(fc, y[L - 1].data(), N, batch.targets.data(), scale, dy.data(), logits);
    });
    for (int64_t c = 0; c < out->count(); ++c) {
      parts.time("output layer forward", 2.0 * H * V * n / 1e9, [&] { out->forward(c); });
      parts.time("softmax cross-entropy", 0, [&] { out->loss(c); });
      parts.time("output layer backward", 4.0 * H * V * n / 1e9, [&] { out->backward(c); });
    }
    const float* dcur = dy.data();
    for (int64_t l = L - 1; l >= 0; --l) {
      const double I = static_cast<double>(l ? H : in0);
      const bool input_grad = l > 0 || embedding;
      float* dinput = l == 0 ? (embedding ? dx.data() : nullptr) : dhidden[l % 2].data();
      const double gflop =
          (2 * g * H * (I + H) + 2 * g * H * H + (input_grad ? 2 * g * H * I : 0)) * n / 1e9;
      parts.time("layer " + std::to_string(l) + " backward", gflop, [&] {
        model.rnn().layer(l, 0).backward(dcur, H, nullptr, nullptr, dinput, l ? H : in0, false,
                                         nullptr, nullptr);
      });
      dcur = dinput;
    }
    if (embedding)
      parts.time("embedding backward", 0, [&] { embedding->backward(batch.inputs, dx.data()); });
    parts.time(
        clip > 0 ? "clip + optimizer step + zero_grad" : "optimizer step + zero_grad", 0, [&] {
          optimizer.step_and_zero_grad(clip > 0 ? clip_coefficient(grad_norm(params), clip) : 1.0f);
        });
    parts.next_repetition();
  }

  std::vector<ProfiledPart> result;
  for (const Part& p : parts.parts())
    result.push_back({p.name, 1e3 * median(p.seconds), 1e3 * median(p.cpu_seconds), p.gflop});
  return result;
}

ProfiledPart profiled_step(const std::vector<ProfiledPart>& parts) {
  ProfiledPart step{"step (sum of parts)"};
  for (const ProfiledPart& p : parts) {
    step.wall_ms += p.wall_ms;
    step.cpu_ms += p.cpu_ms;
    step.gflop += p.gflop;
  }
  return step;
}

std::string profile_table(const std::vector<ProfiledPart>& parts) {
  const ProfiledPart step = profiled_step(parts);
  std::string table =
      "| part | wall ms | CPU ms | share (CPU) | GFLOP | GFLOP/s (wall) | GFLOP per CPU s |\n"
      "|---|---|---|---|---|---|---|\n";
  char line[320];
  for (const ProfiledPart& p : parts) {
    if (p.gflop > 0)
      std::snprintf(line, sizeof line, "| %s | %.2f | %.2f | %.1f%% | %.2f | %.0f | %.0f |\n",
                    p.name.c_str(), p.wall_ms, p.cpu_ms, 100 * p.cpu_ms / step.cpu_ms, p.gflop,
                    1e3 * p.gflop / p.wall_ms, 1e3 * p.gflop / p.cpu_ms);
    else
      std::snprintf(line, sizeof line, "| %s | %.2f | %.2f | %.1f%% | | | |\n", p.name.c_str(),
                    p.wall_ms, p.cpu_ms, 100 * p.cpu_ms / step.cpu_ms);
    table += line;
  }
  std::snprintf(line, sizeof line,
                "| **step (sum of parts)** | **%.2f** | **%.2f** | 100%% | %.2f | %.0f | %.0f |\n",
                step.wall_ms, step.cpu_ms, step.gflop, 1e3 * step.gflop / step.wall_ms,
                1e3 * step.gflop / step.cpu_ms);
  table += line;
  return table;
}

}  // namespace rnnkit::bench
