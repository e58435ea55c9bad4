#include "rnnkit/recurrent_layer.h"

#include <omp.h>

#include <vector>

#include "nn/cell_type.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/single_row_product.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

// An Error naming the first id outside [0, classes).
void check_ids(const int32_t* ids, int64_t n, int64_t classes, const char* what,
               const char* classes_are) {
  for (int64_t r = 0; r < n; ++r)
    if (ids[r] < 0 || ids[r] >= classes)
      throw Error(std::string(what) + "token id " + std::to_string(ids[r]) + " (row " +
                  std::to_string(r) + ") is outside the " + std::to_string(classes) + " " +
                  classes_are);
}

// How many batch slices run the time loop side by side, one per thread. A slice keeps W_hh hot
// in its core's L2 and meets the others only at the end of the sequence, so a busy other core
// slows one slice instead of stalling every step. Slices need enough rows to keep the products
// efficient; when W_hh does not fit in L2 and the batch is small (PTB-medium: 6.8 MB, 20 rows),
// splitting the products' columns across threads (oneDNN's own threading) reads the weights
// once per step instead of once per slice, and wins.
int batch_slices(int64_t B, int64_t GH, int64_t S) {
  const int threads = omp_in_parallel() ? 1 : num_threads();
  if (threads < 2) return 1;
  const int64_t per_slice = B / threads;
  const bool weights_in_l2 = GH * S * static_cast<int64_t>(sizeof(float)) <= (int64_t{1} << 20);
  if (per_slice < 8 || (!weights_in_l2 && per_slice < 64)) return 1;
  return threads;
}

// Runs body(b0, n) for each slice of the batch (n rows from b0), in parallel when there are
// several. One slice runs outside any parallel region: inside an inactive one (if (false)), each
// product's own parallel loop would be a nested region with a team of its own, milliseconds to
// start.
template <class Body>
void for_each_slice(int64_t B, int slices, const Body& body) {
  if (slices == 1) {
    body(0, B);
    return;
  }
#pragma omp parallel for num_threads(slices) schedule(static, 1)
  for (int k = 0; k < slices; ++k) {
    const int64_t b0 = B * k / slices, b1 = B * (k + 1) / slices;
    body(b0, b1 - b0);
  }
}

// The operands of the weight-gradient products, shared by all layers (they run one after
// another) and kept between steps, so their bfloat16 copies are allocated once.
struct GradientOperands {
  MatmulOperand gates, dhproj, h_prev, input, weight_ih;
};

GradientOperands& gradient_operands() {
  thread_local GradientOperands operands;
  return operands;
}

// The gate rows G·H of the layer's weights, after its sizes are checked: before any parameter is
// shaped, so that a huge hidden size is named instead of wrapping G·H around.
int64_t checked_gate_rows(CellKind cell, int64_t input_size, int64_t hidden_size,
                          int64_t proj_size) {
  if (input_size <= 0 || hidden_size <= 0)
    throw Error("recurrent layer sizes must be positive (input " + std::to_string(input_size) +
                ", hidden " + std::to_string(hidden_size) + ")");
  if (proj_size < 0 || proj_size >= hidden_size)
    throw Error("proj_size must be in [0, hidden_size) (0 = none), got " +
                std::to_string(proj_size) + " with hidden_size " + std::to_string(hidden_size));
  if (proj_size && !supports_projection(cell))
    throw Error("proj_size needs a cell with a projection (lstm), not " + cell_kind_name(cell));
  const int64_t gates = gate_count(cell);
  if (hidden_size > kMaxTensorElements / gates)
    throw Error("hidden_size " + std::to_string(hidden_size) + " is too large: its " +
                std::to_string(gates) + " gates' rows pass the " +
                std::to_string(kMaxTensorElements) + " elements a tensor may hold");
  return gates * hidden_size;
}

}  // namespace

