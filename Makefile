# The two set-up commands of the README: `make demo` and `make test`.
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: deps configure build cli test test-fallbacks test-emulated-avx2 test-asan fuzz demo bench clean format

deps:
	@bash tools/install_deps.sh

configure: deps
	cmake --preset $(PRESET) >/dev/null

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The command line alone: what `make demo` runs (the tests and benchmarks are most of a build).
cli: configure
	cmake --build $(BUILD) -j $(JOBS) --target rnnkit_cli

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The unit tests again on the fallback paths of an already built tree: a CPU without AVX-512
# (oneDNN limited to AVX2, so BF16 tests skip; rnnkit's kernels in their AVX2 versions: on such
# a CPU these are its own paths, which `make test` ran), then rnnkit's own kernels forced to
# their baseline versions. An AVX-512 CPU runs an AVX-512 instruction that a dispatch lets through
# on the forced AVX2 path without a word (four tests of the loss alone died of one on a Zen 3,
# unnoticed here), so there the suites of the hand-written kernels run once more on an emulated
# CPU without AVX-512 (QEMU's most capable one, AVX2 and FMA included, less AVX-512, which QEMU
# 7.2 does not emulate anyway; its Haswell model warns about six features it lacks), where such an
# instruction is illegal, as on a real CPU without it. Emulation is far slower than the CPU: those
# suites only (1 min 38 s on a Zen 3, bench/results/emulated-avx2-s24-20261205.txt).
NO_AVX512_SUITES := RowExp.*:LinearCrossEntropy.*:PanelProduct.*:*PackedProduct*.*:Float32Product.*:Int8Gemv.*:Int8Rows.*:SingleRow.*:Shapes/SingleRow.*:Transpose.*:CrossEntropy.*:CrossEntropyGradient.*:ColumnSums.*:CpuPath.*:BatchedStep.*:CellThreads.*:Cells/BatchSlices.*:EmbeddedInput.*:Cells/EmbeddedInput.*:ForwardOnly.*:ElementRanges.*:DropoutMask.*:GradNorm.*:Adam.*:SGD.*:ClipGradNorm.*:Fixtures/LMParity.*

test-fallbacks:
	if grep -qw avx512f /proc/cpuinfo; then \
	  (cd $(BUILD) && ONEDNN_MAX_CPU_ISA=AVX2 RNNKIT_CPU=avx2 ctest -L unit --output-on-failure -j $(JOBS)) && \
	  $(MAKE) --no-print-directory test-emulated-avx2; \
	else echo "test-fallbacks: no AVX-512 here, so make test ran the AVX2 paths"; fi
	cd $(BUILD) && RNNKIT_CPU=baseline ctest -L unit --output-on-failure -j $(JOBS)

# The kernels' suites on an emulated CPU without AVX-512 (any host; needs qemu-user).
test-emulated-avx2:
	@command -v qemu-x86_64 >/dev/null || \
	  { echo "test-emulated-avx2: needs qemu-x86_64: apt-get install qemu-user" >&2; exit 1; }
	cd $(BUILD) && OMP_WAIT_POLICY=PASSIVE qemu-x86_64 -cpu max,-avx512f ./tests/rnnkit_tests \
	  --gtest_filter='$(NO_AVX512_SUITES)'

# The GoogleTest suites under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build build/asan -j $(JOBS) --target rnnkit_tests
	cd build/asan && ctest -L unit --output-on-failure -j $(JOBS)

fuzz: deps
	cmake --preset fuzz >/dev/null
	bash fuzz/run.sh build/fuzz 20

demo: cli
	bash tools/demo.sh $(BUILD)/rnnkit

bench: build
	bash bench/compare.sh poetry

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf build
