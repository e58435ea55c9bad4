#!/usr/bin/env bash
# The installed library as a program outside this tree uses it: `cmake --install` of this build
# into a temporary prefix, then a project of its own with find_package(rnnkit) that loads the
# shipped poem model and evaluates a text, whose perplexity must equal `rnnkit eval`'s.
# Called as: bash find_package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null

mkdir "$work/app"
cat >"$work/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(uses_rnnkit LANGUAGES CXX)

find_package(rnnkit 0.1 REQUIRED)  # the target brings C++20 itself
add_executable(uses_rnnkit main.cpp)
target_link_libraries(uses_rnnkit PRIVATE rnnkit::rnnkit)
CMAKE
cat >"$work/app/main.cpp" <<'CPP'
#include <rnnkit/error.h>
#include <rnnkit/evaluate.h>
#include <rnnkit/file_io.h>
#include <rnnkit/language_model_file.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  rnnkit::LoadedLanguageModel loaded = rnnkit::load_language_model(argv[1]);
  if (!loaded.vocab) throw rnnkit::Error(loaded.path + " holds no vocabulary");
  const std::vector<int32_t> ids = loaded.vocab->encode(rnnkit::read_file(argv[2]));
  std::printf("perplexity     %.4f\n", rnnkit::evaluate_stream(*loaded.model, ids).perplexity());
}
CPP
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; echo "FAIL: find_package(rnnkit) from the install prefix" >&2; exit 1; }
cmake --build "$work/app/build" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; echo "FAIL: a program linking rnnkit::rnnkit" >&2; exit 1; }

model=$source_dir/models/tang_lstm.safetensors
printf '%s' '床前明月光，疑是地上霜。举头望明月，低头思故乡。' >"$work/poem.txt"
ours=$("$work/app/build/uses_rnnkit" "$model" "$work/poem.txt")
cli=$("$work/prefix/bin/rnnkit" eval -m "$model" --text "$work/poem.txt" | grep '^perplexity')
if [ "$ours" != "$cli" ]; then
  echo "FAIL: the program says '$ours', rnnkit eval '$cli'" >&2
  exit 1
fi
echo "ok: find_package(rnnkit) builds a program whose evaluation equals rnnkit eval ($ours)"
