#include "rnnkit/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/formatted.h"

using rnnkit::DType;
using rnnkit::Tensor;

namespace {

const std::string kWhat = "test.safetensors";

// A file image: 8-byte little-endian header length, the header text as given, the data bytes.
std::string image(const std::string& header, const std::string& data = "") {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(header.size() >> (8 * i)));
  return out + header + data;
}

std::string bytes(std::initializer_list<uint8_t> values) {
  return {values.begin(), values.end()};
}

// Little-endian float32 bytes, assembled from the bit pattern so the test does not rely on memcpy.
std::string f32(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) {
    uint32_t bits = std::bit_cast<uint32_t>(v);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
  }
  return out;
}

rnnkit::SafetensorsFile parse(const std::string& file) {
  return rnnkit::parse_safetensors({reinterpret_cast<const uint8_t*>(file.data()), file.size()},
                                   kWhat);
}

std::string parse_error(const std::string& file) {
  try {
    parse(file);
  } catch (const rnnkit::Error& e) {
    return e.what();
  }
  return "(no error)";
}

void expect_same_bits(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.shape(), expected.shape());
  for (int64_t i = 0; i < expected.numel(); ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(actual[i]), std::bit_cast<uint32_t>(expected[i]))
        << "element " << i << ": " << actual[i] << " vs " << expected[i];
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "rnnkit_safetensors_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST(Safetensors, DtypeNames) {
  EXPECT_EQ(rnnkit::dtype_name(DType::F32), "F32");
  EXPECT_EQ(rnnkit::dtype_name(DType::F16), "F16");
  EXPECT_EQ(rnnkit::dtype_name(DType::BF16), "BF16");
  EXPECT_EQ(rnnkit::parse_dtype("F16"), DType::F16);
  EXPECT_EQ(rnnkit::parse_dtype("bf16"), DType::BF16);
  EXPECT_EQ(rnnkit::parse_dtype("f32"), DType::F32);
  EXPECT_THROW(rnnkit::parse_dtype("F64"), rnnkit::Error);
  EXPECT_THROW(rnnkit::parse_dtype("I64"), rnnkit::Error);
  EXPECT_THROW(rnnkit::parse_dtype(""), rnnkit::Error);
}

TEST(Safetensors, FloatToF16MatchesHandComputedBits) {
  using rnnkit::float_to_f16;
  EXPECT_EQ(float_to_f16(0.0f), 0x0000);
  EXPECT_EQ(float_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(float_to_f16(-2.0f), 0xC000);
  EXPECT_EQ(float_to_f16(0.333251953125f), 0x3555);
  EXPECT_EQ(float_to_f16(65504.0f), 0x7BFF);  // largest finite half
  EXPECT_EQ(float_to_f16(65519.0f), 0x7BFF);  // below the halfway point
  EXPECT_EQ(float_to_f16(65520.0f), 0x7C00);  // halfway: ties to even = inf
  EXPECT_EQ(float_to_f16(1e6f), 0x7C00);      // overflow
  EXPECT_EQ(float_to_f16(-1e6f), 0xFC00);
  EXPECT_EQ(float_to_f16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(float_to_f16(-std::numeric_limits<float>::infinity()), 0xFC00);
  // Ties in the normal range: 1 + 2^-11 lies halfway between 1 (even) and 1 + 2^-10 (odd).
  EXPECT_EQ(float_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(float_to_f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
  EXPECT_EQ(float_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(float_to_f16(2.0f - std::ldexp(1.0f, -11)), 0x4000);  // carry into the exponent
  // Subnormals count units of 2^-24.
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(float_to_f16(1023 * std::ldexp(1.0f, -24)), 0x03FF);
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -25)), 0x0000);         // half a unit: ties to even 0
  EXPECT_EQ(float_to_f16(1.5f * std::ldexp(1.0f, -25)), 0x0001);  // above half a unit
  EXPECT_EQ(float_to_f16(3 * std::ldexp(1.0f, -25)), 0x0002);     // 1.5 units: ties to even 2
  EXPECT_EQ(float_to_f16(5 * std::ldexp(1.0f, -25)), 0x0002);     // 2.5 units: ties to even 2
  EXPECT_EQ(float_to_f16(-std::ldexp(1.0f, -24)), 0x8001);
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -25)), 0x0400);  // rounds up
  EXPECT_EQ(float_to_f16(std::numeric_limits<float>::denorm_min()), 0x0000);
  uint16_t nan = float_to_f16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
  // A NaN whose payload sits only in the low bits must not become an infinity.
  uint16_t low_payload_nan = float_to_f16(std::bit_cast<float>(0x7F800001u));
  EXPECT_NE(low_payload_nan & 0x03FF, 0);
}

