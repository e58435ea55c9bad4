#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "rnnkit/vocab.h"

namespace opencc {
class SimpleConverter;
}

namespace rnnkit {

// Converts Chinese text between traditional and simplified script with OpenCC (phrase-aware,
// but in practice character for character on classical poetry: no poem changes length).
// The Tang corpus is traditional; a simplified prompt needs s2t before it meets a model trained
// on the original text, and t2s makes the corpus match simplified prompts. Copies share the
// loaded dictionaries (loading t2s takes tens of milliseconds).
class ScriptConverter {
 public:
  // `config` is an OpenCC configuration: a file name looked up in OpenCC's data directory
  // ("t2s.json") or a path. Error "cannot load the OpenCC configuration CONFIG: <reason>" when it
  // is missing or unreadable.
  explicit ScriptConverter(const std::string& config);

  static ScriptConverter to_simplified();   // t2s.json
  static ScriptConverter to_traditional();  // s2t.json

  // Error "<config>: invalid UTF-8 at byte offset N" for input that is not UTF-8.
  std::string convert(std::string_view utf8) const;

  const std::string& config() const { return config_; }

 private:
  std::string config_;
  std::shared_ptr<const opencc::SimpleConverter> converter_;
};

// `text` in the script of `vocab`'s normalization (as it is when the vocabulary has none), so
// that a traditional prompt meets a model of the simplified corpus. When the conversion keeps the
// length (as it does for classical poetry) a character that it takes out of the vocabulary keeps
// its original form: OpenCC may simplify a character the corpus kept (乾坤) or pick another
// traditional form.
std::u32string in_vocabulary_script(const std::u32string& text, const Vocab& vocab);

// Each character in simplified script, taken on its own (no phrase joins neighbours: 乾 stays a
// character, not half of a word), in one conversion; a character OpenCC would turn into several
// keeps its form. The lookups that know simplified characters only (the rhyme table) read a
// traditional model's tokens through it.
std::u32string simplified_characters(const std::u32string& characters);

}  // namespace rnnkit
