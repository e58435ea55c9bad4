// Sessions decoded together in a DecodeBatch produce exactly what each produces alone
// (generate_text, write_poem: a batch of one), whatever joins or leaves around them.
#include "rnnkit/decode_session.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/poem_writer.h"
#include "rnnkit/text_generator.h"
#include "rnnkit/threads.h"
#include "rnnkit/utf8.h"
#include "settings_guard.h"
#include "tiny_language_models.h"

namespace rnnkit {
namespace {

using testing::random_model;

// A poem model's vocabulary; text generation runs on it too, so one batch mixes both.
Vocab poem_vocab() {
  std::vector<std::string> tokens = {"<pad>", "<START>", "<EOP>"};
  for (char32_t c :
       utf8::decode("床前明月光疑是地上霜举头望低思故乡春夏秋冬风花雪山水天人日夜云江河落"))
    tokens.push_back(utf8::encode(c));
  for (const char* other : {"，", "。", "？", "a"}) tokens.emplace_back(other);
  return Vocab::from_tokens(tokens, TokenLevel::Char, {"", "<START>", "<EOP>", "<pad>"},
                            {false, false, "simplified"});
}

std::vector<GenerateRequest> generate_requests() {
  std::vector<GenerateRequest> requests(4);
  requests[0].prompt = "床前";
  requests[0].max_tokens = 30;
  requests[0].sampling = {1.0f, 0, 1.0f, 1};
  requests[1].prompt = "春风";
  requests[1].max_tokens = 4;  // leaves early
  requests[1].sampling = {0.7f, 5, 1.0f, 2};
  requests[2].prompt = "明月";
  requests[2].max_tokens = 40;
  requests[2].sampling = {1.3f, 0, 0.9f, 3};
  requests[2].stop_at_eos = false;
  requests[3].prompt = "山水";
  requests[3].max_tokens = -1;  // until the end token
  requests[3].sampling = {0.0f, 0, 1.0f, 4};
  return requests;
}

std::vector<PoemRequest> poem_requests() {
  std::vector<PoemRequest> requests(4);
  requests[0].start = "床前明月光";
  requests[0].sampling = {1.0f, 0, 1.0f, 5};
  requests[1].acrostic = "春夏秋冬";
  requests[1].sampling = {0.9f, 8, 1.0f, 6};
  requests[2].start = "山水";
  requests[2].form = 7;
  requests[2].lines = 6;
  requests[2].rhyme = true;
  requests[2].tones = true;
  requests[2].sampling = {1.2f, 0, 0.95f, 7};
  requests[3].acrostic = "风花雪月";
  requests[3].rhyme = true;
  requests[3].style = "江河";
  requests[3].sampling = {1.0f, 0, 1.0f, 8};
  return requests;
}

// Stops its session after `limit` pieces: a client that goes away.
PieceCallback give_up_after(int limit) {
  auto count = std::make_shared<int>(0);
  return [count, limit](std::string_view) { return ++*count <= limit; };
}

void expect_batched_equals_alone(CellKind cell) {
  // Two threads: a step's sessions draw their tokens at once (DecodeBatch::step).
  SettingsGuard guard;
  set_num_threads(2);
  const Vocab vocab = poem_vocab();
  LanguageModel model = random_model(cell, vocab.size(), 17, 16, 32, 2);
  const std::vector<GenerateRequest> texts = generate_requests();
  const std::vector<PoemRequest> poems = poem_requests();

  std::vector<GenerateResult> texts_alone;
  for (size_t i = 0; i < texts.size(); ++i)
    texts_alone.push_back(
        generate_text(model, vocab, texts[i], i == 2 ? give_up_after(9) : PieceCallback{}));
  std::vector<Poem> poems_alone;
  for (const PoemRequest& request : poems) poems_alone.push_back(write_poem(model, vocab, request));

  // Eight sessions, joining four at a time two steps apart; the third text leaves by cancelling.
  std::vector<std::unique_ptr<TextGeneration>> text_sessions;
  std::vector<std::unique_ptr<PoemWriting>> poem_sessions;
  for (size_t i = 0; i < texts.size(); ++i)
    text_sessions.push_back(std::make_unique<TextGeneration>(
        model, vocab, texts[i], i == 2 ? give_up_after(9) : PieceCallback{}));
  for (const PoemRequest& request : poems)
    poem_sessions.push_back(std::make_unique<PoemWriting>(model, vocab, request));
  DecodeBatch batch(model, 8);
  int64_t widest = 0;
  for (size_t i = 0; i < 4; ++i) {
    batch.join(*text_sessions[i]);
    if (i % 2 == 1) batch.step();
  }
  batch.step();
  batch.step();
  for (size_t i = 0; i < 4; ++i) batch.join(*poem_sessions[i]);
  while (batch.size() > 0) {
    widest = std::max(widest, batch.size());
    batch.step();
  }
  EXPECT_GE(widest, 6) << "the sessions were not decoded together";

  for (size_t i = 0; i < texts.size(); ++i) {
    const GenerateResult& together = text_sessions[i]->result();
    EXPECT_TRUE(text_sessions[i]->done());
    EXPECT_EQ(together.text, texts_alone[i].text) << "text " << i;
    EXPECT_EQ(together.tokens, texts_alone[i].tokens) << "text " << i;
    EXPECT_EQ(together.finish_reason, texts_alone[i].finish_reason) << "text " << i;
  }
  EXPECT_EQ(text_sessions[1]->result().tokens, 4);
  EXPECT_EQ(text_sessions[2]->result().finish_reason, FinishReason::Cancelled);
  for (size_t i = 0; i < poems.size(); ++i) {
    EXPECT_EQ(poem_sessions[i]->poem().couplets, poems_alone[i].couplets) << "poem " << i;
    EXPECT_FALSE(poem_sessions[i]->poem().cancelled);
  }
}

TEST(DecodeBatch, EightSessionsTogetherEqualEachAloneLstm) {
  expect_batched_equals_alone(CellKind::Lstm);
}

TEST(DecodeBatch, EightSessionsTogetherEqualEachAloneGru) {
  expect_batched_equals_alone(CellKind::Gru);
}

// A session taken out of the batch leaves the others' rows (and their outputs) intact.
TEST(DecodeBatch, LeavingKeepsTheOtherRows) {
  const Vocab vocab = poem_vocab();
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 23, 16, 32, 1);
  std::vector<GenerateRequest> texts = generate_requests();
  const GenerateResult alone = generate_text(model, vocab, texts[2]);
  TextGeneration gone(model, vocab, texts[0]), kept(model, vocab, texts[2]);
  DecodeBatch batch(model, 2);
  batch.join(gone);
  batch.join(kept);
  batch.step();
  batch.leave(gone);
  EXPECT_EQ(batch.size(), 1);
  while (batch.size() > 0) batch.step();
  EXPECT_EQ(kept.result().text, alone.text);
}

// A session that draws token 1 until its `fail_at`-th call, which throws.
class FailingSession : public DecodeSession {
 public:
  explicit FailingSession(int fail_at) : fail_at_(fail_at) {}
  bool done() const override { return false; }
  std::span<const int32_t> prompt() const override { return prompt_; }
  std::optional<int32_t> next(std::span<const float>) override {
    if (++calls_ == fail_at_) throw Error("session " + std::to_string(fail_at_) + " failed");
    return 1;
  }

