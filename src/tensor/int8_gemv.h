#pragma once
#include <cstdint>

#include "rnnkit/int8_rows.h"

// y[N] = W x + beta * y for weights quantized per row (Int8Rows): the single-row products of a
// quantized model, a quarter of float32's bytes.
namespace rnnkit::gemv {

enum class Int8Kernel {
  // Each int8 weight widened to float32 and multiplied by x in float32 (FMA), the row's sum
  // then scaled: the weights' rounding is the only error. Compiled for every CPU path; a layer's
  // products (SingleRowProduct) take the panel kernel's int8 panels instead where that runs.
  Widened,
  // AVX512_VNNI vpdpbusd, 64 products per instruction: x is quantized per call to int8 with
  // one scale, sx = max|x| / 127, and offset by +128 to the unsigned bytes vpdpbusd reads; the
  // offset's contribution, 128 * sum_k W[n][k], is subtracted with the precomputed row sums.
  // The sums are exact in int32 for cols <= 65536 (wider matrices take the Widened kernel).
  // Against the float32 product of the dequantized W, row n is off by at most
  // sx / 2 * sum_k |Wdeq[n][k]| (the rounding of x) plus float32 rounding.
  Vnni,
  // The same arithmetic with AVX-VNNI's 256-bit vpdpbusd (CPUs with AVX2 but no AVX-512, such
  // as most laptops): results equal Vnni's bit for bit.
  AvxVnni,
};

// The kernel multiply() runs: Vnni on the AVX-512 CPU path of a CPU with AVX512_VNNI, AvxVnni on
// the AVX2 (or AVX-512) path of a CPU with AVX-VNNI, Widened otherwise (RNNKIT_CPU=baseline
// forces it).
Int8Kernel int8_kernel();
bool int8_kernel_supported(Int8Kernel kernel);

// Y[m] = W X[m] + beta * Y[m] for the M rows of X (ldx apart) into Y (ldy apart), each row's
// bits what it gets alone: a batched generation step, which reads each block of weights once
// for all its rows.
void int8(const Int8Rows& W, int64_t M, const float* X, int64_t ldx, float beta, float* Y,
          int64_t ldy);
// The same with a given kernel (tests compare them), for M rows or one; a kernel the CPU lacks is
// an Error.
void int8(Int8Kernel kernel, const Int8Rows& W, int64_t M, const float* X, int64_t ldx, float beta,
          float* Y, int64_t ldy);
void int8(Int8Kernel kernel, const Int8Rows& W, const float* x, float beta, float* y);

}  // namespace rnnkit::gemv