TEST(Safetensors, F16ToFloatIsExact) {
  using rnnkit::f16_to_float;
  EXPECT_EQ(f16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_float(0xC000), -2.0f);
  EXPECT_EQ(f16_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_float(0x03FF), 1023 * std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_float(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_float(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(f16_to_float(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16_to_float(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_float(0x7E00)));
  EXPECT_TRUE(std::isnan(f16_to_float(0x7C01)));
  EXPECT_TRUE(std::signbit(f16_to_float(0x8000)));
  EXPECT_EQ(f16_to_float(0x8000), 0.0f);
}

TEST(Safetensors, EveryF16SurvivesWideningAndNarrowing) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    float widened = rnnkit::f16_to_float(static_cast<uint16_t>(h));
    bool is_nan = (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0;
    if (is_nan) {
      ASSERT_TRUE(std::isnan(widened)) << std::hex << h;
      continue;
    }
    ASSERT_EQ(rnnkit::float_to_f16(widened), h) << std::hex << h;
  }
}

TEST(Safetensors, Bf16ConversionsMatchHandComputedBits) {
  using rnnkit::bf16_to_float;
  using rnnkit::float_to_bf16;
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie, even stays
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);  // above the tie
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F807FFFu)), 0x3F80);  // below the tie
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // overflows to inf
  EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(float_to_bf16(-0.0f), 0x8000);
  uint16_t nan = float_to_bf16(std::bit_cast<float>(0x7F800001u));
  EXPECT_EQ(nan & 0x7F80, 0x7F80);
  EXPECT_NE(nan & 0x007F, 0);
  EXPECT_EQ(bf16_to_float(0x4049), 3.140625f);
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xFF80), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16_to_float(0x7FC0)));
}

