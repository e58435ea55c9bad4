#include "tensor/onednn_matmul.h"

#include <omp.h>

#include <vector>

#include "rnnkit/error.h"

namespace rnnkit::onednn {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

int creation_threads() {
  return omp_get_max_threads();
}

std::string shape_of(int64_t M, int64_t N, int64_t K) {
  return std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K);
}

dnnl::memory::desc matrix_desc(int64_t rows, int64_t cols, data_type type, Trans t, int64_t ld) {
  return {
      {rows, cols}, type, t == Trans::No ? dnnl::memory::dims{ld, 1} : dnnl::memory::dims{1, ld}};
}

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

void PackedLayouts::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  copies_.clear();
}

void* PackedLayouts::get(const dnnl::memory::desc& layout, const dnnl::memory::desc& plain,
                         const void* source) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [desc, memory] : copies_)
    if (desc == layout) return memory.get_data_handle();
  dnnl::engine& engine = cpu_engine();
  dnnl::memory from(plain, engine, const_cast<void*>(source)), to(layout, engine);
  dnnl::stream stream(engine);
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  copies_.emplace_back(layout, to);
  return to.get_data_handle();
}

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

}  // namespace rnnkit::onednn
