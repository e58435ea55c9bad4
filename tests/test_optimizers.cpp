#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "random_values.h"
#include "rnnkit/adam.h"
#include "rnnkit/clip_grad_norm.h"
#include "rnnkit/error.h"
#include "rnnkit/rng.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/sgd.h"
#include "rnnkit/threads.h"
#include "settings_guard.h"
#include "tensor/element_ranges.h"

namespace rnnkit {
namespace {

// One parameter per value so that the reference computations below stay scalar.
struct Scalars {
  std::vector<Parameter> storage;
  ParameterList list;

  explicit Scalars(std::vector<float> values) {
    storage.reserve(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      storage.emplace_back(std::string("p").append(std::to_string(i)), Shape{1});
      storage.back().value[0] = values[i];
    }
    for (Parameter& p : storage) list.push_back(&p);
  }
  void set_grads(const std::vector<double>& grads) {
    for (size_t i = 0; i < grads.size(); ++i) storage[i].grad[0] = static_cast<float>(grads[i]);
  }
};

void expect_near_relative(double expected, double actual, double tolerance,
                          const std::string& what) {
  EXPECT_LE(std::abs(expected - actual), tolerance * std::max(1.0, std::abs(expected)))
      << what << ": expected " << expected << ", got " << actual;
}

TEST(SGD, PlainStepsByHand) {
  Scalars p({1.0f, -2.0f});
  SGD sgd(p.list, {.lr = 0.1});
  p.set_grads({0.5, 0.25});
  sgd.step();
  EXPECT_FLOAT_EQ(p.storage[0].value[0], 0.95f);
  EXPECT_FLOAT_EQ(p.storage[1].value[0], -2.025f);
  p.set_grads({-1.0, 0.0});
  sgd.step();
  EXPECT_FLOAT_EQ(p.storage[0].value[0], 1.05f);
  EXPECT_FLOAT_EQ(p.storage[1].value[0], -2.025f);
  EXPECT_EQ(sgd.step_count(), 2);
  EXPECT_TRUE(sgd.state_tensors().empty());
}

TEST(SGD, MomentumDampeningAndWeightDecayByHand) {
  // Step 1: d = 0.5 + 0.1 * 1 = 0.6; the buffer starts as d (no dampening); p = 1 - 0.1 * 0.6.
  // Step 2: d = 0.5 + 0.1 * 0.94 = 0.594; buf = 0.9 * 0.6 + 0.5 * 0.594 = 0.837; p = 0.94 - 0.0837.
  Scalars p({1.0f});
  SGD sgd(p.list, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .weight_decay = 0.1});
  p.set_grads({0.5});
  sgd.step();
  EXPECT_FLOAT_EQ(p.storage[0].value[0], 0.94f);
  p.set_grads({0.5});
  sgd.step();
  EXPECT_FLOAT_EQ(p.storage[0].value[0], 0.8563f);
  auto state = sgd.state_tensors();
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0].first, "optim.momentum_buffer.p0");
  EXPECT_FLOAT_EQ((*state[0].second)[0], 0.837f);
}

TEST(SGD, NesterovByHand) {
  // Step 1: buf = 1; d = 1 + 0.9 * 1 = 1.9; p = 1 - 0.19. Step 2: buf = 0.9 + 1 = 1.9;
  // d = 1 + 0.9 * 1.9 = 2.71; p = 0.81 - 0.271.
  Scalars p({1.0f});
  SGD sgd(p.list, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  p.set_grads({1.0});
  sgd.step();
  EXPECT_FLOAT_EQ(p.storage[0].value[0], 0.81f);
  sgd.step();
  EXPECT_FLOAT_EQ(p.storage[0].value[0], 0.539f);
}

TEST(SGD, RejectsInvalidOptions) {
  Scalars p({1.0f});
  EXPECT_THROW(SGD(p.list, {.lr = -0.1}), Error);
  EXPECT_THROW(SGD(p.list, {.lr = NAN}), Error);
  EXPECT_THROW(SGD(p.list, {.momentum = -0.5}), Error);
  EXPECT_THROW(SGD(p.list, {.weight_decay = INFINITY}), Error);
  EXPECT_THROW(SGD(p.list, {.nesterov = true}), Error);
  EXPECT_THROW(SGD(p.list, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}), Error);
}

