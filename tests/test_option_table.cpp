#include "rnnkit/option_table.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/train_options.h"

namespace rnnkit {
namespace {

TEST(OptionError, NamesTheRangeWithItsOpenAndClosedEnds) {
  EXPECT_EQ(option_error("--a", between(0, 1), 1.0), "");
  EXPECT_EQ(option_error("--a", between(0, 1), 1.5), "--a must be in [0, 1], not 1.5");
  EXPECT_EQ(option_error("--a", from_below(0, 1), 0.0), "");
  EXPECT_EQ(option_error("--a", from_below(0, 1), 0.999), "");
  EXPECT_EQ(option_error("--a", from_below(0, 1), 1.0), "--a must be in [0, 1), not 1");
  EXPECT_EQ(option_error("--a", above_up_to(0, 0.99), 0.99), "");
  EXPECT_EQ(option_error("--a", above_up_to(0, 0.99), 0.0), "--a must be in (0, 0.99], not 0");
  OptionCheck below_one = from_below(-std::numeric_limits<double>::infinity(), 1);
  EXPECT_EQ(option_error("--a", below_one, 1.0), "--a must be < 1, not 1");
  EXPECT_EQ(option_error("--a", at_least(0), std::numeric_limits<double>::quiet_NaN()),
            "--a must be a finite number >= 0, not nan");
  EXPECT_EQ(option_error("--lr", above(0), std::numeric_limits<double>::infinity()),
            "--lr must be a finite number > 0, not inf");
}

// Dropout acts on a share of the units: all of them (1) would leave nothing, and the option's
// check says so before a model does.
TEST(OptionError, DropoutOfOneIsRefusedByItsOption) {
  ModelShapeOptions o;
  o.dropout = 1;
  try {
    validate_options(o, ModelShapeOptions::table());
    FAIL() << "dropout 1 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "--dropout must be in [0, 1), not 1");
  }
}

// A run keeps its options as JSON text: a path that is not UTF-8 (a Latin-1 file name) is
// refused when the options are checked, naming the flag and the byte, not at the first checkpoint.
TEST(OptionError, AStringThatIsNotUtf8IsRefused) {
  TrainOptions o;
  o.text_path = "caf\xE9.txt";
  try {
    o.validate();
    FAIL() << "a Latin-1 path was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--text \"caf\xEF\xBF\xBD.txt\" is not UTF-8 text (byte 0xE9 at offset 3); a "
              "training run keeps its options as UTF-8 JSON in state.bin: rename the file or "
              "directory");
  }
  o.text_path = "\xE5\xBA\x8A.txt";  // 床.txt
  EXPECT_NO_THROW(require_utf8_strings(o, TrainOptions::table()));
}

// An integer its field cannot hold is refused, not wrapped: 2^32 + 1 threads in an int would be 1.
TEST(OptionsFromJson, AnIntegerTheFieldCannotHoldIsRefused) {
  const auto error_of = [](const char* json) -> std::string {
    RuntimeOptions o;
    try {
      options_from_json(o, RuntimeOptions::table(), nlohmann::json::parse(json), "test");
    } catch (const Error& e) {
      return e.what();
    }
    return "threads " + std::to_string(o.threads);
  };
  EXPECT_EQ(error_of(R"({"threads": 4294967297})"),
            "test: option \"threads\" is out of range: 4294967297");
  EXPECT_EQ(error_of(R"({"threads": -4294967297})"),
            "test: option \"threads\" is out of range: -4294967297");
  EXPECT_EQ(error_of(R"({"threads": 2147483647})"), "threads 2147483647");
  RunOptions run;
  options_from_json(run, RunOptions::table(),
                    nlohmann::json::parse(R"({"seed": 18446744073709551615})"), "test");
  EXPECT_EQ(run.seed, std::numeric_limits<uint64_t>::max());
}

}  // namespace
}  // namespace rnnkit
