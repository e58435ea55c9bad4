#include "rnnkit/poem_writer.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "data/quoted.h"
#include "generate/poem_constraints.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/poem_corpus.h"
#include "rnnkit/script_converter.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

constexpr char32_t kComma = U'\uFF0C';   // ，
constexpr char32_t kPeriod = U'\u3002';  // 。
constexpr size_t kMaxCharactersNamed = 20;

bool is_blank(char32_t c) {
  return c == U' ' || (c >= U'\t' && c <= U'\r') || c == U'\u00A0' || c == U'\u3000' ||
         c == U'\uFEFF';
}

std::u32string trimmed(std::string_view text, std::string_view what) {
  std::u32string s = utf8::decode(text, what);
  const auto first = std::find_if_not(s.begin(), s.end(), is_blank);
  const auto last = std::find_if_not(s.rbegin(), s.rend(), is_blank).base();
  return first < last ? std::u32string(first, last) : std::u32string();
}

// "\"a\", \"b\"" for the distinct characters of `chars`, the first kMaxCharactersNamed of them.
std::string named_characters(const std::u32string& chars) {
  std::u32string distinct;
  for (char32_t c : chars) {
    if (distinct.find(c) == std::u32string::npos) distinct.push_back(c);
  }
  std::string names;
  for (size_t i = 0; i < std::min(distinct.size(), kMaxCharactersNamed); ++i)
    names += (i ? ", " : "") + quote(utf8::encode(distinct[i]));
  if (distinct.size() > kMaxCharactersNamed)
    names += ", and " + std::to_string(distinct.size() - kMaxCharactersNamed) + " more";
  return names;
}

std::optional<int32_t> char_id(const Vocab& vocab, char32_t c) {
  return vocab.find(utf8::encode(c));
}

std::vector<int32_t> char_ids(const std::u32string& text, const Vocab& vocab,
                              std::string_view what) {
  std::vector<int32_t> ids;
  std::u32string unknown;
  for (char32_t c : text) {
    if (const auto id = char_id(vocab, c)) {
      ids.push_back(*id);
    } else {
      unknown.push_back(c);
    }
  }
  if (!unknown.empty()) {
    const std::string& script = vocab.normalization().script;
    throw OutOfVocabularyError(std::string(what) +
                               " has characters that are not in the model's vocabulary" +
                               (script.empty() ? "" : " (even in " + script + " script)") + ": " +
                               named_characters(unknown));
  }
  return ids;
}

// The lines of a start ("床前明月光，疑是地上霜" or one line), split at verse marks (full-width
// or ASCII); a trailing mark is dropped.
std::vector<std::u32string> split_start(const std::u32string& start) {
  std::vector<std::u32string> lines;
  if (start.empty()) return lines;
  size_t begin = 0;
  for (size_t i = 0; i <= start.size(); ++i) {
    if (i < start.size() && !is_verse_punctuation(full_width_verse_mark(start[i]))) continue;
    if (i == begin && !(i == start.size() && !lines.empty()))
      throw Error("the start has an empty line: a verse mark must follow a line's characters");
    if (i > begin) lines.push_back(start.substr(begin, i - begin));
    begin = i + 1;
  }
  return lines;
}

void require_han(const std::u32string& text, std::string_view what) {
  std::u32string other;
  for (char32_t c : text) {
    if (!is_han(c)) other.push_back(c);
  }
  if (!other.empty())
    throw Error(std::string(what) + " may hold only Han characters, not " +
                named_characters(other));
}

// What write_poem will do: every check on the request, before the model runs.
struct PoemPlan {
  int form = 5, lines = 4;
  std::vector<std::vector<int32_t>> given;  // the start's characters, line by line
  std::vector<int32_t> heads, prefix;       // prefix: <START> + style
  int32_t comma = 0, period = 0;
};

void check_poem_vocabulary(const Vocab& vocab) {
  if (vocab.level() != TokenLevel::Char || !vocab.bos_id())
    throw Error(
        "this model cannot write poems: it needs a char-level vocabulary with a start "
        "token (<START>), as `rnnkit train --poems` makes");
  if (!char_id(vocab, kComma) || !char_id(vocab, kPeriod))
    throw Error("this model cannot write poems: its vocabulary lacks \"，\" or \"。\"");
}

