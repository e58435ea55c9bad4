# The two set-up commands of the README: `make demo` and `make test`.
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: deps build test test-fallbacks test-asan fuzz demo bench clean format

deps:
	@bash tools/install_deps.sh

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The unit tests again on the fallback paths of an already built tree: a CPU without AVX-512
# (oneDNN limited to AVX2, so BF16 tests skip; rnnkit's kernels in their AVX2 versions: on such
# a CPU these are its own paths, which `make test` ran), then rnnkit's own kernels forced to
# their baseline versions.
test-fallbacks:
	if grep -qw avx512f /proc/cpuinfo; then \
	  cd $(BUILD) && ONEDNN_MAX_CPU_ISA=AVX2 RNNKIT_CPU=avx2 ctest -L unit --output-on-failure -j $(JOBS); \
	else echo "test-fallbacks: no AVX-512 here, so make test ran the AVX2 paths"; fi
	cd $(BUILD) && RNNKIT_CPU=baseline ctest -L unit --output-on-failure -j $(JOBS)

# The GoogleTest suites under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build build/asan -j $(JOBS) --target rnnkit_tests
	cd build/asan && ctest -L unit --output-on-failure -j $(JOBS)

fuzz: deps
	cmake --preset fuzz >/dev/null
	bash fuzz/run.sh build/fuzz 20

demo: build
	bash tools/demo.sh $(BUILD)/rnnkit

bench: build
	bash bench/compare.sh poetry

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf build
