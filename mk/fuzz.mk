# Fuzz: the whole product filter (build/filter.wasm, the real policy) in the mock Envoy host,
# judged by a differential oracle (assembly/filter/testing/fuzz-filter.mjs, oracle.mjs;
# test/fuzz/README.md).
#
#   make fuzz               FUZZ_FRAMES frames (default 1000000) on FUZZ_WORKERS workers (at
#                           most 2), seed FUZZ_SEED (default: random, printed); new findings go
#                           to test/fuzz/regressions/
#   make fuzz-regressions   replay every kept finding (test/fuzz/regressions/*.json)
#   make fuzz-test          what `make test` runs: the replay, then a bounded pass
#                           (FUZZ_TEST_FRAMES, default 150000, fixed seed FUZZ_TEST_SEED), and
#                           FUZZ_STRESS_FRAMES (100000) of it on build/filter-stress.wasm,
#                           then the scaling sweep (scaling.mjs: every request grown from
#                           SCALING_N to 8x that many elements must cost about 8x, not 64x)

FUZZ_FRAMES      ?= 1000000
FUZZ_WORKERS     ?= 2
FUZZ_TEST_FRAMES ?= 150000
FUZZ_TEST_SEED   ?= 20261202
# The same seed on build/filter-stress.wasm (garbage collected at every safe point), shorter.
FUZZ_STRESS_FRAMES ?= 100000
FUZZ             := node assembly/filter/testing/fuzz-filter.mjs
SCALING_N        ?= 2000

.PHONY: fuzz fuzz-regressions fuzz-test

fuzz: deps $(FILTER_WASM_OUT) codecs oracle
	FUZZ_FRAMES=$(FUZZ_FRAMES) FUZZ_WORKERS=$(FUZZ_WORKERS) $(FUZZ)

fuzz-regressions: deps $(FILTER_WASM_OUT) codecs schemas
	$(FUZZ) --replay test/fuzz/regressions

# Every part runs even when one before fails; any failing fails the target.
fuzz-test: deps $(FILTER_WASM_OUT) $(FILTER_STRESS_WASM) codecs oracle
	@rc=0; $(FUZZ) --replay test/fuzz/regressions || rc=1; \
	FUZZ_FRAMES=$(FUZZ_TEST_FRAMES) FUZZ_SEED=$(FUZZ_TEST_SEED) FUZZ_WORKERS=$(FUZZ_WORKERS) $(FUZZ) || rc=1; \
	FUZZ_FRAMES=$(FUZZ_STRESS_FRAMES) FUZZ_SEED=$(FUZZ_TEST_SEED) FUZZ_WORKERS=$(FUZZ_WORKERS) $(FUZZ) --wasm $(FILTER_STRESS_WASM) || rc=1; \
	node assembly/filter/testing/scaling.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES) --n $(SCALING_N) || rc=1; \
	exit $$rc
