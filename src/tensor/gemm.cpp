#include "rnnkit/gemm.h"

#include <dnnl.h>
#include <immintrin.h>
#include <omp.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <dnnl.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "rnnkit/error.h"
#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

std::atomic<Precision> precision{Precision::F32};
std::atomic<bool> threads_pinned{false};
// Copies made at an older epoch are stale; a new SingleRowProduct (epoch 0) has none.
std::atomic<uint64_t> weights_epoch{1};

double monotonic_seconds() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// CPU seconds the whole machine spent busy (all but idle and iowait, from /proc/stat) and this
// process's own CPU seconds, at wall time `wall`.
struct LoadSample {
  double wall, busy, self;
};

std::optional<LoadSample> sample_load(double wall) {
  std::FILE* f = std::fopen("/proc/stat", "r");
  if (!f) return std::nullopt;
  unsigned long long v[8] = {};
  const int read = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (read != 8) return std::nullopt;
  const double ticks = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
  timespec self{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &self);
  return LoadSample{wall, ticks / static_cast<double>(sysconf(_SC_CLK_TCK)),
                    static_cast<double>(self.tv_sec) + 1e-9 * static_cast<double>(self.tv_nsec)};
}

std::string shape_of(int64_t M, int64_t N, int64_t K) {
  return std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K);
}

inline float widen(float w) {
  return w;
}
inline float widen(bf16 w) {
  return from_bf16(w);
}

// y[N] = alpha * W[N,K] x[K] + beta * y. Batch-1 generation reads the weights once per token,
// so this is bound by memory bandwidth; oneDNN's sgemm is not tuned for M = 1. Eight rows at a
// time give eight independent accumulation chains (one row alone waits on its FMA latency) and
// share each load of x. Weights stored as bfloat16 are widened exactly and summed in float32,
// for half the bytes. The block is inlined into each vector kernel so that it is compiled for
// the kernel's instruction set.
constexpr int64_t kGemvRows = 8;

template <typename Weight>
[[gnu::always_inline]] inline void gemv_block(int64_t n0, int64_t rows, int64_t K, float alpha,
                                              const Weight* W, int64_t ldw, const float* x,
                                              float beta, float* y) {
  float acc[kGemvRows] = {};
  if (rows == kGemvRows) {
    const Weight* w = W + n0 * ldw;
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3, a4, a5, a6, a7)
    for (int64_t k = 0; k < K; ++k) {
      const float xk = x[k];
      a0 += widen(w[k]) * xk;
      a1 += widen(w[ldw + k]) * xk;
      a2 += widen(w[2 * ldw + k]) * xk;
      a3 += widen(w[3 * ldw + k]) * xk;
      a4 += widen(w[4 * ldw + k]) * xk;
      a5 += widen(w[5 * ldw + k]) * xk;
      a6 += widen(w[6 * ldw + k]) * xk;
      a7 += widen(w[7 * ldw + k]) * xk;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3, acc[4] = a4, acc[5] = a5, acc[6] = a6,
    acc[7] = a7;
  } else {
    for (int64_t r = 0; r < rows; ++r) {
      const Weight* w = W + (n0 + r) * ldw;
      float a = 0;
#pragma omp simd reduction(+ : a)
      for (int64_t k = 0; k < K; ++k) a += widen(w[k]) * x[k];
      acc[r] = a;
    }
  }
  for (int64_t r = 0; r < rows; ++r)
    y[n0 + r] = alpha * acc[r] + (beta == 0.0f ? 0.0f : beta * y[n0 + r]);
}

// Each core streams its own share of the rows: from 512 KB of float32 weights (a recurrent
// layer of 256) on, the second core's bandwidth is worth more than waking it.
constexpr int64_t kParallelGemv = 1 << 17;

RNNKIT_VECTOR_KERNEL void gemv_f32(int64_t N, int64_t K, float alpha, const float* W, int64_t ldw,
                                   const float* x, float beta, float* y) {
  const int64_t blocks = (N + kGemvRows - 1) / kGemvRows;
#pragma omp parallel for schedule(static) if (N * K >= kParallelGemv)
  for (int64_t b = 0; b < blocks; ++b)
    gemv_block(b * kGemvRows, std::min(kGemvRows, N - b * kGemvRows), K, alpha, W, ldw, x, beta, y);
}

RNNKIT_VECTOR_KERNEL void gemv_bf16_portable(int64_t N, int64_t K, const bf16* W, const float* x,
                                             float beta, float* y) {
  const int64_t blocks = (N + kGemvRows - 1) / kGemvRows;
#pragma omp parallel for schedule(static) if (N * K >= kParallelGemv)
  for (int64_t b = 0; b < blocks; ++b)
    gemv_block(b * kGemvRows, std::min(kGemvRows, N - b * kGemvRows), K, 1.0f, W, K, x, beta, y);
}