// Adam and AdamW from the textbook form (bias-corrected moments, in double), not PyTorch's.
struct ReferenceAdam {
  AdamOptions o;
  std::vector<double> params, m, v, v_max;
  int t = 0;

  void step(const std::vector<double>& grads) {
    ++t;
    for (size_t i = 0; i < params.size(); ++i) {
      double g = grads[i];
      if (o.decoupled_weight_decay)
        params[i] -= o.lr * o.weight_decay * params[i];
      else
        g += o.weight_decay * params[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      v_max[i] = std::max(v_max[i], v[i]);
      const double m_hat = m[i] / (1 - std::pow(o.beta1, t));
      const double v_hat = (o.amsgrad ? v_max[i] : v[i]) / (1 - std::pow(o.beta2, t));
      params[i] -= o.lr * m_hat / (std::sqrt(v_hat) + o.eps);
    }
  }
};

void expect_adam_matches_reference(const AdamOptions& options) {
  const std::vector<float> initial = {1.0f, -0.5f, 2.0f, 0.0f};
  const std::vector<std::vector<double>> grads = {
      {0.5, -1.0, 0.01, 3.0}, {-1.0, -0.5, 0.02, 0.0}, {0.25, 2.0, -0.01, -3.0}};
  Scalars p(initial);
  Adam adam(p.list, options);
  ReferenceAdam ref{options, std::vector<double>(initial.begin(), initial.end()),
                    std::vector<double>(4), std::vector<double>(4), std::vector<double>(4)};
  for (size_t step = 0; step < grads.size(); ++step) {
    p.set_grads(grads[step]);
    adam.step();
    ref.step(grads[step]);
    for (size_t i = 0; i < initial.size(); ++i)
      expect_near_relative(ref.params[i], p.storage[i].value[0], 1e-6,
                           "step " + std::to_string(step) + " param " + std::to_string(i));
  }
}

TEST(Adam, MatchesTextbookFormula) {
  expect_adam_matches_reference({.lr = 0.01});
}

TEST(Adam, L2WeightDecayMatchesTextbookFormula) {
  expect_adam_matches_reference({.lr = 0.01, .beta2 = 0.99, .weight_decay = 0.1});
}

TEST(Adam, AdamWMatchesTextbookFormula) {
  expect_adam_matches_reference({.lr = 0.01, .weight_decay = 0.1, .decoupled_weight_decay = true});
}

TEST(Adam, AmsgradMatchesTextbookFormula) {
  expect_adam_matches_reference({.lr = 0.01, .beta2 = 0.9, .amsgrad = true});
}

TEST(Adam, FirstStepMovesBySignTimesLr) {
  // m_hat = g and v_hat = g^2 after one step, so the update is lr * g / (|g| + eps).
  Scalars p({1.0f, 1.0f});
  Adam adam(p.list, {.lr = 0.01});
  p.set_grads({0.5, -4.0});
  adam.step();
  EXPECT_FLOAT_EQ(p.storage[0].value[0], 0.99f);
  EXPECT_FLOAT_EQ(p.storage[1].value[0], 1.01f);
}

TEST(Adam, StateTensorNames) {
  Parameter w("rnn.weight_ih_l0", {3, 2});
  Parameter b("fc.bias", {4});
  Adam adam({&w, &b}, {.amsgrad = true});
  std::vector<std::string> names;
  for (auto& [name, tensor] : adam.state_tensors()) {
    names.push_back(name);
    const Shape expected = name.ends_with("bias") ? Shape{4} : Shape{3, 2};
    EXPECT_EQ(tensor->shape(), expected) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "optim.exp_avg.rnn.weight_ih_l0", "optim.exp_avg_sq.rnn.weight_ih_l0",
                       "optim.max_exp_avg_sq.rnn.weight_ih_l0", "optim.exp_avg.fc.bias",
                       "optim.exp_avg_sq.fc.bias", "optim.max_exp_avg_sq.fc.bias"}));
}

TEST(Adam, RejectsInvalidOptions) {
  Scalars p({1.0f});
  EXPECT_THROW(Adam(p.list, {.lr = -1e-3}), Error);
  EXPECT_THROW(Adam(p.list, {.beta1 = 1.0}), Error);
  EXPECT_THROW(Adam(p.list, {.beta2 = -0.1}), Error);
  EXPECT_THROW(Adam(p.list, {.eps = -1e-8}), Error);
  EXPECT_THROW(Adam(p.list, {.weight_decay = NAN}), Error);
}

