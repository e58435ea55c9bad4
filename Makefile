# The two set-up commands of the README: `make demo` and `make test`.
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: deps build test test-asan fuzz demo bench clean format

deps:
	@bash tools/install_deps.sh

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The GoogleTest suites under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build build/asan -j $(JOBS) --target rnnkit_tests
	cd build/asan && ctest -L unit --output-on-failure -j $(JOBS)

fuzz: deps
	cmake --preset fuzz >/dev/null
	bash fuzz/run.sh build/fuzz 60

demo: build
	bash tools/demo.sh $(BUILD)/rnnkit

bench: build
	bash bench/compare.sh poetry

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf build