PoemPlan plan_poem(const LanguageModel& model, const Vocab& vocab, const PoemRequest& request) {
  check_poem_vocabulary(vocab);
  check_generating_model(model, vocab);
  validate(request.sampling);
  PoemPlan plan;
  plan.comma = *char_id(vocab, kComma);
  plan.period = *char_id(vocab, kPeriod);

  if (request.form != 0 && request.form != 5 && request.form != 7)
    throw Error("the form must be 5 or 7 characters per line, got " + std::to_string(request.form));
  if (request.lines < 0 || request.lines > kMaxPoemLines)
    throw Error("a poem has 1 to " + std::to_string(kMaxPoemLines) + " lines, not " +
                std::to_string(request.lines));

  const std::u32string start = trimmed(request.start, "the start");
  const std::u32string heads = trimmed(request.acrostic, "the acrostic");
  if (!start.empty() && !heads.empty())
    throw Error("give either a start line or an acrostic, not both");
  const std::vector<std::u32string> start_lines = split_start(start);
  if (start_lines.empty() && heads.empty())
    throw Error(
        "empty start: give the first line of a poem (床前明月光) or the first characters of an "
        "acrostic's lines (春夏秋冬)");

  if (!heads.empty()) {
    if (heads.size() > static_cast<size_t>(kMaxPoemLines))
      throw Error("the acrostic has " + std::to_string(heads.size()) + " characters; at most " +
                  std::to_string(kMaxPoemLines) + " (one per line)");
    require_han(heads, "the acrostic");
    plan.heads = char_ids(in_vocabulary_script(heads, vocab), vocab, "the acrostic");
    plan.form = request.form ? request.form : 5;
    plan.lines = static_cast<int>(plan.heads.size());
    if (request.lines != 0 && request.lines != plan.lines)
      throw Error("an acrostic of " + std::to_string(plan.lines) + " characters makes " +
                  std::to_string(plan.lines) + " lines, not " + std::to_string(request.lines));
  } else {
    for (size_t k = 0; k < start_lines.size(); ++k) {
      const std::string what =
          k == 0 ? "the start line" : "line " + std::to_string(k + 1) + " of the start";
      require_han(start_lines[k], what);
      const std::u32string converted = in_vocabulary_script(start_lines[k], vocab);
      const int length = static_cast<int>(converted.size());
      if (k == 0 && request.form == 0 && length != 5 && length != 7)
        throw Error("the start line has " + counted(length, "character", "characters") +
                    ", but a first line has 5 or 7 (give the form, 5 or 7, to continue a shorter "
                    "beginning)");
      if (k == 0) plan.form = request.form ? request.form : length;
      if (length > plan.form || (k + 1 < start_lines.size() && length != plan.form))
        throw Error(what + " has " + counted(length, "character", "characters") + ", " +
                    (length > plan.form ? "more than" : "not") + " the " +
                    std::to_string(plan.form) + " of a line of this form");
      plan.given.push_back(char_ids(converted, vocab, what));
    }
    const int given = static_cast<int>(plan.given.size());
    plan.lines = request.lines ? request.lines : std::max(4, given + given % 2);
    if (given > plan.lines)
      throw Error("the start has " + counted(given, "line", "lines") + ", more than the poem's " +
                  std::to_string(plan.lines));
  }

  plan.prefix = {*vocab.bos_id()};
  const std::u32string style = trimmed(request.style, "the style text");
  if (style.size() > static_cast<size_t>(kMaxPoemStyleLength))
    throw Error("the style text has " + std::to_string(style.size()) + " characters; at most " +
                std::to_string(kMaxPoemStyleLength));
  if (!style.empty()) {
    const std::u32string converted = in_vocabulary_script(style, vocab);
    const std::vector<int32_t> ids = char_ids(converted, vocab, "the style text");
    plan.prefix.insert(plan.prefix.end(), ids.begin(), ids.end());
    if (converted.back() != kPeriod && converted.back() != U'！' && converted.back() != U'？')
      plan.prefix.push_back(plan.period);
  }
  return plan;
}

// Inside a line: the single-character Han tokens (which excludes <START>, <EOP>, <pad>).
std::vector<uint8_t> han_mask(const Vocab& vocab) {
  std::vector<uint8_t> allowed(static_cast<size_t>(vocab.size()), 0);
  bool any = false;
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const std::u32string token = utf8::decode(vocab.token(id), "vocabulary token");
    allowed[static_cast<size_t>(id)] = token.size() == 1 && is_han(token[0]);
    any = any || allowed[static_cast<size_t>(id)];
  }
  if (!any) throw Error("this model cannot write poems: its vocabulary has no Han characters");
  return allowed;
}

}  // namespace

std::optional<std::string> poem_model_fault(const LanguageModel& model, const Vocab& vocab) {
  try {
    check_poem_vocabulary(vocab);
    check_generating_model(model, vocab);
    han_mask(vocab);
  } catch (const Error& e) {
    return e.what();
  }
  return std::nullopt;
}

std::string Poem::text() const {
  std::string text;
  for (const std::string& couplet : couplets) text += couplet + "\n";
  return text;
}

struct PoemWriting::Plan {
  PoemPlan poem;
  PoemConstraints constraints;
};

