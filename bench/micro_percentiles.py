#!/usr/bin/python3
"""The spread of bench/micro.sh's repetitions: for each benchmark and thread count of each log,
the count of repetitions and the best, 90th-percentile and median rate (GFLOP/s, or thousands of
items per second where a benchmark counts no FLOPs). On a host whose neighbours take its caches
at random moments, the 90th percentile of many short repetitions compares two builds of a kernel
where the median of a few long ones cannot.

    bench/micro_percentiles.py LOG.jsonl [LOG.jsonl ...]
"""
import collections
import json
import statistics
import sys


def rate(line):
    if "GFLOP/s" in line:
        return line["GFLOP/s"]
    if "items_per_second" in line:
        return line["items_per_second"] / 1e3
    return None


def summarize(path):
    rates = collections.defaultdict(list)
    with open(path) as log:
        for text in log:
            line = json.loads(text)
            if line.get("run_type") == "iteration" and rate(line) is not None:
                # One distribution per thread count: a log may hold runs at several (record_all.sh
                # writes micro.sh's 1- and 2-thread runs into one).
                name = line["run_name"].replace("/real_time", "")
                rates[name, line.get("omp_num_threads")].append(rate(line))
    print(path)
    for (name, threads), values in rates.items():
        values.sort()
        p90 = values[int(0.9 * (len(values) - 1))]
        label = name if threads is None else f"{name} t{threads}"
        print(f"  {label:60} n {len(values):3}  best {values[-1]:7.1f}  p90 {p90:7.1f}"
              f"  median {statistics.median(values):7.1f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for path in sys.argv[1:]:
        summarize(path)