TEST(Optimizer, RejectsBadParameterLists) {
  Parameter a("a", {2});
  Parameter b("a", {2});
  EXPECT_THROW(SGD({&a, &a}, {}), Error);
  EXPECT_THROW(SGD({&a, &b}, {}), Error);
  EXPECT_THROW(SGD({&a, nullptr}, {}), Error);
}

TEST(Optimizer, RejectsGradOfWrongShape) {
  Parameter a("a", {2, 3});
  a.grad = Tensor({3, 2});
  SGD sgd({&a}, {});
  Adam adam({&a}, {});
  EXPECT_THROW(sgd.step(), Error);
  EXPECT_THROW(adam.step(), Error);
}

TEST(Optimizer, RejectsANegativeOrNonFiniteGradScaleAndTakesNoStep) {
  Parameter a("a", {2});
  a.value.fill(1.0f);
  a.grad.fill(0.5f);
  SGD sgd({&a}, {.lr = 0.1});
  for (float bad : {-1.0f, INFINITY, NAN}) EXPECT_THROW(sgd.step(bad), Error) << bad;
  EXPECT_EQ(sgd.step_count(), 0);
  EXPECT_EQ(a.value[0], 1.0f);
  // A scale of 0 is a step with zero gradients: plain SGD leaves the weights as they are.
  sgd.step(0.0f);
  EXPECT_EQ(a.value[0], 1.0f);
  sgd.step(2.0f);
  EXPECT_EQ(a.value[0], 1.0f - 0.1f * (0.5f * 2.0f));
}

TEST(Optimizer, LrAndStepCountSetters) {
  Parameter a("a", {1});
  Adam adam({&a}, {});
  adam.set_lr(0.5);
  EXPECT_EQ(adam.lr(), 0.5);
  EXPECT_THROW(adam.set_lr(-1), Error);
  EXPECT_THROW(adam.set_lr(INFINITY), Error);
  adam.set_step_count(7);
  EXPECT_EQ(adam.step_count(), 7);
  EXPECT_THROW(adam.set_step_count(-1), Error);
}

TEST(Optimizer, ZeroGradClearsEveryGradient) {
  Parameter a("a", {2});
  Parameter b("b", {3});
  a.grad.fill(1.5f);
  b.grad.fill(-2.0f);
  zero_grad({&a, &b});
  for (const Parameter* p : {&a, &b})
    for (float g : p->grad.span()) EXPECT_EQ(g, 0.0f) << p->name;
}

// Parameters from kParallelElements on are zeroed, clipped and updated in ranges, one per thread
// (tensor/element_ranges.h). Every element must come out as the same steps give a one-element
// parameter holding that element alone (updated whole, on the calling thread), for any thread
// count; the elements checked include the ends of every range for 2 and 3 threads. The clipping
// is done either way: clip_grad_norm then step(), or step() given the clipping coefficient, which
// must leave the grads as they are; or step_and_zero_grad() given it, which must leave them zero
// (its blocks end inside the threads' ranges and the parameter's last block is partial).
using MakeOptimizer = std::unique_ptr<Optimizer> (*)(const ParameterList&);

enum class Clipping { InPlace, InStep, InStepZeroing };

std::vector<float> large_parameter_after_steps(MakeOptimizer make, int threads,
                                               const std::vector<float>& values,
                                               const std::vector<float>& grads, Clipping clipping) {
  set_num_threads(threads);
  const int64_t n = static_cast<int64_t>(values.size());
  Parameter p("w", {n});
  std::copy(values.begin(), values.end(), p.value.data());
  auto optimizer = make({&p});
  for (int step = 0; step < 3; ++step) {
    zero_grad({&p});
    for (float g : p.grad.span()) EXPECT_EQ(g, 0.0f);
    for (int64_t i = 0; i < n; ++i) p.grad[i] = grads[i] * static_cast<float>(step + 1);
    if (clipping == Clipping::InPlace) {
      clip_grad_norm({&p}, 1.0f);
      optimizer->step();
      continue;
    }
    if (clipping == Clipping::InStepZeroing) {
      optimizer->step_and_zero_grad(clip_coefficient(grad_norm({&p}), 1.0f));
      EXPECT_EQ(*std::max_element(p.grad.span().begin(), p.grad.span().end()), 0.0f);
      EXPECT_EQ(*std::min_element(p.grad.span().begin(), p.grad.span().end()), 0.0f);
      continue;
    }
    const Tensor before = p.grad;
    optimizer->step(clip_coefficient(grad_norm({&p}), 1.0f));
    EXPECT_EQ(std::memcmp(before.data(), p.grad.data(), sizeof(float) * n), 0)
        << "step() wrote the grads";
  }
  return {p.value.data(), p.value.data() + n};
}