PoemWriting::PoemWriting(const LanguageModel& model, const Vocab& vocab, const PoemRequest& request,
                         PieceCallback on_piece)
    : vocab_(vocab),
      sampling_(request.sampling),
      on_piece_(std::move(on_piece)),
      rng_(request.sampling.seed) {
  PoemPlan plan = plan_poem(model, vocab, request);
  PoemConstraints constraints(vocab, RhymeTable::shipped(), han_mask(vocab), request.rhyme,
                              request.tones, plan.form, plan.lines, plan.given);
  plan_ = std::make_unique<Plan>(Plan{std::move(plan), std::move(constraints)});
}

PoemWriting::~PoemWriting() = default;

std::span<const int32_t> PoemWriting::prompt() const {
  return plan_->poem.prefix;
}

// The token at (line_, position_): the line's mark at its end, else a given character (acrostic
// head, start line), else one drawn under the constraints.
std::optional<int32_t> PoemWriting::next(std::span<const float> logits) {
  if (done_) return std::nullopt;
  const PoemPlan& plan = plan_->poem;
  const size_t line = static_cast<size_t>(line_), position = static_cast<size_t>(position_);
  const size_t given = line < plan.given.size() ? plan.given[line].size() : 0;
  int32_t id;
  if (position_ == plan.form) {
    id = line_ % 2 == 0 && line_ + 1 < plan.lines ? plan.comma : plan.period;
  } else if (position == 0 && !plan.heads.empty()) {
    id = plan.heads[line];
  } else if (position < given) {
    id = plan.given[line][position];
  } else {
    id = sample_token(logits, sampling_, rng_, plan_->constraints.allowed(line_, position_));
  }
  if (position_ < plan.form) plan_->constraints.place(line_, position_, id);
  const std::string& piece = vocab_.token(id);
  couplet_ += piece;
  auto emit = [&](std::string_view text) { return !on_piece_ || on_piece_(text); };
  bool go_on = emit(piece);
  if (id == plan.period) {
    poem_.couplets.push_back(std::move(couplet_));
    couplet_.clear();
    go_on = go_on && emit("\n");
  }
  if (!go_on) {
    if (!couplet_.empty()) poem_.couplets.push_back(std::move(couplet_));
    poem_.cancelled = true;
    done_ = true;
    return std::nullopt;
  }
  if (++position_ > plan.form) {
    position_ = 0;
    ++line_;
  }
  done_ = line_ == plan.lines;
  return done_ ? std::nullopt : std::optional<int32_t>(id);
}

Poem write_poem(LanguageModel& model, const Vocab& vocab, const PoemRequest& request,
                const PieceCallback& on_piece) {
  PoemWriting session(model, vocab, request, on_piece);
  decode(model, session);
  return session.poem();
}

std::string check_poem_form(const Poem& poem, int form, int lines) {
  const size_t expected = static_cast<size_t>(lines + 1) / 2;
  if (poem.couplets.size() != expected)
    return std::to_string(poem.couplets.size()) + " couplets instead of " +
           std::to_string(expected);
  int line = 0;
  for (size_t k = 0; k < poem.couplets.size(); ++k) {
    const std::u32string text = utf8::decode(poem.couplets[k], "poem");
    const std::string where = "couplet " + std::to_string(k + 1);
    size_t pos = 0;
    for (int j = 0; j < 2 && line < lines; ++j, ++line) {
      for (int c = 0; c < form; ++c, ++pos) {
        if (pos >= text.size() || !is_han(text[pos]))
          return where + ": line " + std::to_string(line + 1) + " has fewer than " +
                 std::to_string(form) + " Han characters";
      }
      const char32_t mark = line % 2 == 0 && line + 1 < lines ? kComma : kPeriod;
      if (pos >= text.size() || text[pos] != mark)
        return where + ": line " + std::to_string(line + 1) + " does not end with " +
               utf8::encode(mark);
      ++pos;
    }
    if (pos != text.size()) return where + " has characters after its last line";
  }
  return "";
}

void parse_poem_input(std::string_view line, PoemRequest& request) {
  const std::u32string text = trimmed(line, "the input");
  for (std::u32string_view prefix : {U"藏头", U"藏頭"}) {
    if (text.size() > prefix.size() && std::u32string_view(text).starts_with(prefix) &&
        (text[prefix.size()] == U':' || text[prefix.size()] == U'：')) {
      const std::u32string heads = text.substr(prefix.size() + 1);
      request.acrostic = utf8::encode(trimmed(utf8::encode(heads), "the acrostic"));
      request.start.clear();
      return;
    }
  }
  request.start = utf8::encode(text);
  request.acrostic.clear();
}

}  // namespace rnnkit
