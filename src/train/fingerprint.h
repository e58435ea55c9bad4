#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace rnnkit {

// FNV-1a over what a training task reads, so ranks that loaded different files notice before
// they train on them.
class Fingerprint {
 public:
  Fingerprint& add(std::string_view bytes) {
    for (unsigned char c : bytes) hash_ = (hash_ ^ c) * 1099511628211ULL;
    return *this;
  }
  template <class T>
  Fingerprint& add(std::span<const T> values) {
    add(std::string_view(reinterpret_cast<const char*>(values.data()), values.size_bytes()));
    return add_size(values.size());
  }
  template <class T>
  Fingerprint& add(const std::vector<std::vector<T>>& rows) {
    for (const auto& row : rows) add(std::span<const T>(row));
    return add_size(rows.size());
  }
  uint64_t value() const { return hash_; }

 private:
  Fingerprint& add_size(size_t n) {
    const uint64_t v = n;
    return add(std::string_view(reinterpret_cast<const char*>(&v), sizeof v));
  }
  uint64_t hash_ = 14695981039346656037ULL;
};

}  // namespace rnnkit