TEST(Safetensors, SerializeLaysOutTensorsInNameOrderWithAPaddedHeader) {
  Tensor weight = Tensor::from({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor bias = Tensor::from({3}, std::vector<float>{-1, 0.5f, 0});
  Tensor scalar = Tensor::from({}, std::vector<float>{3.5f});
  Tensor empty({0, 4});
  std::string file = rnnkit::serialize_safetensors(
      {{"b.weight", &weight}, {"scalar", &scalar}, {"empty", &empty}, {"a.bias", &bias}},
      {{"rnnkit.format_version", "1"}});

  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(file[i]);
  ASSERT_EQ(n % 8, 0u);
  ASSERT_EQ(file.size(), 8 + n + 4 * (6 + 3 + 1));
  std::string header = file.substr(8, n);
  auto json = nlohmann::json::parse(header);
  EXPECT_EQ(json["__metadata__"], nlohmann::json({{"rnnkit.format_version", "1"}}));
  EXPECT_EQ(json["a.bias"]["data_offsets"], nlohmann::json({0, 12}));
  EXPECT_EQ(json["b.weight"]["data_offsets"], nlohmann::json({12, 36}));
  EXPECT_EQ(json["b.weight"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(json["b.weight"]["dtype"], "F32");
  EXPECT_EQ(json["empty"]["data_offsets"], nlohmann::json({36, 36}));
  EXPECT_EQ(json["empty"]["shape"], nlohmann::json({0, 4}));
  EXPECT_EQ(json["scalar"]["data_offsets"], nlohmann::json({36, 40}));
  EXPECT_EQ(json["scalar"]["shape"], nlohmann::json::array());
  EXPECT_EQ(header.find_first_not_of(' ', header.rfind('}') + 1), std::string::npos);
  std::string data = file.substr(8 + n);
  EXPECT_EQ(data, f32({-1, 0.5f, 0, 1, 2, 3, 4, 5, 6, 3.5f}));
}

TEST(Safetensors, RoundTripKeepsEveryTensorAndTheMetadata) {
  Tensor weight = Tensor::from({2, 3}, std::vector<float>{1, -2, 3.25f, 4e-3f, 5e10f, -6});
  Tensor bias = Tensor::from({3}, std::vector<float>{-1, 0.5f, 0});
  Tensor scalar = Tensor::from({}, std::vector<float>{3.5f});
  Tensor empty({0, 4});
  Tensor empty_vector({0});
  std::map<std::string, std::string> metadata = {{"rnnkit.config", R"({"cell": "lstm"})"},
                                                 {"note", "\xe5\xba\x8a\xe5\x89\x8d"}};
  std::string file = rnnkit::serialize_safetensors(
      {{"w", &weight}, {"b", &bias}, {"s", &scalar}, {"e", &empty}, {"e1", &empty_vector}},
      metadata);
  auto loaded = parse(file);
  EXPECT_EQ(loaded.metadata, metadata);
  ASSERT_EQ(loaded.tensors.size(), 5u);
  expect_same_bits(loaded.tensors.at("w"), weight);
  expect_same_bits(loaded.tensors.at("b"), bias);
  expect_same_bits(loaded.tensors.at("s"), scalar);
  EXPECT_EQ(loaded.tensors.at("s").ndim(), 0);
  EXPECT_EQ(loaded.tensors.at("e").shape(), (rnnkit::Shape{0, 4}));
  EXPECT_EQ(loaded.tensors.at("e1").shape(), (rnnkit::Shape{0}));
}

TEST(Safetensors, HalfPrecisionStorageRoundTripsRepresentableValues) {
  Tensor values = Tensor::from({2, 2}, std::vector<float>{1, -2, 0.375f, 65504});
  Tensor scalar = Tensor::from({}, std::vector<float>{-0.5f});
  for (DType dtype : {DType::F16, DType::BF16}) {
    SCOPED_TRACE(rnnkit::dtype_name(dtype));
    Tensor stored = values;
    if (dtype == DType::BF16) stored[3] = 65536;  // 65504 is not a bfloat16
    std::string file = rnnkit::serialize_safetensors({{"v", &stored}, {"s", &scalar}}, {}, dtype);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(file[i]);
    EXPECT_EQ(file.size(), 8 + n + 2 * 5);
    auto header = nlohmann::json::parse(file.substr(8, n));
    EXPECT_EQ(header["v"]["dtype"], rnnkit::dtype_name(dtype));
    EXPECT_FALSE(header.contains("__metadata__"));
    // "s" comes first: -0.5 is 0xB800 in F16 and 0xBF00 in BF16.
    EXPECT_EQ(file.substr(8 + n, 2),
              dtype == DType::F16 ? bytes({0x00, 0xB8}) : bytes({0x00, 0xBF}));
    auto loaded = parse(file);
    expect_same_bits(loaded.tensors.at("v"), stored);
    expect_same_bits(loaded.tensors.at("s"), scalar);
  }
}

TEST(Safetensors, HalfPrecisionStorageRoundsToNearest) {
  Tensor third = Tensor::from({1}, std::vector<float>{1.0f / 3});
  auto f16 = parse(rnnkit::serialize_safetensors({{"x", &third}}, {}, DType::F16));
  EXPECT_EQ(f16.tensors.at("x")[0], 0.333251953125f);  // 0x3555
  auto bf16 = parse(rnnkit::serialize_safetensors({{"x", &third}}, {}, DType::BF16));
  EXPECT_EQ(bf16.tensors.at("x")[0], 0.333984375f);  // 0x3EAB
}

// A tensor with a finite value beyond F16's range is stored as F32, its values kept (as an
// infinity no reader would take it); the others keep F16, F16's largest and what rounds to it.
TEST(Safetensors, ATensorBeyondHalfPrecisionIsStoredAsF32) {
  Tensor large = Tensor::from({3}, std::vector<float>{65504, 65519, 65520});
  Tensor small = Tensor::from({2}, std::vector<float>{65504, 65519});
  const auto file =
      parse(rnnkit::serialize_safetensors({{"l", &large}, {"s", &small}}, {}, DType::F16));
  EXPECT_EQ(file.dtypes.at("l"), "F32");
  expect_same_bits(file.tensors.at("l"), large);
  EXPECT_EQ(file.dtypes.at("s"), "F16");
  EXPECT_EQ(file.tensors.at("s")[1], 65504.0f);
}

TEST(Safetensors, ReadsHandWrittenF16Bf16AndF64Tensors) {
  std::string header = R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},)"
                       R"("c":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]}})";
  std::string data = bytes({0x00, 0x3C, 0x55, 0x35, 0x80, 0x3F, 0x49, 0x40,    // F16, BF16
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F});  // F64 1.5
  auto file = parse(image(header, data));
  EXPECT_EQ(file.tensors.at("a")[0], 1.0f);
  EXPECT_EQ(file.tensors.at("a")[1], 0.333251953125f);
  EXPECT_EQ(file.tensors.at("b")[0], 1.0f);
  EXPECT_EQ(file.tensors.at("b")[1], 3.140625f);
  EXPECT_EQ(file.tensors.at("c").shape(), (rnnkit::Shape{1, 1}));
  EXPECT_EQ(file.tensors.at("c")[0], 1.5f);
}

// rnnkit computes in float32: an F64 value beyond its range is refused by name, not read as inf;
// one that rounds to float32's largest is read so.
TEST(Safetensors, AnF64ValueBeyondFloat32IsRefused) {
  const std::string header = R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})";
  const double largest = std::numeric_limits<float>::max();
  for (const double beyond : {1e300, -1e39}) {
    std::string data(16, '\0');
    std::memcpy(data.data(), &largest, 8);
    std::memcpy(data.data() + 8, &beyond, 8);
    const std::string message = parse_error(image(header, data));
    EXPECT_NE(message.find("tensor 'w' holds " + rnnkit::formatted("%g", beyond) +
                           " (element 1), beyond float32's range"),
              std::string::npos)
        << message;
  }
  std::string data(16, '\0');
  std::memcpy(data.data(), &largest, 8);
  std::memcpy(data.data() + 8, &largest, 8);
  EXPECT_EQ(parse(image(header, data)).tensors.at("w")[1], std::numeric_limits<float>::max());
}

