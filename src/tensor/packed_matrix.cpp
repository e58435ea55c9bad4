#include "rnnkit/packed_matrix.h"

#include <atomic>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "tensor/onednn_matmul.h"
#include "tensor/panel_product.h"
#include "tensor/row_ops.h"

namespace rnnkit {

using onednn::data_type;

struct PackedMatrix::Impl {
  Trans trans_b = Trans::No;
  int64_t K = 0, N = 0, ldb = 0;
  const float* B = nullptr;
  Precision precision = Precision::F32;
  std::mutex mutex;
  // One primitive per (rows, beta, thread count: onednn::creation_threads); the packed weights
  // once per layout the primitives ask for.
  std::map<std::tuple<int64_t, float, int>, onednn::Matmul> matmuls;
  onednn::PackedLayouts packed;
  // Float32 products small enough for oneDNN's cost per call to matter run rnnkit's panel
  // kernel (panel_product.h), on panels packed at pack() (by all threads, before the batch
  // slices start) when a product of this B with a typical slice of 16 rows is that small: a
  // larger B would be packed for the few products of fewer rows (measured: 3% of an LSTM step).
  CacheAlignedVector<float> panels;
  bool panels_packed = false;
  // The panel kernel's products take the panels in turn in either order (PanelOrder); batch
  // slices that multiply at the same time may take either, which changes no output.
  std::atomic<uint64_t> products{0};

  // The primitive for M rows and this beta, and the weights packed in the layout it reads.
  std::pair<const onednn::Matmul*, void*> matmul_for(int64_t M, float beta) {
    std::lock_guard<std::mutex> lock(mutex);
    const std::tuple key{M, beta, onednn::creation_threads()};
    auto it = matmuls.find(key);
    if (it == matmuls.end()) {
      const data_type type = precision == Precision::BF16 ? data_type::bf16 : data_type::f32;
      const dnnl::memory::desc a({M, K}, type, dnnl::memory::format_tag::ab);
      const dnnl::memory::desc b({K, N}, type, dnnl::memory::format_tag::any);
      const dnnl::memory::desc c({M, N}, data_type::f32, dnnl::memory::format_tag::ab);
      const auto pd = onednn::matmul_desc(a, b, c, 1.0f, beta);
      it = matmuls
               .emplace(key, onednn::Matmul{dnnl::matmul(pd), a, pd.weights_desc(), c,
                                            pd.scratchpad_desc()})
               .first;
    }
    return {&it->second,
            packed.get(it->second.b, onednn::matrix_desc(K, N, data_type::f32, trans_b, ldb), B)};
  }
};

PackedMatrix::PackedMatrix() : impl_(std::make_unique<Impl>()) {}
PackedMatrix::~PackedMatrix() = default;

void PackedMatrix::pack(Trans trans_b, int64_t K, int64_t N, const float* B, int64_t ldb) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const Precision precision = matmul_precision();
  Impl& p = *impl_;
  if (p.trans_b != trans_b || p.K != K || p.N != N || p.precision != precision) p.matmuls.clear();
  p.trans_b = trans_b;
  p.K = K;
  p.N = N;
  p.ldb = ldb;
  p.B = B;
  p.precision = precision;
  p.packed.clear();
  p.panels_packed = precision == Precision::F32 && panel_product::suits(16, N, K);
  if (p.panels_packed) panel_product::pack(trans_b, K, N, B, ldb, p.panels);
}

size_t PackedMatrix::primitive_count() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->matmuls.size();
}

void PackedMatrix::multiply(int64_t M, const float* A, int64_t lda, float beta, float* C,
                            int64_t ldc, const float* const* c_rows) {
  Impl& p = *impl_;
  if (M == 0) return;
  if (p.B == nullptr) throw Error("PackedMatrix::multiply before pack()");
  if (p.panels_packed && panel_product::suits(M, p.N, p.K)) {
    const bool odd = p.products.fetch_add(1, std::memory_order_relaxed) % 2;
    panel_product::multiply(
        M, p.N, p.K, p.panels.data(), A, lda, beta, C, ldc, c_rows,
        odd ? panel_product::PanelOrder::Descending : panel_product::PanelOrder::Ascending);
    return;
  }
  if (c_rows) rows::copy_rows(M, p.N, c_rows, C, ldc);
  const bool rounds = p.precision == Precision::BF16;
  // The primitives read dense rows; other strides go through the plain product.
  if (ldc != p.N || (!rounds && lda != p.K)) {
    gemm(Trans::No, p.trans_b, M, p.N, p.K, 1.0f, A, lda, p.B, p.ldb, beta, C, ldc);
    return;
  }
  const auto [matmul, weights] = p.matmul_for(M, beta);
  if (rounds) {
    thread_local std::vector<bf16> a16;
    a16.resize(static_cast<size_t>(M * p.K));
    round_to_bf16(M, p.K, A, lda, a16.data(), p.K);
    onednn::execute(*matmul, a16.data(), weights, C);
  } else {
    onednn::execute(*matmul, A, weights, C);
  }
}

}  // namespace rnnkit