RecurrentLayer::RecurrentLayer(CellKind cell, int64_t input_size, int64_t hidden_size, bool reverse,
                               const std::string& prefix, const std::string& suffix,
                               int64_t proj_size)
    : weight_ih(prefix + ".weight_ih" + suffix,
                {checked_gate_rows(cell, input_size, hidden_size, proj_size), input_size}),
      weight_hh(prefix + ".weight_hh" + suffix,
                {gate_count(cell) * hidden_size, proj_size ? proj_size : hidden_size}),
      bias_ih(prefix + ".bias_ih" + suffix, {gate_count(cell) * hidden_size}),
      bias_hh(prefix + ".bias_hh" + suffix, {gate_count(cell) * hidden_size}),
      weight_hr(prefix + ".weight_hr" + suffix,
                proj_size ? Shape{proj_size, hidden_size} : Shape{0}),
      cell_(cell),
      input_size_(input_size),
      hidden_size_(hidden_size),
      proj_size_(proj_size),
      reverse_(reverse) {}

ParameterList RecurrentLayer::parameters() {
  if (proj_size_) return {&weight_ih, &weight_hh, &bias_ih, &bias_hh, &weight_hr};
  return {&weight_ih, &weight_hh, &bias_ih, &bias_hh};
}

void RecurrentLayer::read_int8_weights() {
  ih_row_.read_int8();
  hh_row_.read_int8();
  hr_row_.read_int8();
}

void RecurrentLayer::hidden_product(int64_t n, const float* h, float beta, float* out,
                                    const float* const* c_rows) {
  const int64_t S = state_size(), GH = gate_count(cell_) * hidden_size_;
  if (packed_) {
    hh_forward_.multiply(n, h, S, beta, out, GH, c_rows);
    return;
  }
  if (c_rows) rows::copy_rows(n, GH, c_rows, out, GH);
  if (row_products_)
    hh_row_.multiply_rows(n, GH, S, weight_hh.value.data(), h, S, beta, out, GH);
  else
    gemm(Trans::No, Trans::Yes, n, GH, S, 1.0f, h, S, weight_hh.value.data(), S, beta, out, GH);
}

void RecurrentLayer::hidden_grad_product(int64_t n, const float* dgates, float beta, float* dh) {
  const int64_t S = state_size(), GH = gate_count(cell_) * hidden_size_;
  if (packed_)
    hh_backward_.multiply(n, dgates, GH, beta, dh, S);
  else
    gemm(Trans::No, Trans::No, n, S, GH, 1.0f, dgates, GH, weight_hh.value.data(), S, beta, dh, S);
}

void RecurrentLayer::projection_product(int64_t n, const float* h_cell, float* h) {
  const int64_t H = hidden_size_, P = proj_size_;
  if (row_products_)
    hr_row_.multiply_rows(n, P, H, weight_hr.value.data(), h_cell, H, 0.0f, h, P);
  else
    gemm(Trans::No, Trans::Yes, n, P, H, 1.0f, h_cell, H, weight_hr.value.data(), H, 0.0f, h, P);
}

void RecurrentLayer::forward(const float* x, int64_t ldx, int64_t T, int64_t B, const float* h0,
                             const float* c0, float* y, int64_t ldy, float* hT, float* cT,
                             bool forward_only) {
  forward_sequence(x, ldx, nullptr, nullptr, T, B, h0, c0, y, ldy, hT, cT, forward_only);
}

void RecurrentLayer::forward_one_hot(const int32_t* ids, int64_t T, int64_t B, const float* h0,
                                     const float* c0, float* y, int64_t ldy, float* hT, float* cT) {
  check_ids(ids, T * B, input_size_, "one-hot input: ", "input classes");
  prepare_input_columns();
  forward_sequence(nullptr, 0, ids, ih_columns_.data(), T, B, h0, c0, y, ldy, hT, cT, false);
}

bool RecurrentLayer::embedded_table_suits(int64_t V) const {
  return V * gate_count(cell_) * hidden_size_ <= kMaxEmbeddedTableFloats;
}

