#include "rnnkit/poem_file.h"

#include <algorithm>

#include "rnnkit/error.h"
#include "rnnkit/poem_corpus.h"
#include "rnnkit/script_converter.h"
#include "rnnkit/text_corpus.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

std::u32string as_the_model_reads_it(std::u32string poem, const Vocab& vocab) {
  std::transform(poem.begin(), poem.end(), poem.begin(), full_width_verse_mark);
  const bool readable = std::all_of(poem.begin(), poem.end(), [&](char32_t c) {
    return vocab.find(utf8::encode(c)).has_value();
  });
  return readable ? poem : in_vocabulary_script(poem, vocab);
}

}  // namespace

std::vector<std::vector<int32_t>> encode_poem_file(const std::string& path, const Vocab& vocab) {
  if (!vocab.bos_id() || !vocab.eos_id() || !vocab.pad_id())
    throw Error("--poems needs a poem model (vocabulary with <START>, <EOP> and <pad>)");
  std::vector<std::vector<int32_t>> poems;
  const std::string text = read_text_file(path);
  int64_t number = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.empty()) continue;
    const std::string where = path + ", line " + std::to_string(number);
    const std::u32string poem = as_the_model_reads_it(utf8::decode(line, where), vocab);
    std::vector<int32_t> ids = {*vocab.bos_id()};
    try {
      for (const int32_t id : vocab.encode(utf8::encode(poem))) ids.push_back(id);
    } catch (const OutOfVocabularyError& e) {
      throw OutOfVocabularyError(where + ": " + e.what(), e.first_unknown());
    }
    ids.push_back(*vocab.eos_id());
    poems.push_back(std::move(ids));
  }
  return poems;
}

}  // namespace rnnkit
