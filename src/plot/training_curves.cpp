// Charts of a training run's metrics.jsonl (rnnkit plot).
#include "rnnkit/training_curves.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "data/quoted.h"
#include "io/strict_json.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/plot.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;

// One line of metrics.jsonl: the trainer mixes kinds of lines ("type": train, valid, epoch) and
// each carries only some metrics.
struct MetricsLine {
  long long step;
  std::string type;
  std::map<std::string, double> values;
};

constexpr const char* kPlottedKeys[] = {"train_loss", "train_ppl", "valid_loss", "valid_ppl"};

// The other numbers of a "valid" line are the family's own validation metrics (accuracy; a
// forecaster's mae, rmse, mase), each drawn on a chart of its own, named after it: keys that
// would not make a plain file name are left out.
bool is_validation_metric(const std::string& key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
  return plain && key != "step" && key != "epoch" && key != "type" &&
         std::find(std::begin(kPlottedKeys), std::end(kPlottedKeys), key) == std::end(kPlottedKeys);
}

MetricsLine parse_line(const std::string& text, const std::string& where) {
  nlohmann::json line;
  try {
    line = nlohmann::json::parse(text);
  } catch (const nlohmann::json::out_of_range& e) {  // a number beyond a double (1e400)
    throw Error(where + ": " + json_error_reason(e));
  } catch (const nlohmann::json::parse_error&) {
  }
  if (!line.is_object()) throw Error(where + " is not a JSON object: " + quote(text));
  auto step = line.find("step");
  if (step == line.end()) throw Error(where + " has no \"step\"");
  if (!step->is_number_integer()) throw Error(where + ": \"step\" is not an integer");
  if (step->is_number_unsigned() && !std::in_range<long long>(step->get<unsigned long long>()))
    throw Error(where + ": \"step\" is out of range: " + step->dump());
  MetricsLine parsed{step->get<long long>(), "", {}};
  if (auto type = line.find("type"); type != line.end() && type->is_string()) {
    parsed.type = type->get<std::string>();
  }
  for (const char* key : kPlottedKeys) {
    auto value = line.find(key);
    // JSON has no NaN: a NaN or infinite metric is written as null, and simply not plotted.
    if (value == line.end() || value->is_null()) continue;
    if (!value->is_number()) throw Error(where + ": \"" + key + "\" is not a number");
    parsed.values[key] = value->get<double>();
  }
  if (parsed.type == "valid")
    for (const auto& [key, value] : line.items())
      if (value.is_number() && is_validation_metric(key)) parsed.values[key] = value.get<double>();
  return parsed;
}

std::vector<MetricsLine> read_metrics(const fs::path& path) {
  if (!fs::exists(path)) {
    throw Error(path.string() + " does not exist: nothing to plot (training writes it)");
  }
  std::string text = read_file(path.string());
  std::vector<MetricsLine> lines;
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    // A run killed while it wrote a record leaves the last line cut short, without its newline:
    // the curves up to it are still drawn.
    const bool cut_short = end == text.size();
    if (cut_short && nlohmann::json::parse(line, nullptr, false).is_discarded()) continue;
    lines.push_back(parse_line(line, path.string() + " line " + std::to_string(line_number)));
  }
  if (lines.empty()) throw Error(path.string() + " is empty: nothing to plot");
  return lines;
}

// Values of `key` by step, from the lines of type `own_type` when there are any with the key
// (an "epoch" summary repeating them is then ignored), otherwise from every line with the key. A
// step logged twice (a resumed run repeats steps) keeps its last value.
std::map<long long, double> curve(const std::vector<MetricsLine>& lines, const std::string& key,
                                  const std::string& own_type) {
  bool typed = false;
  for (const auto& line : lines) typed = typed || (line.type == own_type && line.values.count(key));
  std::map<long long, double> points;
  for (const auto& line : lines) {
    auto value = line.values.find(key);
    if (value != line.values.end() && (!typed || line.type == own_type)) {
      points[line.step] = value->second;
    }
  }
  return points;
}

