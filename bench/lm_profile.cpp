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
  PartCost cost;
  std::vector<double> seconds, cpu_seconds;  // one total per repetition
};

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

class Parts {
 public:
  // Runs f, adding its time to the part `name` of the current repetition; `cost` is the whole
  // part's, however many calls make it up (the last call's, where an earlier one could not know
  // it).
  void time(const std::string& name, PartCost cost, const std::function<void()>& f) {
    auto it =
        std::find_if(parts_.begin(), parts_.end(), [&](const Part& p) { return p.name == name; });
    if (it == parts_.end()) {
      parts_.push_back({name, cost, {}, {}});
      it = parts_.end() - 1;
    }
    it->cost = cost;
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
  // Counts of floats and ids (4 bytes each) to GB; a layer with a cell state also stores and
  // reads its cells.
  const double to_gb = 4 / 1e9, cell = has_cell_state(c.cell) ? 1 : 0;
  const ParameterList params = model.parameters();
  double parameter_count = 0, state_count = 0;
  for (const Parameter* p : params) parameter_count += static_cast<double>(p->value.numel());
  for (const auto& [name, tensor] : optimizer.state_tensors())
    state_count += static_cast<double>(tensor->numel());
  Embedding* embedding = model.embedding();
  Linear& fc = model.fc();

  // A one-hot model's first layer reads the token ids (forward_one_hot), as the training step
  // does: no dense input, no input gradient; a layer's input is one id a row then.
  const auto reads_ids = [&](int64_t l) { return l == 0 && !embedding; };
  const auto input_floats = [&](int64_t l) { return reads_ids(l) ? n : n * (l ? H : in0); };
  Tensor x(embedding ? Shape{T, B, in0} : Shape{0}), dy({T, B, H}), logits,
      dx(embedding ? Shape{T, B, in0} : Shape{0});
  std::vector<Tensor> y(L, Tensor({T, B, H})), dhidden(2, Tensor({T, B, H}));
  int64_t counted = 0;
  for (int32_t t : batch.targets) counted += t != kIgnoreIndex;
  const float scale = counted ? 1.0f / static_cast<float>(counted) : 0.0f;

  Parts parts;
  // As the training engine: the optimizer step zeroes the grads for the next one.
  zero_grad(params);
  for (int rep = 0; rep < repetitions; ++rep) {
    // The ids read and the rows gathered.
    if (embedding)
      parts.time("embedding forward", PartCost{0, (n + 2 * n * in0) * to_gb},
                 [&] { embedding->forward(batch.inputs, x.data()); });
    for (int64_t l = 0; l < L; ++l) {
      const double I = static_cast<double>(l ? H : in0), weights = g * H * (I + H);
      // The weights and inputs (or ids) read; the gates, outputs (and cells) that backward reads
      // written. A one-hot input counts its product's FLOPs, as the benchmark's rate does.
      const PartCost cost{2 * weights * n / 1e9,
                          (weights + input_floats(l) + n * g * H + n * H * (1 + cell)) * to_gb};
      RecurrentLayer& layer = model.rnn().layer(l, 0);
      parts.time("layer " + std::to_string(l) + " forward", cost, [&] {
        if (reads_ids(l))
          layer.forward_one_hot(batch.inputs.data(), T, B, nullptr, nullptr, y[0].data(), H,
                                nullptr, nullptr);
        else
          layer.forward(l ? y[l - 1].data() : x.data(), l ? H : in0, T, B, nullptr, nullptr,
                        y[l].data(), H, nullptr, nullptr);
      });
    }
    // The model's own output layer, its chunks' parts timed apart (the weight's preparation
    // with the first chunk's product). Every chunk reads the whole weight.
    std::optional<OutputLayerChunks> out;
    const double weight = static_cast<double>(H) * V;
    const auto chunks = [&] { return static_cast<double>(out->count()); };
    const auto forward_cost = [&] {
      return PartCost{2 * weight * n / 1e9, (n * H + chunks() * weight + n * V) * to_gb};
    };
    parts.time("output layer forward", PartCost{}, [&] {
      out.emplace(fc, y[L - 1].data(), N, batch.targets.data(), scale, dy.data(), logits);
    });
    // The logits read, their gradient written in their place.
    const PartCost loss_cost{0, 2 * n * V * to_gb};
    // The logits' gradient read by both products, the features read and their gradient written,
    // the weight read and its gradient read and written by every chunk.
    const PartCost backward_cost{4 * weight * n / 1e9,
                                 (2 * n * V + 2 * n * H + 3 * chunks() * weight) * to_gb};
    for (int64_t c = 0; c < out->count(); ++c) {
      parts.time("output layer forward", forward_cost(), [&] { out->forward(c); });
      parts.time("softmax cross-entropy", loss_cost, [&] { out->loss(c); });
      parts.time("output layer backward", backward_cost, [&] { out->backward(c); });
    }
    const float* dcur = dy.data();
    for (int64_t l = L - 1; l >= 0; --l) {
      const double I = static_cast<double>(l ? H : in0), weights = g * H * (I + H);
      const bool input_grad = !reads_ids(l);
      float* dinput = l == 0 ? (embedding ? dx.data() : nullptr) : dhidden[l % 2].data();
      // Read: the output gradient, the gates, inputs (or ids), outputs (and cells) of the forward
      // pass and the weights; the weights' gradients read and written, the input gradient written.
      const PartCost cost{
          (2 * weights + 2 * g * H * H + (input_grad ? 2 * g * H * I : 0)) * n / 1e9,
          (n * H + n * g * H + input_floats(l) + n * H * (1 + cell) + 3 * weights +
           (input_grad ? n * I : 0)) *
              to_gb};
      parts.time("layer " + std::to_string(l) + " backward", cost, [&] {
        model.rnn().layer(l, 0).backward(dcur, H, nullptr, nullptr, dinput, l ? H : in0, false,
                                         nullptr, nullptr);
      });
      dcur = dinput;
    }
    // The ids and the input gradient read, the rows of the weight's gradient read and written.
    if (embedding)
      parts.time("embedding backward", PartCost{0, (n + 3 * n * in0) * to_gb},
                 [&] { embedding->backward(batch.inputs, dx.data()); });
    float grad_scale = 1.0f;
    if (clip > 0)
      parts.time("gradient norm (clip)", PartCost{0, parameter_count * to_gb},
                 [&] { grad_scale = clip_coefficient(grad_norm(params), clip); });
    // Each parameter and gradient read and written (the gradient zeroed), the optimizer's state
    // read and written.
    parts.time("optimizer step + zero_grad",
               PartCost{0, (4 * parameter_count + 2 * state_count) * to_gb},
               [&] { optimizer.step_and_zero_grad(grad_scale); });
    parts.next_repetition();
  }

  std::vector<ProfiledPart> result;
  for (const Part& p : parts.parts())
    result.push_back({p.name, 1e3 * median(p.seconds), 1e3 * median(p.cpu_seconds), p.cost});
  return result;
}

ProfiledPart profiled_step(const std::vector<ProfiledPart>& parts) {
  ProfiledPart step{"step (sum of parts)", 0, 0, {}};
  for (const ProfiledPart& p : parts) {
    step.wall_ms += p.wall_ms;
    step.cpu_ms += p.cpu_ms;
    step.cost.gflop += p.cost.gflop;
    step.cost.gbyte += p.cost.gbyte;
  }
  return step;
}

std::string profile_table(const std::vector<ProfiledPart>& parts) {
  const ProfiledPart step = profiled_step(parts);
  std::string table =
      "| part | wall ms | CPU ms | share (CPU) | GFLOP | GFLOP/s (wall) | GFLOP per CPU s | GB | "
      "GB/s (wall) |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  const auto row = [&](const ProfiledPart& p, const char* bold) {
    char flops[96] = "| | |", bytes[64] = "|";
    if (p.cost.gflop > 0)
      std::snprintf(flops, sizeof flops, "%.2f | %.0f | %.0f |", p.cost.gflop,
                    1e3 * p.cost.gflop / p.wall_ms, 1e3 * p.cost.gflop / p.cpu_ms);
    if (p.cost.gbyte > 0)
      std::snprintf(bytes, sizeof bytes, "%.3f | %.1f |", p.cost.gbyte,
                    1e3 * p.cost.gbyte / p.wall_ms);
    char line[400];
    std::snprintf(line, sizeof line, "| %s%s%s | %s%.2f%s | %s%.2f%s | %.1f%% | %s %s\n", bold,
                  p.name.c_str(), bold, bold, p.wall_ms, bold, bold, p.cpu_ms, bold,
                  100 * p.cpu_ms / step.cpu_ms, flops, bytes);
    return std::string(line);
  };
  for (const ProfiledPart& p : parts) table += row(p, "");
  return table + row(step, "**");
}

}  // namespace rnnkit::bench