void RecurrentLayer::forward_embedded(const float* embedding, int64_t V, const int32_t* ids,
                                      int64_t T, int64_t B, const float* h0, const float* c0,
                                      float* y, int64_t ldy, float* hT, float* cT) {
  check_ids(ids, T * B, V, "", "tokens of the vocabulary");
  prepare_embedded_table(embedding, V);
  forward_sequence(nullptr, 0, ids, embedded_table_.data(), T, B, h0, c0, y, ldy, hT, cT, true);
}

const float* RecurrentLayer::input_bias_hh() {
  return cell_.type().separate_hidden_product ? nullptr : bias_hh.value.data();
}

void RecurrentLayer::forward_sequence(const float* x, int64_t ldx, const int32_t* ids,
                                      const float* columns, int64_t T, int64_t B, const float* h0,
                                      const float* c0, float* y, int64_t ldy, float* hT, float* cT,
                                      bool forward_only) {
  const CellType& type = cell_.type();
  const int64_t H = hidden_size_, S = state_size(), GH = type.gate_count * H;
  const int64_t BH = B * H, BS = B * S;
  input_ = x;
  ids_ = ids;
  input_columns_ = columns;
  ldx_ = ldx;
  steps_ = T;
  batch_ = B;
  forward_only_ = forward_only;
  // The dense input's product fills every step's gates at once.
  const int64_t kept_steps = forward_only ? 1 : T, states = forward_only ? 2 : T + 1;
  gates_.resize({x ? T : kept_steps, B, GH});
  hidden_.resize({states, B, S});
  if (type.has_cell_state) cell_state_.resize({states, B, H});
  if (type.separate_hidden_product) {
    aux_.resize({kept_steps, B, H});
    hproj_.resize({B, GH});
  }
  if (proj_size_) cell_output_.resize({kept_steps, B, H});

  row_products_ = B == 1 || (T == 1 && B <= kMaxStepRows);
  if (!ids) {
    if (T == 1 && row_products_)
      ih_row_.multiply_rows(B, GH, input_size_, weight_ih.value.data(), x, ldx, 0.0f, gates_.data(),
                            GH);
    else
      gemm(Trans::No, Trans::Yes, T * B, GH, input_size_, 1.0f, x, ldx, weight_ih.value.data(),
           input_size_, 0.0f, gates_.data(), GH);
    // The biases are added by the steps (forward_rows), to rows the step's product then reads
    // from the cache.
  }

  const int64_t first = slot(reverse_ ? T : 0);
  float* hidden = hidden_.data();
  if (h0)
    rows::copy(B, S, h0, S, hidden + first * BS, S);
  else
    rows::zero(B, S, hidden + first * BS, S);
  if (type.has_cell_state) {
    if (c0)
      rows::copy(B, H, c0, H, cell_state_.data() + first * BH, H);
    else
      rows::zero(B, H, cell_state_.data() + first * BH, H);
  }

  // Packing W_hh pays off over the steps of a sequence; single steps (generation) keep the plain
  // product (a float32 GEMV for one row).
  packed_ = T > 1 && B > 1;
  if (packed_) hh_forward_.pack(Trans::Yes, S, GH, weight_hh.value.data(), S);
  // One slice for row products: a SingleRowProduct serves one thread.
  for_each_slice(B, row_products_ ? 1 : batch_slices(B, GH, S),
                 [&](int64_t b0, int64_t n) { forward_rows(b0, n, y, ldy, h0 == nullptr); });

  const int64_t last = slot(reverse_ ? 0 : T);
  if (hT) rows::copy(B, S, hidden + last * BS, S, hT, S);
  if (cT && type.has_cell_state) rows::copy(B, H, cell_state_.data() + last * BH, H, cT, H);
}