#if defined(__x86_64__)
// The bfloat16 GEMV with AVX-512 intrinsics (their masked forms: GCC 12 warns about the
// unmasked ones' undefined pass-through operand): GCC vectorises the portable loop's widening with
// 256-bit halves and spills, at about the speed of the float32 GEMV; here each 16 weights are
// one zero-extending load, one shift and one FMA, fast enough to leave memory the limit.
[[gnu::target("avx512f")]] void gemv_bf16_avx512(int64_t N, int64_t K, const bf16* W,
                                                 const float* x, float beta, float* y) {
  const int64_t blocks = (N + kGemvRows - 1) / kGemvRows, K16 = K / 16 * 16;
#pragma omp parallel for schedule(static) if (N * K >= kParallelGemv)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t n0 = b * kGemvRows;
    if (N - n0 < kGemvRows) {
      gemv_block(n0, N - n0, K, 1.0f, W, K, x, beta, y);
      continue;
    }
    __m512 acc[kGemvRows];
    for (int64_t r = 0; r < kGemvRows; ++r) acc[r] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K16; k += 16) {
      const __m512 xv = _mm512_loadu_ps(x + k);
      for (int64_t r = 0; r < kGemvRows; ++r) {
        const __m256i w16 =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(W + (n0 + r) * K + k));
        const __m512i widened = _mm512_maskz_cvtepu16_epi32(0xffff, w16);
        const __m512 w = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, widened, 16));
        acc[r] = _mm512_fmadd_ps(w, xv, acc[r]);
      }
    }
    for (int64_t r = 0; r < kGemvRows; ++r) {
      alignas(64) float lanes[16];
      _mm512_store_ps(lanes, acc[r]);
      float sum = 0.0f;
      for (float lane : lanes) sum += lane;
      for (int64_t k = K16; k < K; ++k) sum += from_bf16(W[(n0 + r) * K + k]) * x[k];
      y[n0 + r] = sum + (beta == 0.0f ? 0.0f : beta * y[n0 + r]);
    }
  }
}
#endif

void gemv_bf16(int64_t N, int64_t K, const bf16* W, const float* x, float beta, float* y) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) return gemv_bf16_avx512(N, K, W, x, beta, y);
#endif
  gemv_bf16_portable(N, K, W, x, beta, y);
}

RNNKIT_VECTOR_KERNEL void round_rows(int64_t rows, int64_t cols, const float* src, int64_t lds,
                                     bf16* dst, int64_t ldd) {
#pragma omp parallel for schedule(static) if (rows * cols >= (1 << 20))
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * lds;
    bf16* d = dst + r * ldd;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) d[c] = to_bf16(s[c]);
  }
}

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

using dnnl_dt = dnnl::memory::data_type;

dnnl::memory::desc matrix_desc(int64_t rows, int64_t cols, dnnl_dt type, Trans t, int64_t ld) {
  return {
      {rows, cols}, type, t == Trans::No ? dnnl::memory::dims{ld, 1} : dnnl::memory::dims{1, ld}};
}

// A matmul primitive for C = alpha * A B + beta * C. Its scratchpad is the caller's, so that
// threads can run one primitive concurrently (oneDNN's own scratchpad is shared).
dnnl::matmul::primitive_desc matmul_desc(const dnnl::memory::desc& a, const dnnl::memory::desc& b,
                                         const dnnl::memory::desc& c, float alpha, float beta) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  if (beta != 0.0f) {
    dnnl::post_ops sum;
    sum.append_sum(beta);
    attr.set_post_ops(sum);
  }
  try {
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), attr, cpu_engine());
  } catch (const dnnl::error& e) {
    throw Error("matrix product " + shape_of(a.dims()[0], c.dims()[1], a.dims()[1]) +
                " is not supported here: " + e.what());
  }
}

struct Matmul {
  dnnl::matmul primitive;
  dnnl::memory::desc a, b, c, scratchpad;
};

void execute(const Matmul& m, const void* A, const void* B, float* C) {
  thread_local std::vector<uint8_t> scratch;
  thread_local dnnl::stream stream(cpu_engine());
  const size_t bytes = m.scratchpad.get_size();
  if (scratch.size() < bytes) scratch.resize(bytes);
  dnnl::engine& engine = cpu_engine();
  dnnl::memory a(m.a, engine, const_cast<void*>(A)), b(m.b, engine, const_cast<void*>(B)),
      c(m.c, engine, C);
  dnnl::memory pad(m.scratchpad, engine, scratch.data());
  m.primitive.execute(
      stream,
      {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}, {DNNL_ARG_SCRATCHPAD, pad}});
  stream.wait();
}

