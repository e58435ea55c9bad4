#pragma once
#include <string>
#include <vector>

// Axis ticks at round numbers; apart from the drawing so that they can be tested on their own.
namespace rnnkit::plot {

struct Ticks {
  double lo, hi;  // the axis range: the data range widened to whole steps (whole decades on log)
  std::vector<double> values;
  double step;  // the linear step, or 0 on a log axis
};

// About `target_count` ticks at a step of 1, 2 or 5 times a power of ten. lo <= hi; equal ends
// are widened first.
Ticks linear_ticks(double lo, double hi, int target_count);
// Ticks for a log axis over [lo, hi] (0 < lo <= hi): every power of ten, plus 2 and 5 times them
// when the range spans at most two decades.
Ticks log_ticks(double lo, double hi);
// The tick label: as many decimals as the step needs, %g for very large or small numbers.
std::string format_tick(double value, double step);

}  // namespace rnnkit::plot
