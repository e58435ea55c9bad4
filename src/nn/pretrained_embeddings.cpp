#include "rnnkit/pretrained_embeddings.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <vector>

#include "rnnkit/error.h"

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

}  // namespace

int64_t load_pretrained_embeddings(Embedding& embedding, const Vocab& vocab,
                                   const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read pretrained embeddings " + path);
  const int64_t E = embedding.embedding_dim();
  if (vocab.size() != embedding.num_embeddings())
    throw Error("vocabulary and embedding sizes differ (" + std::to_string(vocab.size()) + " vs " +
                std::to_string(embedding.num_embeddings()) + ")");
  std::string line;
  int64_t line_number = 0, found = 0;
  while (std::getline(in, line)) {
    ++line_number;
    auto fields = split_spaces(line);
    if (fields.empty()) continue;
    if (line_number == 1 && fields.size() == 2) continue;  // word2vec header "count dim"
    if (static_cast<int64_t>(fields.size()) != E + 1)
      throw Error(path + " line " + std::to_string(line_number) + ": " +
                  std::to_string(fields.size() - 1) + " values, but the embedding has " +
                  std::to_string(E) + " dimensions");
    auto id = vocab.find(fields[0]);
    if (!id) continue;
    float* row = embedding.weight.value.data() + static_cast<int64_t>(*id) * E;
    for (int64_t k = 0; k < E; ++k) {
      std::string_view f = fields[k + 1];
      auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), row[k]);
      if (ec != std::errc() || ptr != f.data() + f.size())
        throw Error(path + " line " + std::to_string(line_number) + ": '" + std::string(f) +
                    "' is not a number");
      // from_chars reads "nan" and "inf": a vector holding one would poison the first step.
      if (!std::isfinite(row[k]))
        throw Error(path + " line " + std::to_string(line_number) + ": '" + std::string(f) +
                    "' is not a finite number");
    }
    ++found;
  }
  return found;
}

}  // namespace rnnkit