// bf16 matmul primitives, one per product shape: creating one costs far more than running a
// per-step product, and the shapes of a training run repeat.
class Bf16Matmuls {
 public:
  void run(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const bf16* A,
           int64_t lda, const bf16* B, int64_t ldb, float beta, float* C, int64_t ldc) {
    const Matmul* m = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const Key key{ta, tb, M, N, K, lda, ldb, ldc, alpha, beta};
      auto it = cache_.find(key);
      if (it == cache_.end()) {
        const auto a = matrix_desc(M, K, dnnl_dt::bf16, ta, lda),
                   b = matrix_desc(K, N, dnnl_dt::bf16, tb, ldb);
        const auto c = matrix_desc(M, N, dnnl_dt::f32, Trans::No, ldc);
        const auto pd = matmul_desc(a, b, c, alpha, beta);
        it = cache_.emplace(key, Matmul{dnnl::matmul(pd), a, b, c, pd.scratchpad_desc()}).first;
      }
      m = &it->second;
    }
    execute(*m, A, B, C);
  }

 private:
  using Key =
      std::tuple<Trans, Trans, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float, float>;
  std::mutex mutex_;
  std::map<Key, Matmul> cache_;
};

Bf16Matmuls& bf16_matmuls() {
  static Bf16Matmuls matmuls;
  return matmuls;
}

// Rounds op(X) ([rows, cols] after the transposition) into a dense bf16 copy that keeps X's
// layout, so the product can read it with the same transposition.
const bf16* rounded(Trans t, int64_t rows, int64_t cols, const float* X, int64_t ldx,
                    std::vector<bf16>& out) {
  const int64_t r = t == Trans::No ? rows : cols, c = t == Trans::No ? cols : rows;
  out.resize(static_cast<size_t>(r * c));
  round_rows(r, c, X, ldx, out.data(), c);
  return out.data();
}

}  // namespace

bf16 to_bf16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<bf16>((bits >> 16) | 0x40u);  // quiet NaN
  return static_cast<bf16>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

void round_to_bf16(int64_t rows, int64_t cols, const float* src, int64_t lds, bf16* dst,
                   int64_t ldd) {
  round_rows(rows, cols, src, lds, dst, ldd);
}

void gemm_bf16(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const bf16* A, int64_t lda, const bf16* B, int64_t ldb, float beta, float* C,
               int64_t ldc) {
  if (M == 0 || N == 0) return;
  bf16_matmuls().run(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (M == 1 && trans_b == Trans::Yes) {
    gemv_f32(N, K, alpha, B, ldb, A, beta, C);
    return;
  }
  if (precision.load(std::memory_order_relaxed) == Precision::BF16 && M > 1 && K > 0) {
    thread_local std::vector<bf16> a16, b16;
    const bf16* a = rounded(trans_a, M, K, A, lda, a16);
    const bf16* b = rounded(trans_b, K, N, B, ldb, b16);
    gemm_bf16(trans_a, trans_b, M, N, K, alpha, a, trans_a == Trans::No ? K : M, b,
              trans_b == Trans::No ? N : K, beta, C, ldc);
    return;
  }
  dnnl_status_t status =
      dnnl_sgemm(trans_a == Trans::Yes ? 'T' : 'N', trans_b == Trans::Yes ? 'T' : 'N', M, N, K,
                 alpha, A, lda, B, ldb, beta, C, ldc);
  if (status != dnnl_success)
    throw Error("sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") for " +
                shape_of(M, N, K));
}

void SingleRowProduct::multiply(int64_t N, int64_t K, const float* W, const float* x, float beta,
                                float* y) {
  if (precision.load(std::memory_order_relaxed) != Precision::BF16) {
    gemv_f32(N, K, 1.0f, W, K, x, beta, y);
    return;
  }
  const uint64_t epoch = weights_epoch.load();
  if (epoch != epoch_ || W != source_ || N != rows_ || K != cols_) {
    copy_.resize(static_cast<size_t>(N * K));
    round_rows(N, K, W, K, copy_.data(), K);
    source_ = W;
    rows_ = N;
    cols_ = K;
    epoch_ = epoch;
  }
  gemv_bf16(N, K, copy_.data(), x, beta, y);
}

void note_weights_changed() {
  weights_epoch.fetch_add(1);
}

struct PackedMatrix::Impl {
  Trans trans_b = Trans::No;
  int64_t K = 0, N = 0, ldb = 0;
  const float* B = nullptr;
  bool use_bf16 = false;
  std::mutex mutex;
  // One primitive per (rows, beta); the packed weights once per layout the primitives ask for.
  std::map<std::pair<int64_t, float>, Matmul> matmuls;
  std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> packed;