void expect_updated_element_by_element(MakeOptimizer make) {
  SettingsGuard guard;
  const int64_t n = 2 * kParallelElements + 21;
  const std::vector<float> values = testing::random_values(n, 11);
  const std::vector<float> grads = testing::random_values(n, 12, 1e-2f);
  const std::vector<float> one_thread =
      large_parameter_after_steps(make, 1, values, grads, Clipping::InPlace);
  for (int threads : {1, 2, 3}) {
    if (threads > 1) {
      EXPECT_EQ(large_parameter_after_steps(make, threads, values, grads, Clipping::InPlace),
                one_thread)
          << threads << " threads";
    }
    EXPECT_EQ(large_parameter_after_steps(make, threads, values, grads, Clipping::InStep),
              one_thread)
        << threads << " threads, clipped in the step";
    EXPECT_EQ(large_parameter_after_steps(make, threads, values, grads, Clipping::InStepZeroing),
              one_thread)
        << threads << " threads, clipped in a step that zeroes the grads";
  }
  // The clipping coefficient is the large parameter's: its gradient's norm at each step.
  set_num_threads(1);
  std::vector<float> coef;
  for (int step = 0; step < 3; ++step) {
    double sum = 0;
    for (float g : grads)
      sum += static_cast<double>(g * static_cast<float>(step + 1)) * g * (step + 1);
    coef.push_back((1.0f / (static_cast<float>(std::sqrt(sum)) + 1e-6f)) * 1.0f);
  }
  std::vector<int64_t> checked = {0, 1, 15, 16, n - 2, n - 1};
  for (int parts : {2, 3})
    for (int k = 1; k < parts; ++k) {
      const int64_t edge = n / kRangeGrain * k / parts * kRangeGrain;
      checked.insert(checked.end(), {edge - 1, edge});
    }
  for (int64_t i = 0; i < n; i += 997) checked.push_back(i);
  for (int64_t i : checked) {
    Parameter alone("w", {1});
    alone.value[0] = values[i];
    auto optimizer = make({&alone});
    for (int step = 0; step < 3; ++step) {
      alone.grad[0] = grads[i] * static_cast<float>(step + 1) * coef[step];
      optimizer->step();
    }
    EXPECT_EQ(one_thread[i], alone.value[0]) << "element " << i;
  }
}