 private:
  const int fail_at_;
  int calls_ = 0;
  const std::vector<int32_t> prompt_ = {1};
};

// A session's error in a step whose draws run on several threads (an exception leaving an OpenMP
// region would end the process) ends that session alone, with its error: the others' draws of the
// step stand and they decode on, as each would alone.
TEST(DecodeBatch, ASessionsErrorEndsItAloneWhateverThreadDrewIt) {
  SettingsGuard guard;
  set_num_threads(2);
  const Vocab vocab = poem_vocab();
  LanguageModel model = random_model(CellKind::Gru, vocab.size(), 5);
  FailingSession first(100), second(100), third(2), fourth(100);
  DecodeBatch batch(model, 4);
  for (DecodeSession* session : {&first, &second, &third, &fourth}) batch.join(*session);
  EXPECT_TRUE(batch.step().empty());
  const std::vector<EndedSession> ended = batch.step();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].session, &third);
  ASSERT_TRUE(ended[0].error);
  try {
    std::rethrow_exception(ended[0].error);
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "session 2 failed");
  }
  EXPECT_EQ(batch.size(), 3);
  EXPECT_TRUE(batch.step().empty()) << "the others decode on";
  // Decoded alone, a session's error is thrown by decode().
  FailingSession alone(3);
  try {
    decode(model, alone);
    ADD_FAILURE() << "the session's error was not thrown";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "session 3 failed");
  }
}

TEST(DecodeBatch, RejectsABatchSizeOutOfRange) {
  const Vocab vocab = poem_vocab();
  LanguageModel model = random_model(CellKind::Lstm, vocab.size(), 1);
  EXPECT_THROW(DecodeBatch(model, 0), Error);
  EXPECT_THROW(DecodeBatch(model, 17), Error);
  DecodeBatch batch(model, 1);
  GenerateRequest request;
  request.prompt = "床";
  TextGeneration a(model, vocab, request), b(model, vocab, request);
  EXPECT_TRUE(batch.join(a));
  EXPECT_THROW(batch.join(b), Error);
}

}  // namespace
}  // namespace rnnkit