  void* packed_for(const dnnl::memory::desc& layout) {
    for (const auto& [desc, memory] : packed)
      if (desc == layout) return memory.get_data_handle();
    dnnl::engine& engine = cpu_engine();
    dnnl::memory source(matrix_desc(K, N, dnnl_dt::f32, trans_b, ldb), engine,
                        const_cast<float*>(B));
    dnnl::memory target(layout, engine);
    dnnl::stream stream(engine);
    dnnl::reorder(source, target).execute(stream, source, target);
    stream.wait();
    packed.emplace_back(layout, target);
    return target.get_data_handle();
  }

  // The primitive for M rows and this beta, and the weights packed in the layout it reads.
  std::pair<const Matmul*, void*> matmul_for(int64_t M, float beta) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = matmuls.find({M, beta});
    if (it == matmuls.end()) {
      const dnnl_dt type = use_bf16 ? dnnl_dt::bf16 : dnnl_dt::f32;
      const dnnl::memory::desc a({M, K}, type, dnnl::memory::format_tag::ab);
      const dnnl::memory::desc b({K, N}, type, dnnl::memory::format_tag::any);
      const dnnl::memory::desc c({M, N}, dnnl_dt::f32, dnnl::memory::format_tag::ab);
      const auto pd = matmul_desc(a, b, c, 1.0f, beta);
      it = matmuls
               .emplace(std::pair{M, beta},
                        Matmul{dnnl::matmul(pd), a, pd.weights_desc(), c, pd.scratchpad_desc()})
               .first;
    }
    return {&it->second, packed_for(it->second.b)};
  }
};

PackedMatrix::PackedMatrix() : impl_(std::make_unique<Impl>()) {}
PackedMatrix::~PackedMatrix() = default;

void PackedMatrix::pack(Trans trans_b, int64_t K, int64_t N, const float* B, int64_t ldb) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const bool use_bf16 = precision.load() == Precision::BF16;
  Impl& p = *impl_;
  if (p.trans_b != trans_b || p.K != K || p.N != N || p.use_bf16 != use_bf16) p.matmuls.clear();
  p.trans_b = trans_b;
  p.K = K;
  p.N = N;
  p.ldb = ldb;
  p.B = B;
  p.use_bf16 = use_bf16;
  p.packed.clear();
}

void PackedMatrix::multiply(int64_t M, const float* A, int64_t lda, float beta, float* C,
                            int64_t ldc) {
  Impl& p = *impl_;
  if (M == 0) return;
  if (p.B == nullptr) throw Error("PackedMatrix::multiply before pack()");
  // The primitives read dense rows; other strides go through the plain product.
  if (ldc != p.N || (!p.use_bf16 && lda != p.K)) {
    gemm(Trans::No, p.trans_b, M, p.N, p.K, 1.0f, A, lda, p.B, p.ldb, beta, C, ldc);
    return;
  }
  const auto [matmul, weights] = p.matmul_for(M, beta);
  if (p.use_bf16) {
    thread_local std::vector<bf16> a16;
    a16.resize(static_cast<size_t>(M * p.K));
    round_rows(M, p.K, A, lda, a16.data(), p.K);
    execute(*matmul, a16.data(), weights, C);
  } else {
    execute(*matmul, A, weights, C);
  }
}

void set_matmul_precision(Precision p) {
  if (p == Precision::BF16) {
    const auto isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
    const auto needed = static_cast<unsigned>(dnnl_cpu_isa_avx512_core_bf16);
    if ((isa & needed) != needed)
      throw Error(
          "bf16 matrix products need a CPU with AVX512_BF16 (and oneDNN allowed to use it)");
  }
  precision.store(p);
}

Precision matmul_precision() {
  return precision.load();
}

void set_num_threads(int threads) {
  if (threads < 1) throw Error("thread count must be at least 1, got " + std::to_string(threads));
  threads_pinned.store(true);
  omp_set_num_threads(threads);
}

void adapt_threads_to_load() {
  if (threads_pinned.load()) return;
  static std::mutex mutex;
  static std::optional<LoadSample> last;
  std::lock_guard<std::mutex> lock(mutex);
  const double now = monotonic_seconds();
  // /proc/stat counts in ticks of 10 ms: half a second of two cores is 100 of them.
  if (last && now - last->wall < 0.5) return;
  const std::optional<LoadSample> sample = sample_load(now);
  if (!sample) return;
  if (last) {
    const double wall = sample->wall - last->wall;
    const double foreign =
        std::max(0.0, (sample->busy - last->busy) - (sample->self - last->self)) / wall;
    const int cores = omp_get_num_procs();
    omp_set_num_threads(std::clamp(static_cast<int>(std::lround(cores - foreign)), 1, cores));
  }
  last = sample;
}

int num_threads() {
  return omp_get_max_threads();
}

}  // namespace rnnkit
