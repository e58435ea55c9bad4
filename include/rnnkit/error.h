#pragma once
#include <stdexcept>
#include <string>
#include <utility>

namespace rnnkit {

// Every user-facing failure (bad input, bad file, impossible sizes) is reported as an Error whose
// message is meant to be printed as is; the command line turns it into "error: ..." and exit 1.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Text that is well formed but holds tokens the vocabulary lacks (and it has no unk token to
// stand in): the request is understood and cannot be served, which the server answers with 422
// rather than 400.
class OutOfVocabularyError : public Error {
 public:
  explicit OutOfVocabularyError(const std::string& message, std::string first_unknown = "")
      : Error(message), first_unknown_(std::move(first_unknown)) {}
  // The first token of the text that the vocabulary lacks, for its caller to find its line.
  const std::string& first_unknown() const { return first_unknown_; }

 private:
  std::string first_unknown_;
};

}  // namespace rnnkit
