#pragma once
#include <cstdint>
#include <dnnl.hpp>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "rnnkit/trans.h"

// The oneDNN matmul primitives behind gemm() and PackedMatrix.
namespace rnnkit::onednn {

using data_type = dnnl::memory::data_type;

dnnl::engine& cpu_engine();
std::string shape_of(int64_t M, int64_t N, int64_t K);

// A rows x cols matrix of `type`, row-major with leading dimension ld, transposed by t.
dnnl::memory::desc matrix_desc(int64_t rows, int64_t cols, data_type type, Trans t, int64_t ld);

// A matmul primitive for C = alpha * A B + beta * C. Its scratchpad is the caller's, so that
// threads can run one primitive concurrently (oneDNN's own scratchpad is shared).
dnnl::matmul::primitive_desc matmul_desc(const dnnl::memory::desc& a, const dnnl::memory::desc& b,
                                         const dnnl::memory::desc& c, float alpha, float beta);

// The thread count a primitive made now is sized for: oneDNN sizes a primitive's scratchpad for
// omp_get_max_threads() at creation and runs it on as many threads (one inside a parallel
// region), so a primitive made at 1 thread and run at 2 writes past its scratchpad. Caches of
// primitives key on it; the adaptive thread count (threads.h) changes it during a run.
int creation_threads();

struct Matmul {
  dnnl::matmul primitive;
  dnnl::memory::desc a, b, c, scratchpad;
};

// A matrix's copies in the blocked layouts that matmul primitives ask for (format_tag::any), each
// made by one reorder from the plain matrix when first asked for and kept until clear(): a
// primitive that reads a plain right operand packs it again at every call. Thread-safe.
class PackedLayouts {
 public:
  void clear();
  // The copy in `layout` of the matrix `source` laid out as `plain`.
  void* get(const dnnl::memory::desc& layout, const dnnl::memory::desc& plain, const void* source);

 private:
  std::mutex mutex_;
  std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> copies_;
};

// C = the product of A and B, with a per-thread scratchpad and stream.
void execute(const Matmul& m, const void* A, const void* B, float* C);

}  // namespace rnnkit::onednn