// A NaN or an infinity in any stored type is refused by tensor and element: in a weight it can
// pass unseen (times the zero first state) where PyTorch gives NaN.
TEST(Safetensors, ANonFiniteValueIsRefused) {
  const std::string f32 = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_NE(parse_error(image(f32, bytes({0, 0, 0x80, 0x3F, 0, 0, 0x80, 0x7F})))
                .find("tensor 'w' holds inf (element 1): rnnkit loads finite values only"),
            std::string::npos);
  const std::string f16 = R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})";
  EXPECT_NE(parse_error(image(f16, bytes({0x00, 0x7E, 0, 0}))).find("holds nan (element 0)"),
            std::string::npos);
  const std::string bf16 = R"({"w":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})";
  EXPECT_NE(parse_error(image(bf16, bytes({0x80, 0xFF}))).find("holds -inf (element 0)"),
            std::string::npos);
  const std::string f64 = R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  EXPECT_NE(parse_error(image(f64, bytes({0, 0, 0, 0, 0, 0, 0xF8, 0x7F}))).find("holds nan"),
            std::string::npos);
}

// A shape of thousands of dimensions is refused by its count, not printed whole.
TEST(Safetensors, AShapeOfTooManyDimensionsIsRefusedByItsCount) {
  std::string dims = "1";
  for (int i = 1; i < 5000; ++i) dims += ",1";
  const std::string header =
      R"({"w":{"dtype":"F32","shape":[)" + dims + R"(],"data_offsets":[0,4]}})";
  const std::string message = parse_error(image(header, bytes({0, 0, 0, 0})));
  EXPECT_NE(message.find("tensor 'w': shape has 5000 dimensions; rnnkit reads at most 16"),
            std::string::npos)
      << message.substr(0, 200);
  EXPECT_LT(message.size(), 200u);
}

