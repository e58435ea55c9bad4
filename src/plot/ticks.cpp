#include "plot/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace rnnkit::plot {

Ticks linear_ticks(double lo, double hi, int target_count) {
  if (!(hi > lo)) {
    // A tenth of the value either side; 1 where that is lost in rounding (0, a subnormal), and
    // no further than the largest double.
    double pad = std::abs(lo) * 0.1;
    if (!(lo - pad < lo)) pad = 1;
    lo = std::max(lo - pad, -std::numeric_limits<double>::max());
    hi = std::min(hi + pad, std::numeric_limits<double>::max());
  }
  double raw = (hi - lo) / std::max(target_count, 1);
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double normalised = raw / magnitude;
  double step = (normalised < 1.5 ? 1 : normalised < 3 ? 2 : normalised < 7 ? 5 : 10) * magnitude;
  // The small slack keeps a bound that is a whole step up to rounding (0.3 / 0.1) on its tick.
  double first = std::floor(lo / step + 1e-9);
  double last = std::ceil(hi / step - 1e-9);
  // A range beyond what doubles can step through (infinite width, or ends so large that one step
  // is lost in their rounding) gets ticks at its ends only.
  if (!std::isfinite(first * step) || !std::isfinite(last * step) || !(last - first <= 100)) {
    return {lo, hi, {lo, hi}, hi - lo};
  }
  Ticks ticks{first * step, last * step, {}, step};
  for (int k = 0; k <= static_cast<int>(last - first); ++k) {
    ticks.values.push_back(first + k == 0 ? 0.0 : (first + k) * step);
  }
  return ticks;
}

Ticks log_ticks(double lo, double hi) {
  // Kept to the powers of ten that are normal doubles.
  int first = std::max(-307, static_cast<int>(std::floor(std::log10(lo) + 1e-9)));
  int last = std::min(308, static_cast<int>(std::ceil(std::log10(hi) - 1e-9)));
  if (last <= first) first = last - 1;
  Ticks ticks{std::pow(10.0, first), std::pow(10.0, last), {}, 0};
  int decades = last - first;
  int decade_step = std::max(1, (decades + 7) / 8);
  for (int e = first; e <= last; e += decade_step) {
    double power = std::pow(10.0, e);
    ticks.values.push_back(power);
    if (decades <= 2 && e < last) {
      ticks.values.push_back(2 * power);
      ticks.values.push_back(5 * power);
    }
  }
  return ticks;
}

std::string format_tick(double value, double step) {
  char text[32];
  if (value == 0) return "0";
  if (step == 0 || step >= 1e6 || step < 1e-4) {
    std::snprintf(text, sizeof text, "%g", value);
  } else {
    int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
  }
  return text;
}

}  // namespace rnnkit::plot
