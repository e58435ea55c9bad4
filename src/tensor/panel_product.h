#pragma once
#include <cstdint>

#include "rnnkit/bf16.h"
#include "rnnkit/cache_aligned.h"
#include "rnnkit/trans.h"

// rnnkit's own float32 kernel for the small products of a recurrent time loop, C[M,N] = A[M,K]
// B[K,N] + beta * C with a batch slice of rows and B reused for every step (W_hh). oneDNN's matmul
// costs about 2 microseconds a call around its kernel (memory objects, argument maps, its execution
// context): a tenth of the 15-microsecond step of a small layer (16 rows of a 256-wide RNN), where
// this kernel, with no such cost, is faster. On the slices of an LSTM or GRU of 256 it is too on a
// Zen 4 host (16 rows on each of two threads: the d2l LSTM step 8% faster, the GRU's 15%; 64 rows,
// the poetry layers: 5%); on an Intel host oneDNN's kernel (blocked over k, prefetching) was a few
// percent faster at 32 rows, and on PTB-medium's 20 x 650 x 2600 the two were even until this
// kernel prefetched the next panel where the weights leave L2 (panel_product.cpp): suits() keeps
// the large products of many rows on oneDNN. B is packed into panels of kPanelColumns columns, each
// [K][kPanelColumns] (zero past N), read by register blocks of up to 8 x 32 (16 accumulators; 12 x
// 32 in products of many rows), one broadcast of A per row and k. Every output is one chain of
// fused multiply-adds in k order, whatever M or the thread count, so a row's result does not depend
// on the rows beside it. The products of generation run it too (SingleRowProduct: one row, or the
// rows of a batched step, over float32, bfloat16 or int8 weights). On the AVX2 path a panel is
// taken in two passes of 16 columns (6-row blocks: 12 accumulators of the 16 registers), each
// output the same chain of FMAs, so the same bits as on AVX-512; a float32 panel's pass reads one
// of the two cache lines of each k, and runs for all rows while that half is in L1
// (bench/results/micro-avx2-panel-halves-*). Products of up to three rows (generation) take whole
// panels instead, one row two at once: 8 chains of FMAs in flight where a pass has two, which
// waited on the FMAs' latency (a row's int8 product over 8293 x 256 weights 178 -> 90
// microseconds on a Zen 3; bench/results/micro-avx2-few-rows-*). On a Zen 3 (AVX2 only) oneDNN's
// matmul ran a 64 x 1024 x 256 slice at 42 GFLOP/s, this kernel at 84 (90% of the core's peak; 128
// rows: 45 against 83); with deeper panels, which leave the 32 KiB L1 cache, it was no faster (the
// poetry layer's backward 64 x 256 x 1024 and PTB-medium's 10 x 2600 x 650: within 3% of oneDNN;
// bench/results/micro-avx2-training-*20261203-202234.jsonl). So on the AVX2 path the recurrent
// products take it whatever their rows while K is at most 256 (K x 32 floats: 32 KiB), and never
// deeper. The baseline path has no panel kernel.
namespace rnnkit::panel_product {

constexpr int64_t kPanelColumns = 32;
// Products up to this many multiply-adds (a 64-row slice of a 256-wide LSTM) suit it, and those
// of up to kFewRows rows whatever their weights (PTB-medium's steps of 20 x 2600 x 650, forward,
// and 20 x 650 x 2600, backward: faster than oneDNN on one thread and on two; at 64 rows the two
// were even; not recorded).
constexpr int64_t kMaxMultiplyAdds = int64_t{1} << 24;
constexpr int64_t kFewRows = 32;
// On the AVX2 path, the products whose panels hold up to this many k's suit it, and no others.
constexpr int64_t kAvx2MaxDepth = 256;

// Whether this CPU path runs the kernel (cpu_path() is Avx512 or Avx2).
bool available();
// Whether a recurrent product of this shape should run here rather than on oneDNN: on the AVX-512
// path small enough or of few rows, on the AVX2 path shallow enough.
bool suits(int64_t M, int64_t N, int64_t K);

// op(B) [K,N] (B [K,N] with leading dimension ldb, or its transpose when trans_b) into panels.
void pack(Trans trans_b, int64_t K, int64_t N, const float* B, int64_t ldb,
          CacheAlignedVector<float>& panels);

// The order in which a thread takes its share of the panels. The outputs are the same, bit for
// bit. A caller that multiplies by the same weights again and again (a time loop's W_hh, the
// layers of generation) alternates the two: the panels a core read last, still in its L2 cache,
// are then the first it reads next, where weights larger than L2 in one order would find none
// there (generation's output layer of 8.5 MB on two cores 6.8 -> 9.8 thousand products a second,
// PTB-medium's 20-row steps 3-10% faster; bench/results/micro-panel-order-*).
enum class PanelOrder { Ascending, Descending };

// C = A panels + beta * C, or + beta * c_rows[m] for row m when c_rows is not null (rows kept
// elsewhere: a one-hot layer's input rows, not copied into C first); the column panels are shared
// among the threads when called outside a parallel region and the product is large enough to pay
// for waking them.
void multiply(int64_t M, int64_t N, int64_t K, const float* panels, const float* A, int64_t lda,
              float beta, float* C, int64_t ldc, const float* const* c_rows = nullptr,
              PanelOrder order = PanelOrder::Ascending);

// The same over bfloat16 weights (BF16 generation: half the bytes to read): W [N,K] (dense rows)
// rounded to bfloat16 into panels, and C = A W^T + beta * C with each weight widened exactly, so
// every output is the float32 kernel's chain over the rounded weights, bit for bit.
void pack_bf16(int64_t K, int64_t N, const float* W, CacheAlignedVector<bf16>& panels);
void multiply(int64_t M, int64_t N, int64_t K, const bf16* panels, const float* A, int64_t lda,
              float beta, float* C, int64_t ldc, PanelOrder order = PanelOrder::Ascending);

// The same over int8 weights with a scale per row of W (a quantized model's products on CPUs
// without VNNI, a quarter of float32's bytes): W [N,K] (rows ldw apart) into panels, and
// C = scales[n] * (A W^T)[., n] + beta * C, each weight widened exactly and each sum one chain of
// FMAs in float32, then scaled.
void pack_int8(int64_t K, int64_t N, const int8_t* W, int64_t ldw,
               CacheAlignedVector<int8_t>& panels);
void multiply(int64_t M, int64_t N, int64_t K, const int8_t* panels, const float* scales,
              const float* A, int64_t lda, float beta, float* C, int64_t ldc,
              PanelOrder order = PanelOrder::Ascending);

}  // namespace rnnkit::panel_product