void RecurrentLayer::prepare_input_columns() {
  const int64_t V = input_size_, GH = gate_count(cell_) * hidden_size_;
  // W_ih's columns become rows once, with the biases added as the dense path adds them to each
  // product row (x + 0 terms are exact): every gate row is then one of these rows, read where it
  // is by the step's product (the C it adds to) or by a cell whose hidden product is separate.
  // Transposing reads W_ih once, as a single row's product would.
  ih_columns_.resize({V, GH});
  const float* w = weight_ih.value.data();
  float* columns = ih_columns_.data();
  for (int64_t g = 0; g < GH; ++g)
    for (int64_t v = 0; v < V; ++v) columns[v * GH + g] = w[g * V + v];
  rows::add_bias(V, GH, columns, GH, bias_ih.value.data(), input_bias_hh());
}

void RecurrentLayer::prepare_embedded_table(const float* embedding, int64_t V) {
  const int64_t E = input_size_, GH = gate_count(cell_) * hidden_size_;
  const WeightsStamp now = WeightsStamp::now(embedding, V, E, matmul_precision());
  if (now == embedded_stamp_) return;
  embedded_table_.resize({V, GH});
  gemm(Trans::No, Trans::Yes, V, GH, E, 1.0f, embedding, E, weight_ih.value.data(), E, 0.0f,
       embedded_table_.data(), GH);
  rows::add_bias(V, GH, embedded_table_.data(), GH, bias_ih.value.data(), input_bias_hh());
  embedded_stamp_ = now;
}

void RecurrentLayer::scatter_weight_ih_grad() {
  const int64_t V = input_size_, GH = gate_count(cell_) * hidden_size_, N = steps_ * batch_;
  // Summed per class in row order (deterministic), in contiguous rows of dW_ih^T, then added to
  // dW_ih's columns.
  ih_columns_.resize({V, GH});
  ih_columns_.zero();
  float* columns = ih_columns_.data();
  const float* dgates = gates_.data();
  float* grad = weight_ih.grad.data();
  rows::for_column_blocks(N, GH, [&](int64_t g0, int64_t g1) {
    rows::scatter_add_rows(N, g1 - g0, dgates + g0, GH, ids_, columns + g0, GH);
    for (int64_t g = g0; g < g1; ++g)
      for (int64_t v = 0; v < V; ++v) grad[g * V + v] += columns[v * GH + g];
  });
}

void RecurrentLayer::forward_rows(int64_t b0, int64_t n, float* y, int64_t ldy, bool zero_start) {
  const CellType& type = cell_.type();
  const int64_t T = steps_, B = batch_, H = hidden_size_, S = state_size();
  const int64_t GH = type.gate_count * H, BH = B * H, BS = B * S;
  float* hidden = hidden_.data() + b0 * S;
  float* cells = type.has_cell_state ? cell_state_.data() + b0 * H : nullptr;
  float* hproj = type.separate_hidden_product ? hproj_.data() + b0 * GH : nullptr;
  // Token ids' input rows are rows of input_columns_, read where they are: by a cell with a
  // separate hidden product, or by the step's product as the C it adds to.
  std::vector<const float*> input_rows(ids_ ? n : 0);
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = time_of_step(s);
    CellForwardStep step{};
    step.n = n;
    step.H = H;
    step.gates = gates_.data() + ((ids_ ? kept_step(t) : t) * B + b0) * GH;
    for (int64_t i = 0; ids_ && i < n; ++i)
      input_rows[i] = input_columns_ + ids_[t * B + b0 + i] * GH;
    const float* const* rows_in = ids_ ? input_rows.data() : nullptr;
    if (!ids_) rows::add_bias(n, GH, step.gates, GH, bias_ih.value.data(), input_bias_hh());
    step.h_prev = hidden + prev_slot(t) * BS;
    float* h_next = hidden + next_slot(t) * BS;
    step.h = proj_size_ ? cell_output_.data() + (kept_step(t) * B + b0) * H : h_next;
    if (cells) {
      step.c_prev = cells + prev_slot(t) * BH;
      step.c = cells + next_slot(t) * BH;
    }
    // From a zero state the first step's product adds nothing to its C (a sequence's T-th of
    // the forward products: a poem's, a forecasting window's).
    const bool from_zero = s == 0 && zero_start;
    if (hproj) {
      if (from_zero)
        rows::zero(n, GH, hproj, GH);
      else
        hidden_product(n, step.h_prev, 0.0f, hproj);
      step.input_rows = rows_in;
      step.hproj = hproj;
      step.bias_hh = bias_hh.value.data();
      step.aux = aux_.data() + kept_step(t) * BH + b0 * H;
    } else if (!from_zero) {
      hidden_product(n, step.h_prev, 1.0f, step.gates, rows_in);
    } else if (rows_in) {
      rows::copy_rows(n, GH, rows_in, step.gates, GH);
    }
    type.forward_step(step);
    if (proj_size_) projection_product(n, step.h, h_next);
    rows::copy(n, S, h_next, S, y + (t * B + b0) * ldy, ldy);
  }
}

