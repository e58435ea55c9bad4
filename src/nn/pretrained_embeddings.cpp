#include "rnnkit/pretrained_embeddings.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) fields.push_back(line.substr(i, j - i));
    i = j;
  }
  return fields;
}

bool is_count(std::string_view field, int64_t& value) {
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  return ec == std::errc() && ptr == field.data() + field.size() && value >= 0;
}

// Whether a first line is word2vec's header, "count dim": two whole numbers. With E = 1 a
// vector line has two fields as well; only a header of dimension 1 is then taken as one. Error
// for a header of another dimension than the embedding's.
bool is_word2vec_header(const std::vector<std::string_view>& fields, int64_t E,
                        const std::string& where) {
  int64_t count = 0, dim = 0;
  if (fields.size() != 2 || !is_count(fields[0], count) || !is_count(fields[1], dim)) return false;
  if (dim == E) return true;
  if (E == 1) return false;
  throw Error(where + ": word2vec's header says the vectors have " + std::to_string(dim) +
              " dimensions, but the embedding has " + std::to_string(E));
}

float parse_value(std::string_view f, const std::string& where) {
  float value = 0;
  auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
  const bool whole = ptr == f.data() + f.size();
  if (ec == std::errc::result_out_of_range && whole) {
    // Too small for a float reads as 0 or a subnormal (1e-46); too large is refused.
    value = std::strtof(std::string(f).c_str(), nullptr);
    if (std::isinf(value)) throw Error(where + ": '" + std::string(f) + "' is beyond a float");
    return value;
  }
  if (ec != std::errc() || !whole)
    throw Error(where + ": '" + std::string(f) + "' is not a number");
  // from_chars reads "nan" and "inf": a vector holding one would poison the first step.
  if (!std::isfinite(value))
    throw Error(where + ": '" + std::string(f) + "' is not a finite number");
  return value;
}

}  // namespace

int64_t load_pretrained_embeddings(Embedding& embedding, const Vocab& vocab,
                                   const std::string& path) {
  const int64_t E = embedding.embedding_dim();
  if (vocab.size() != embedding.num_embeddings())
    throw Error("vocabulary and embedding sizes differ (" + std::to_string(vocab.size()) + " vs " +
                std::to_string(embedding.num_embeddings()) + ")");
  const std::string bytes = read_file(path);
  utf8::check_not_wide_encoding(bytes, path);
  const std::string_view text = utf8::without_byte_order_mark(bytes);
  std::vector<bool> set(static_cast<size_t>(vocab.size()), false);
  int64_t line_number = 0, found = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    const std::string where = path + " line " + std::to_string(line_number);
    const auto fields = split_spaces(line);
    if (fields.empty() || (line_number == 1 && is_word2vec_header(fields, E, where))) continue;
    if (static_cast<int64_t>(fields.size()) != E + 1)
      throw Error(where + ": " + std::to_string(fields.size() - 1) +
                  " values, but the embedding has " + std::to_string(E) + " dimensions");
    const auto id = vocab.find(fields[0]);
    // A word listed again keeps its first vector, as gensim's reader does.
    if (!id || set[static_cast<size_t>(*id)]) continue;
    float* row = embedding.weight.value.data() + static_cast<int64_t>(*id) * E;
    for (int64_t k = 0; k < E; ++k) row[k] = parse_value(fields[k + 1], where);
    set[static_cast<size_t>(*id)] = true;
    ++found;
  }
  return found;
}

}  // namespace rnnkit
