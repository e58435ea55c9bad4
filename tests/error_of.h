#pragma once
#include <functional>
#include <string>

#include "rnnkit/error.h"

namespace rnnkit::testing {

// The message of the rnnkit::Error that f throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace rnnkit::testing