// The layout Python tooling writes: json.dumps separators, "format": "pt", space padding.
TEST(Safetensors, ReadsAPythonStyleFile) {
  std::string header =
      R"({"__metadata__": {"format": "pt"}, )"
      R"("fc.bias": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, )"
      R"("fc.weight": {"dtype": "F32", "shape": [2, 1], "data_offsets": [8, 16]}})";
  header.append((8 - header.size() % 8) % 8 + 8, ' ');
  auto file = parse(image(header, f32({0.25f, -0.75f, 2, 3})));
  EXPECT_EQ(file.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  expect_same_bits(file.tensors.at("fc.bias"),
                   Tensor::from({2}, std::vector<float>{0.25f, -0.75f}));
  expect_same_bits(file.tensors.at("fc.weight"), Tensor::from({2, 1}, std::vector<float>{2, 3}));
}

TEST(Safetensors, AcceptsEmptyZeroRankAndTensorFreeFiles) {
  EXPECT_TRUE(parse(image("{}")).tensors.empty());
  EXPECT_TRUE(parse(image(R"({"__metadata__":{}})")).metadata.empty());
  auto file = parse(image(R"({"e":{"dtype":"F32","shape":[3,0],"data_offsets":[4,4]},)"
                          R"("s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
                          R"("z":{"dtype":"BF16","shape":[0],"data_offsets":[4,4]}})",
                          f32({7})));
  EXPECT_EQ(file.tensors.at("s").ndim(), 0);
  EXPECT_EQ(file.tensors.at("s")[0], 7.0f);
  EXPECT_EQ(file.tensors.at("e").shape(), (rnnkit::Shape{3, 0}));
  EXPECT_EQ(file.tensors.at("z").numel(), 0);
}

struct MalformedCase {
  const char* label;
  std::string file;
  std::vector<std::string> mentions;
};

// One tensor "w" with shape [2] and 8 data bytes, except for what `entry` changes.
std::string one_entry(const std::string& entry, const std::string& data = f32({1, 2})) {
  return image(R"({"w":)" + entry + "}", data);
}

TEST(Safetensors, MalformedFilesGiveErrorsThatSayWhatAndWhere) {
  std::string eight_length = bytes({8, 0, 0, 0, 0, 0, 0, 0});
  std::string huge_length = bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  std::string over_limit = bytes({0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0});  // 100,000,001
  std::vector<MalformedCase> cases = {
      {"empty file", "", {"0 bytes", "shorter than"}},
      {"short file", "abcde", {"5 bytes", "shorter than"}},
      {"header past end", eight_length + "{}", {"header length 8", "past the end", "10 bytes"}},
      {"huge header length", huge_length + "{}", {"18446744073709551615", "exceeds the limit"}},
      {"header over limit", over_limit + "{}", {"100000001", "exceeds the limit"}},
      {"not JSON", image(R"({"w": )"), {"not valid JSON"}},
      {"empty header", image(""), {"not valid JSON"}},
      {"number overflow",
       one_entry(R"({"dtype":"F32","shape":[1e400],"data_offsets":[0,8]})"),
       {"not valid JSON", "number overflow", "1e400"}},
      {"trailing garbage", image("{} x"), {"not valid JSON"}},
      {"invalid UTF-8", image("{\"\xff\":{}}"), {"not valid JSON", "\\xFF"}},
      {"header is an array", image("[1, 2]"), {"header is a JSON array, not an object"}},
      {"deep nesting",
       image(std::string(100000, '[') + std::string(100000, ']')),
       {"header nests deeper than 16 levels"}},
      {"deep nesting in a shape",
       one_entry(
           R"({"dtype":"F32","shape":[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]],"data_offsets":[0,8]})"),
       {"header nests deeper than 16 levels"}},
      {"header is a string", image(R"("x")"), {"header is a JSON string, not an object"}},
      {"entry is an array", one_entry("[1]"), {"tensor 'w'", "is an array, not an object"}},
      {"entry is a number", one_entry("3"), {"tensor 'w'", "is a number, not an object"}},
      {"no dtype", one_entry(R"({"shape":[2],"data_offsets":[0,8]})"), {"'w'", "no \"dtype\""}},
      {"no shape", one_entry(R"({"dtype":"F32","data_offsets":[0,8]})"), {"'w'", "no \"shape\""}},
      {"no offsets", one_entry(R"({"dtype":"F32","shape":[2]})"), {"'w'", "no \"data_offsets\""}},
      {"dtype not a string",
       one_entry(R"({"dtype":4,"shape":[2],"data_offsets":[0,8]})"),
       {"'w'", "\"dtype\" is not a string"}},
      {"dtype I64",
       one_entry(R"({"dtype":"I64","shape":[1],"data_offsets":[0,8]})"),
       {"tensor 'w' has dtype I64", "cannot load"}},
      {"dtype BOOL",
       one_entry(R"({"dtype":"BOOL","shape":[8],"data_offsets":[0,8]})"),
       {"tensor 'w' has dtype BOOL"}},
      {"dtype U8",
       one_entry(R"({"dtype":"U8","shape":[8],"data_offsets":[0,8]})"),
       {"tensor 'w' has dtype U8"}},
      {"dtype lower case",
       one_entry(R"({"dtype":"f32","shape":[2],"data_offsets":[0,8]})"),
       {"tensor 'w' has dtype f32"}},
      {"shape not an array",
       one_entry(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})"),
       {"'w'", "\"shape\" is not an array"}},
      {"negative shape",
       one_entry(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"),
       {"'w'", "shape entry -2 is negative"}},
      {"fractional shape",
       one_entry(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"),
       {"'w'", "shape entry 2.0 is not an integer"}},
      {"string shape",
       one_entry(R"({"dtype":"F32","shape":["2"],"data_offsets":[0,8]})"),
       {"'w'", "shape entry is a string, not an integer"}},
      {"shape beyond int64",
       one_entry(R"({"dtype":"F32","shape":[0,9223372036854775808],"data_offsets":[0,0]})", ""),
       {"'w'", "shape entry 9223372036854775808 is too large"}},
      {"empty tensor with a huge dimension",
       one_entry(R"({"dtype":"F32","shape":[4611686018427387904,0],"data_offsets":[0,0]})", ""),
       {"'w'", "shape too large"}},
      {"offsets not an array",
       one_entry(R"({"dtype":"F32","shape":[2],"data_offsets":8})"),
       {"'w'", "\"data_offsets\" is not an array"}},
      {"one offset",
       one_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[8]})"),
       {"'w'", "\"data_offsets\" is not an array [BEGIN, END]"}},
      {"negative offset",
       one_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"),
       {"'w'", "data offset -8 is negative"}},
      {"fractional offset",
       one_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8.5]})"),
       {"'w'", "data offset 8.5 is not an integer"}},
      {"offset beyond uint64",
       one_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]})"),
       {"'w'", "is not an integer"}},
      {"begin after end",
       one_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[8,4]})"),
       {"'w'", "begin 8 is after end 4"}},
      {"end past buffer",
       one_entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"),
       {"'w'", "end 16 is past the end of the 8-byte data buffer"}},
      {"huge end",
       one_entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,18446744073709551615]})"),
       {"'w'", "past the end"}},
      {"too few bytes for shape",
       one_entry(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"),
       {"tensor 'w'", "hold 8 bytes", "shape [3] with dtype F32 needs 12"}},
      {"too many bytes for shape",
       one_entry(R"({"dtype":"F16","shape":[2],"data_offsets":[0,8]})"),
       {"tensor 'w'", "hold 8 bytes", "dtype F16 needs 4"}},
      {"shape product overflows",
       one_entry(R"({"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]})"),
       {"tensor 'w'", "shape [4294967296, 4294967296, 16]", "needs more than 2^64"}},
      {"data for an empty tensor",
       one_entry(R"({"dtype":"F32","shape":[0,2],"data_offsets":[0,8]})"),
       {"tensor 'w'", "needs 0"}},
      {"hole in the middle",
       image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
             f32({1, 2, 3})),
       {"hole in the data buffer at offset 4", "[4, 8)"}},
      {"hole at the start",
       one_entry(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"),
       {"hole in the data buffer at offset 0"}},
      {"hole at the end",
       one_entry(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"),
       {"hole in the data buffer at offset 4", "[4, 8)"}},
      {"bytes but no tensors", image("{}", f32({1})), {"hole in the data buffer at offset 0"}},
      {"overlap",
       image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
             f32({1, 2})),
       {"tensors 'a' and 'b' overlap at data buffer offset 4"}},
      {"same range twice",
       image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
             f32({1, 2})),
       {"overlap at data buffer offset 0"}},
      {"empty tensor inside another",
       image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
             f32({1, 2})),
       {"tensors 'a' and 'b' overlap at data buffer offset 4"}},
      {"duplicate tensor",
       image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
             R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
             f32({1, 2})),
       {"duplicate tensor name 'w'"}},
      {"duplicate field",
       one_entry(R"({"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]})"),
       {"duplicate key 'dtype'"}},
      {"duplicate metadata key",
       image(R"({"__metadata__":{"k":"a","k":"b"}})"),
       {"duplicate key 'k'"}},
      {"metadata not an object", image(R"({"__metadata__":["a"]})"), {"\"__metadata__\" is not"}},
      {"metadata value a number",
       image(R"({"__metadata__":{"epoch":3}})"),
       {"metadata value of 'epoch' is a number, not a string"}},
      {"metadata value an object",
       image(R"({"__metadata__":{"cfg":{"a":"b"}}})"),
       {"metadata value of 'cfg' is an object, not a string"}},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.label);
    std::string message = parse_error(c.file);
    EXPECT_EQ(message.rfind(kWhat + ": ", 0), 0u) << message;
    for (const std::string& part : c.mentions)
      EXPECT_NE(message.find(part), std::string::npos)
          << "missing \"" << part << "\" in " << message;
  }
}

