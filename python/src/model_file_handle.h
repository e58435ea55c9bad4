#pragma once
#include <memory>
#include <mutex>
#include <string>

#include "bindings.h"

namespace rnnkit::python {

// A model file read by `read` without the GIL, then used one call at a time (`mutex_`: a model
// keeps per-call workspaces). The seq2seq and classifier bindings derive from it and add their
// calls.
template <class Handle, class Loaded, Loaded (*read)(const std::string&)>
class ModelFileHandle {
 public:
  static std::unique_ptr<Handle> load(const std::string& path) {
    auto handle = std::make_unique<Handle>();
    py::gil_scoped_release release;
    handle->loaded_ = read(path);
    return handle;
  }

 protected:
  Loaded loaded_;
  std::mutex mutex_;
};

}  // namespace rnnkit::python