Series series(const std::string& label, const std::map<long long, double>& points) {
  Series s{label, {}, {}};
  for (const auto& [step, value] : points) {
    s.x.push_back(static_cast<double>(step));
    s.y.push_back(value);
  }
  return s;
}

// Writes `chart` as PREFIX.svg and PREFIX.png, noting both in `written`.
void write_both(const LineChart& chart, const std::string& prefix,
                std::vector<std::string>& written) {
  for (const char* extension : {".svg", ".png"}) {
    write_line_chart(chart, prefix + extension);
    written.push_back(prefix + extension);
  }
}

}  // namespace

std::string training_curves_prefix_fault(const std::string& prefix) {
  // An image's name or a directory would end up in PREFIX.png.svg or a hidden .svg.
  const std::string name = fs::path(prefix).filename().string();
  if (name.empty() || name == "." || name == "..")
    return prefix + " names a directory: give a prefix in it (" +
           (fs::path(prefix) / "curves").string() + ")";
  std::string extension = fs::path(name).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".svg" || extension == ".png" || extension == ".pdf")
    return "a prefix, without extension: it writes " +
           prefix.substr(0, prefix.size() - extension.size()) + ".svg and .png (and " +
           "_ppl.svg/.png, ...)";
  return "";
}

std::vector<std::string> write_training_curves(const std::string& run_directory,
                                               const std::string& out_prefix) {
  const std::string fault = out_prefix.empty() ? "" : training_curves_prefix_fault(out_prefix);
  if (!fault.empty()) throw Error(fault);
  fs::path run_dir(run_directory);
  if (!fs::exists(run_dir)) throw Error("run directory " + run_directory + " does not exist");
  if (!fs::is_directory(run_dir)) throw Error(run_directory + " is not a run directory");
  std::vector<MetricsLine> lines = read_metrics(run_dir / "metrics.jsonl");

  std::string name = fs::absolute(run_dir).lexically_normal().string();
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  name = fs::path(name).filename().string();

  // Only a language model logs perplexities, and its loss is a cross-entropy; the other families'
  // losses are theirs (a forecaster's MSE, MAE or pinball loss).
  LineChart loss{name + ": loss", "step", "loss", {}};
  LineChart ppl{name + ": perplexity", "step", "perplexity", {}, /*log_y=*/true};
  std::set<std::string> validation_metrics;
  for (const MetricsLine& line : lines)
    if (line.type == "valid")
      for (const auto& [key, value] : line.values)
        if (is_validation_metric(key)) validation_metrics.insert(key);
  for (const std::string split : {"train", "valid"}) {
    auto loss_points = curve(lines, split + "_loss", split);
    auto ppl_points = curve(lines, split + "_ppl", split);
    if (!loss_points.empty()) loss.series.push_back(series(split + " loss", loss_points));
    if (!ppl_points.empty()) ppl.series.push_back(series(split + " perplexity", ppl_points));
  }
  if (!ppl.series.empty()) loss.y_label = "cross-entropy loss";
  std::string metrics = (run_dir / "metrics.jsonl").string();
  if (loss.series.empty() && ppl.series.empty() && validation_metrics.empty()) {
    throw Error(
        metrics +
        " has no train_loss, valid_loss, train_ppl, valid_ppl or validation metric to plot");
  }
  std::string prefix = out_prefix.empty() ? (run_dir / "curves").string() : out_prefix;
  std::vector<std::string> written;
  if (!loss.series.empty()) write_both(loss, prefix, written);
  if (!ppl.series.empty()) write_both(ppl, prefix + "_ppl", written);
  for (const std::string& key : validation_metrics) {
    LineChart chart{name + ": validation " + key, "step", key, {}};
    chart.series.push_back(series("valid " + key, curve(lines, key, "valid")));
    write_both(chart, prefix + "_" + key, written);
  }
  return written;
}

}  // namespace rnnkit
