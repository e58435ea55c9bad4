#pragma once

namespace rnnkit {

// Whether a matrix product reads an operand as stored (No) or transposed (Yes).
enum class Trans { No, Yes };

}  // namespace rnnkit