TEST(Optimizer, LargeParametersAreUpdatedElementByElementForAnyThreadCount) {
  expect_updated_element_by_element([](const ParameterList& list) -> std::unique_ptr<Optimizer> {
    return std::make_unique<SGD>(
        list, SGDOptions{.lr = 0.5, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  });
  expect_updated_element_by_element([](const ParameterList& list) -> std::unique_ptr<Optimizer> {
    return std::make_unique<SGD>(list, SGDOptions{.lr = 0.5});
  });
  expect_updated_element_by_element([](const ParameterList& list) -> std::unique_ptr<Optimizer> {
    return std::make_unique<Adam>(
        list,
        AdamOptions{
            .lr = 0.01, .weight_decay = 0.1, .decoupled_weight_decay = true, .amsgrad = true});
  });
}

// ---------------------------------------------------------------------------------------------
// Exact resume: a fresh optimizer given the saved state must take the very same next step.

struct Model {
  std::vector<std::unique_ptr<Parameter>> storage;
  ParameterList list;

  Model() {
    for (auto [name, shape] :
         {std::pair{"rnn.weight_ih_l0", Shape{4, 3}}, std::pair{"fc.weight", Shape{2, 5}},
          std::pair{"fc.bias", Shape{7}}}) {
      storage.push_back(std::make_unique<Parameter>(name, shape));
      list.push_back(storage.back().get());
    }
  }
  void randomize_values(Rng& rng) {
    for (Parameter* p : list)
      for (float& x : p->value.span()) x = rng.normal();
  }
  void randomize_grads(Rng& rng) {
    for (Parameter* p : list)
      for (float& x : p->grad.span()) x = rng.normal();
  }
  void copy_values_from(const Model& other) {
    for (size_t i = 0; i < list.size(); ++i) list[i]->value = other.list[i]->value;
  }
  void copy_grads_from(const Model& other) {
    for (size_t i = 0; i < list.size(); ++i) list[i]->grad = other.list[i]->grad;
  }
  bool values_equal(const Model& other) const {
    for (size_t i = 0; i < list.size(); ++i) {
      const Tensor& a = list[i]->value;
      const Tensor& b = other.list[i]->value;
      if (std::memcmp(a.data(), b.data(), a.numel() * sizeof(float)) != 0) return false;
    }
    return true;
  }
};

void expect_exact_resume(MakeOptimizer make) {
  Rng rng(1234);
  Model original;
  original.randomize_values(rng);
  auto optimizer = make(original.list);
  optimizer->set_lr(optimizer->lr() * 0.5);  // as a schedule would have done
  for (int step = 0; step < 3; ++step) {
    original.randomize_grads(rng);
    optimizer->step();
  }

  // Save through the safetensors format, as a checkpoint does.
  NamedTensors named;
  for (auto& [name, tensor] : optimizer->state_tensors()) named.emplace_back(name, tensor);
  const std::string image = serialize_safetensors(named, {});
  const SafetensorsFile saved = parse_safetensors(
      std::span(reinterpret_cast<const uint8_t*>(image.data()), image.size()), "state");

  Model resumed;
  resumed.copy_values_from(original);
  auto restored = make(resumed.list);
  restored->load_state_tensors(saved.tensors);
  restored->set_step_count(optimizer->step_count());
  restored->set_lr(optimizer->lr());

  Model unrestored;
  unrestored.copy_values_from(original);
  auto fresh = make(unrestored.list);
  fresh->set_lr(optimizer->lr());

  for (int step = 0; step < 2; ++step) {
    original.randomize_grads(rng);
    resumed.copy_grads_from(original);
    unrestored.copy_grads_from(original);
    optimizer->step();
    restored->step();
    fresh->step();
    EXPECT_TRUE(resumed.values_equal(original)) << "step " << step << " after resume";
  }
  EXPECT_FALSE(unrestored.values_equal(original)) << "the state made no difference";
}

TEST(OptimizerResume, SGDMomentumIsBitIdentical) {
  expect_exact_resume([](const ParameterList& p) -> std::unique_ptr<Optimizer> {
    return std::make_unique<SGD>(p, SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
  });
}

TEST(OptimizerResume, SGDNesterovIsBitIdentical) {
  expect_exact_resume([](const ParameterList& p) -> std::unique_ptr<Optimizer> {
    return std::make_unique<SGD>(p, SGDOptions{.lr = 0.1, .momentum = 0.5, .nesterov = true});
  });
}

TEST(OptimizerResume, AdamIsBitIdentical) {
  expect_exact_resume([](const ParameterList& p) -> std::unique_ptr<Optimizer> {
    return std::make_unique<Adam>(p, AdamOptions{.lr = 0.01, .weight_decay = 0.001});
  });
}

TEST(OptimizerResume, AdamWAmsgradIsBitIdentical) {
  expect_exact_resume([](const ParameterList& p) -> std::unique_ptr<Optimizer> {
    return std::make_unique<Adam>(
        p, AdamOptions{
               .lr = 0.01, .weight_decay = 0.1, .decoupled_weight_decay = true, .amsgrad = true});
  });
}

TEST(OptimizerResume, LoadRejectsMissingOrMisshapenState) {
  Parameter a("a", {2, 2});
  Adam adam({&a}, {});
  std::map<std::string, Tensor> saved;
  saved.emplace("optim.exp_avg.a", Tensor({2, 2}));
  EXPECT_THROW(adam.load_state_tensors(saved), Error);
  saved.emplace("optim.exp_avg_sq.a", Tensor({4}));
  EXPECT_THROW(adam.load_state_tensors(saved), Error);
  saved["optim.exp_avg_sq.a"] = Tensor({2, 2});
  EXPECT_NO_THROW(adam.load_state_tensors(saved));
}

// ---------------------------------------------------------------------------------------------
// Parity with torch.optim (tests/fixtures/optim_*.safetensors, made by tools/make_fixtures.py):
// three steps on three parameters, each step optionally preceded by clip_grad_norm_.

void expect_fixture_parity(const std::string& stem, Clipping clipping) {
  const SafetensorsFile file =
      read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/" + stem + ".safetensors");
  const auto meta = nlohmann::json::parse(file.metadata.at("optimizer"));
  const auto tensor = [&](const std::string& name) -> const Tensor& {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end()) throw Error(stem + " lacks tensor " + name);
    return it->second;
  };

  std::vector<std::unique_ptr<Parameter>> storage;
  ParameterList params;
  for (int i = 0; file.tensors.contains("param." + std::to_string(i)); ++i) {
    const Tensor& initial = tensor("param." + std::to_string(i));
    storage.push_back(std::make_unique<Parameter>("param." + std::to_string(i), initial.shape()));
    storage.back()->value = initial;
    params.push_back(storage.back().get());
  }
  ASSERT_EQ(params.size(), 3u);

  std::unique_ptr<Optimizer> optimizer;
  const std::string name = meta.at("name");
  if (name == "sgd") {
    optimizer = std::make_unique<SGD>(params, SGDOptions{.lr = meta.at("lr"),
                                                         .momentum = meta.at("momentum"),
                                                         .dampening = meta.at("dampening"),
                                                         .weight_decay = meta.at("weight_decay"),
                                                         .nesterov = meta.at("nesterov")});
  } else {
    optimizer =
        std::make_unique<Adam>(params, AdamOptions{.lr = meta.at("lr"),
                                                   .beta1 = meta.at("betas")[0],
                                                   .beta2 = meta.at("betas")[1],
                                                   .eps = meta.at("eps"),
                                                   .weight_decay = meta.at("weight_decay"),
                                                   .decoupled_weight_decay = name == "adamw",
                                                   .amsgrad = meta.at("amsgrad")});
  }

  const int steps = meta.at("steps");
  ASSERT_GE(steps, 1);
  for (int step = 0; step < steps; ++step) {
    const std::string s = std::to_string(step);
    for (size_t i = 0; i < params.size(); ++i)
      params[i]->grad = tensor("grad." + s + "." + std::to_string(i));
    float grad_scale = 1.0f;
    if (!meta.at("max_norm").is_null()) {
      const float max_norm = meta.at("max_norm").get<float>();
      const float norm =
          clipping == Clipping::InPlace ? clip_grad_norm(params, max_norm) : grad_norm(params);
      if (clipping == Clipping::InStep) grad_scale = clip_coefficient(norm, max_norm);
      expect_near_relative(tensor("norm." + s)[0], norm, 1e-6, stem + " norm." + s);
    }
    optimizer->step(grad_scale);
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string key = "expected." + s + "." + std::to_string(i);
      const Tensor& expected = tensor(key);
      for (int64_t j = 0; j < expected.numel(); ++j)
        expect_near_relative(expected[j], params[i]->value[j], 1e-6, stem + " " + key);
    }
  }
  EXPECT_EQ(optimizer->step_count(), steps);
}

TEST(OptimizerParity, SGDMomentumWeightDecayAndClipping) {
  expect_fixture_parity("optim_sgd", Clipping::InPlace);
  expect_fixture_parity("optim_sgd", Clipping::InStep);
}
TEST(OptimizerParity, PlainSGD) {
  expect_fixture_parity("optim_sgd_plain", Clipping::InPlace);
  expect_fixture_parity("optim_sgd_plain", Clipping::InStep);
}
TEST(OptimizerParity, Adam) {
  expect_fixture_parity("optim_adam", Clipping::InPlace);
  expect_fixture_parity("optim_adam", Clipping::InStep);
}
TEST(OptimizerParity, AdamW) {
  expect_fixture_parity("optim_adamw", Clipping::InPlace);
  expect_fixture_parity("optim_adamw", Clipping::InStep);
}

}  // namespace
}  // namespace rnnkit
