#pragma once
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rnnkit/decode_session.h"
#include "rnnkit/language_model.h"
#include "rnnkit/sampler.h"
#include "rnnkit/text_generator.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// Writing Tang poems with a char-level poem model (vocabulary specials bos "<START>", eos
// "<EOP>", pad "<pad>"; normalization.script says which script it was trained on): continuing
// a first line, or an acrostic (藏头诗) whose lines start with given characters. Like
// generate_text, a call needs a LanguageModel of its own.

constexpr int kMaxPoemLines = 16;
constexpr int kMaxPoemStyleLength = 1000;  // characters

struct PoemRequest {
  // The first line (5 or 7 Han characters), or when `form` is given its first characters; or
  // several lines separated by verse marks (床前明月光，疑是地上霜), all but the last complete.
  // One trailing verse mark (床前明月光，) is accepted and dropped.
  std::string start;
  // Head characters, one per line: an acrostic. Exactly one of start and acrostic is given.
  std::string acrostic;
  int form = 0;   // 5 or 7 characters per line; 0: the length of the start line, 5 for an acrostic
  int lines = 0;  // 1..kMaxPoemLines; 0: the acrostic's length, else 4 (or the start's lines)
  // Rhyme (押韵): lines 2, 4, 6, ... end on characters of one rhyme group of the pronunciation
  // table (RhymeTable::shipped()) and one tone class, level unless the start decides otherwise,
  // each rhyme character used once while others remain. The rhyme is that of the start's second
  // line when given, else of its first line when that ends level, else of the first rhyming
  // character drawn. With `tones` and a first line that rhymes (首句入韵), line 1 rhymes too.
  bool rhyme = false;
  // Tonal template of regulated verse (tonal_pattern.h): the bound characters of every line (2nd,
  // 4th, 6th, last) take the template's tone. The opening (平起/仄起) is that of the start line's
  // second character, else of the first drawn one; the first line rhymes when the start's ends
  // level, else as usual_opening(form) says.
  bool tones = false;
  // Text that sets the poem's mood without being printed, like the prefix words of the PyTorch
  // Tang-poetry tutorial: the model reads <START> + style (+ 。 unless it already ends a
  // sentence with 。！？) and the poem follows in the same sequence, without a second <START>,
  // because training only ever saw <START> at the beginning of a sequence.
  std::string style;
  SamplingOptions sampling;
};

struct Poem {
  std::vector<std::string> couplets;  // "床前明月光，疑是地上霜。"; an odd last line stands alone
  bool cancelled = false;             // on_piece asked to stop; the couplets are what was written
  std::string text() const;  // the couplets, each followed by '\n'
};

// Writes one poem by constrained decoding, so its form always holds: inside a line only Han
// characters may be drawn (punctuation, specials and any other token are masked out of
// sample_token); each line ends with the required mark, ， after lines 1, 3, 5, ... and 。 after
// lines 2, 4, ... and after the last line; the start line's characters and an acrostic's head
// characters are fed to the model in their places rather than drawn. Text in either script is
// converted with OpenCC to the vocabulary's script (a character the conversion takes out of the
// vocabulary keeps its original form). on_piece receives every character, and "\n" after each 。.
// With `rhyme` or `tones` the drawn characters are also masked by those rules (a character the
// table lacks is never drawn where they bind); where the rules leave no character they are
// relaxed in this order: a rhyme character may repeat, the template is dropped, the rhyme is
// dropped. Given characters (start, acrostic heads) are kept even when they break the rules.
// Errors: invalid sampling options; a model that cannot write poems (word level, no bos, no ，
// or 。, no Han characters, a vocabulary of another size); a missing, empty or doubly given
// start/acrostic; a start line that is not Han characters, not 5 or 7 of them without `form`, or
// longer than the form; a start whose lines other than its last are not complete, or that has
// more lines than `lines`; an acrostic longer than kMaxPoemLines or holding other than Han
// characters; a form other than 5 or 7; lines outside 1..kMaxPoemLines or, for an acrostic,
// different from its length; characters that no conversion brings into the vocabulary (named).
Poem write_poem(LanguageModel& model, const Vocab& vocab, const PoemRequest& request,
                const PieceCallback& on_piece = {});

// Why `model` cannot write poems ("this model cannot write poems: ..."), or nothing when it can:
// the first of write_poem's errors about the model itself, for a client to ask before a request.
std::optional<std::string> poem_model_fault(const LanguageModel& model, const Vocab& vocab);

// A poem as a DecodeSession (DecodeBatch: several written together); the constructor checks the
// request (the errors of write_poem). poem() is what was written so far, all of it once done().
class PoemWriting final : public DecodeSession {
 public:
  PoemWriting(const LanguageModel& model, const Vocab& vocab, const PoemRequest& request,
              PieceCallback on_piece = {});
  ~PoemWriting() override;

  bool done() const override { return done_; }
  std::span<const int32_t> prompt() const override;
  std::optional<int32_t> next(std::span<const float> logits) override;
  const Poem& poem() const { return poem_; }

 private:
  struct Plan;
  const Vocab& vocab_;
  const SamplingOptions sampling_;
  const PieceCallback on_piece_;
  std::unique_ptr<Plan> plan_;
  Rng rng_;
  Poem poem_;
  std::string couplet_;
  int line_ = 0, position_ = 0;
  bool done_ = false;
};

// "" when `poem` is `lines` lines of `form` Han characters ending alternately in ， and 。, the
// last in 。, grouped two lines per couplet; otherwise a description of the first fault.
std::string check_poem_form(const Poem& poem, int form, int lines);

// One line typed in interactive mode: "藏头:春夏秋冬" (also 藏头：, 藏頭) asks for an acrostic,
// anything else is a start line. Surrounding whitespace is ignored. Sets request.start or
// request.acrostic and clears the other.
void parse_poem_input(std::string_view line, PoemRequest& request);

}  // namespace rnnkit