void RecurrentLayer::backward(const float* dy, int64_t ldy, const float* dhT, const float* dcT,
                              float* dx, int64_t ldx, bool accumulate_dx, float* dh0, float* dc0) {
  if (input_ == nullptr && ids_ == nullptr)
    throw Error("RecurrentLayer::backward called without a forward pass");
  if (forward_only_)
    throw Error(
        "RecurrentLayer::backward after a forward-only pass (forward_embedded, or forward with "
        "forward_only), which keeps no activations");
  if (ids_ && dx)
    throw Error(
        "RecurrentLayer::backward: no input gradient (dx) after a one-hot forward pass: "
        "token ids have none");
  const CellType& type = cell_.type();
  const int64_t T = steps_, B = batch_, H = hidden_size_, S = state_size(), P = proj_size_;
  const int64_t GH = type.gate_count * H, BS = B * S, I = input_size_, N = T * B;
  const bool separate = type.separate_hidden_product;
  dh_carry_.resize({B, S});
  if (dhT)
    rows::copy(B, S, dhT, S, dh_carry_.data(), S);
  else
    dh_carry_.zero();
  if (type.has_cell_state) {
    dc_carry_.resize({B, H});
    if (dcT)
      rows::copy(B, H, dcT, H, dc_carry_.data(), H);
    else
      dc_carry_.zero();
  }
  if (separate) dhproj_.resize({T, B, GH});
  if (P) {
    dproj_.resize({T, B, P});
    dcell_out_.resize({B, H});
    no_dh_next_.resize({B, H});
    no_dh_next_.zero();
  }
  if (packed_) hh_backward_.pack(Trans::No, GH, S, weight_hh.value.data(), S);

  for_each_slice(B, batch_slices(B, GH, S),
                 [&](int64_t b0, int64_t n) { backward_rows(b0, n, dy, ldy, dh0 != nullptr); });

  const float* h_prev_block = hidden_.data() + (reverse_ ? BS : 0);
  const float* dhp_all = separate ? dhproj_.data() : gates_.data();
  // The biases' gradients are the column sums of the pre-activation gradients. After token ids
  // the scatter for dW_ih has summed those rows per class: its V rows have the same sums.
  if (ids_) scatter_weight_ih_grad();
  const int64_t summed = ids_ ? I : N;
  const float* dgates_rows = ids_ ? ih_columns_.data() : gates_.data();
  // Where the hidden side's gradients are the input side's (every gate unless the hidden product
  // is separate), one pass serves both biases.
  const int64_t shared = separate ? type.shared_gradient_gates * H : GH;
  rows::add_column_sums(summed, shared, dgates_rows, GH, bias_ih.grad.data(), bias_hh.grad.data());
  if (shared < GH) {
    rows::add_column_sums(summed, GH - shared, dgates_rows + shared, GH,
                          bias_ih.grad.data() + shared);
    rows::add_column_sums(N, GH - shared, dhp_all + shared, GH, bias_hh.grad.data() + shared);
  }
  if (P)
    gemm(Trans::Yes, Trans::No, P, H, N, 1.0f, dproj_.data(), P, cell_output_.data(), H, 1.0f,
         weight_hr.grad.data(), H);
  // Each operand is prepared once (in bfloat16, rounded once), though the pre-activation
  // gradients feed three products.
  GradientOperands& op = gradient_operands();
  op.gates.prepare(N, GH, gates_.data(), GH);
  if (separate) op.dhproj.prepare(N, GH, dhp_all, GH);
  const MatmulOperand& dhp = separate ? op.dhproj : op.gates;
  op.h_prev.prepare(N, S, h_prev_block, S);
  gemm(Trans::Yes, Trans::No, 1.0f, dhp, op.h_prev, 1.0f, weight_hh.grad.data(), S);
  if (!ids_) {
    op.input.prepare(N, I, input_, ldx_);
    gemm(Trans::Yes, Trans::No, 1.0f, op.gates, op.input, 1.0f, weight_ih.grad.data(), I);
  }
  if (dx) {
    op.weight_ih.prepare(GH, I, weight_ih.value.data(), I);
    gemm(Trans::No, Trans::No, 1.0f, op.gates, op.weight_ih, accumulate_dx ? 1.0f : 0.0f, dx, ldx);
  }
  if (dh0) rows::copy(B, S, dh_carry_.data(), S, dh0, S);
  if (dc0 && type.has_cell_state) rows::copy(B, H, dc_carry_.data(), H, dc0, H);
  input_ = nullptr;
  ids_ = nullptr;
}