TEST(Safetensors, SerializeRejectsBadTensorLists) {
  Tensor t({1});
  EXPECT_THROW(rnnkit::serialize_safetensors({{"a", &t}, {"a", &t}}, {}), rnnkit::Error);
  EXPECT_THROW(rnnkit::serialize_safetensors({{"a", nullptr}}, {}), rnnkit::Error);
  EXPECT_THROW(rnnkit::serialize_safetensors({{"__metadata__", &t}}, {}), rnnkit::Error);
  EXPECT_THROW(rnnkit::serialize_safetensors({{"\xff", &t}}, {}), rnnkit::Error);
  EXPECT_THROW(rnnkit::serialize_safetensors({}, {{"k", "\xc3"}}), rnnkit::Error);
}

TEST(Safetensors, WriteAndReadAFile) {
  TempDir dir;
  std::string path = dir / "model.safetensors";
  Tensor weight = Tensor::from({2, 2}, std::vector<float>{1, 2, 3, 4});
  rnnkit::write_safetensors(path, {{"fc.weight", &weight}}, {{"rnnkit.format_version", "1"}});
  Tensor replaced = Tensor::from({1}, std::vector<float>{9});
  rnnkit::write_safetensors(path, {{"fc.bias", &replaced}}, {}, DType::BF16);
  auto file = rnnkit::read_safetensors(path);
  EXPECT_TRUE(file.metadata.empty());
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors.at("fc.bias")[0], 9.0f);

  std::string missing = dir / "missing.safetensors";
  try {
    rnnkit::read_safetensors(missing);
    FAIL() << "no error";
  } catch (const rnnkit::Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + missing + ": No such file or directory");
  }
  std::string truncated = dir / "truncated.safetensors";
  rnnkit::write_file_atomically(truncated, "abc");
  try {
    rnnkit::read_safetensors(truncated);
    FAIL() << "no error";
  } catch (const rnnkit::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(truncated + ": ", 0), 0u) << e.what();
  }
}