void RecurrentLayer::backward_rows(int64_t b0, int64_t n, const float* dy, int64_t ldy,
                                   bool keeps_dh0) {
  const CellType& type = cell_.type();
  const int64_t T = steps_, B = batch_, H = hidden_size_, S = state_size(), P = proj_size_;
  const int64_t GH = type.gate_count * H, BH = B * H, BS = B * S;
  const float* hidden = hidden_.data() + b0 * S;
  const float* cells = type.has_cell_state ? cell_state_.data() + b0 * H : nullptr;
  float* dh = dh_carry_.data() + b0 * S;
  float* dc = type.has_cell_state ? dc_carry_.data() + b0 * H : nullptr;
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = time_of_step(s);
    CellBackwardStep step{};
    step.n = n;
    step.H = H;
    step.gates = gates_.data() + (t * B + b0) * GH;
    step.h_prev = hidden + prev_slot(t) * BS;
    if (cells) {
      step.c_prev = cells + prev_slot(t) * BH;
      step.c = cells + next_slot(t) * BH;
    }
    step.dy = dy + (t * B + b0) * ldy;
    step.ldy = ldy;
    step.dh = dh;
    step.dc = dc;
    if (type.separate_hidden_product) {
      step.aux = aux_.data() + t * BH + b0 * H;
      step.dhproj = dhproj_.data() + (t * B + b0) * GH;
    }
    if (P) {
      // The gradient of the projected h (kept for dW_hr) goes back through W_hr to h_cell, which
      // then is the cell's whole output gradient.
      float* dp = dproj_.data() + (t * B + b0) * P;
      for (int64_t b = 0; b < n; ++b)
        for (int64_t j = 0; j < P; ++j) dp[b * P + j] = step.dy[b * ldy + j] + dh[b * S + j];
      float* dcell = dcell_out_.data() + b0 * H;
      gemm(Trans::No, Trans::No, n, H, P, 1.0f, dp, P, weight_hr.value.data(), H, 0.0f, dcell, H);
      step.dy = dcell;
      step.ldy = H;
      step.dh = no_dh_next_.data() + b0 * H;
    }
    type.backward_step(step);
    // The last step's product carries the gradient to h0 only (a sequence's T-th of the
    // backward's per-step products).
    if (s == 0 && !keeps_dh0) break;
    if (type.separate_hidden_product)
      hidden_grad_product(n, step.dhproj, 1.0f, dh);
    else
      hidden_grad_product(n, step.gates, 0.0f, dh);
  }
}

}  // namespace rnnkit
