# Bench: speed and memory of the filter against its peer, Envoy as a plain TCP pass-through, in
# the same run on the same machine, plus the codecs' decode cost against kafkajs's decoders in
# Node (test/bench/README.md). Figures are ratios within one run, never a pass/fail test, so
# `make test` does not run it.
#
#   make bench     build what it needs; under $(STACK_LOCK) start Kafka, wait until every bench
#                  topic's partition has a leader and takes a produce, then BENCH_REPEAT (3)
#                  times alternate `make up NOWASM=1`, the floor (Envoy with a Wasm filter that
#                  does nothing, $(BENCH_NOOP)) and `make up POLICY=test/bench/policy.json`
#                  (P N F, F N P, ...), `make down` always; print the table, the added latency,
#                  the machine's load and one `ratio ...`/`floor ...`/`added ...` line per figure
# BENCH_MESSAGES, BENCH_METADATA, BENCH_DENIED, BENCH_REPEAT, ... : see test/bench/proxy.ts.

# The codecs as the filter runs them: AssemblyScript's minimal runtime (the bench collects as the
# filter does, every 1024 frames), for test/bench/codecs.ts. The CLI's build/codecs.wasm collects
# on its own (incremental), which costs a walk several times over.
BENCH_CODECS := build/bench/codecs.wasm
# Its own list: prerequisites expand as the rule is read, before mk/codecs.mk defines ASSEMBLY_SRCS.
BENCH_CODECS_SRCS := $(shell find assembly -name '*.ts' 2>/dev/null)
$(BENCH_CODECS): $(BENCH_CODECS_SRCS) asconfig.json $(NODE_STAMP)
	@mkdir -p build/bench
	npx asc assembly/cli.ts --config asconfig.json --target codecs --runtime minimal -o $@

# The codecs' Go peer: franz-go's kmsg on the same frames (test/bench/kmsg, modules from the Go proxy).
BENCH_KMSG := build/bench/kmsg-bench
$(BENCH_KMSG): test/bench/kmsg/main.go test/bench/kmsg/go.mod test/bench/kmsg/go.sum
	@mkdir -p build/bench
	cd test/bench/kmsg && $(CLIENTS_GOENV) go build -o $(abspath $@) .

# The floor: what Envoy costs with any Wasm network filter loaded, ours aside.
BENCH_NOOP := build/bench/noop-filter.wasm
$(BENCH_NOOP): test/bench/floor/noop-filter.ts asconfig.json $(NODE_STAMP)
	@mkdir -p build/bench
	npx asc test/bench/floor/noop-filter.ts --config asconfig.json --target filter -o $@

# The reader floor: what a filter costs that only reads each chunk once (make bench
# BENCH_NOOP_WASM=$(BENCH_READER) puts it in the no-op's place).
BENCH_READER := build/bench/reader-filter.wasm
$(BENCH_READER): test/bench/floor/reader-filter.ts asconfig.json $(NODE_STAMP)
	@mkdir -p build/bench
	npx asc test/bench/floor/reader-filter.ts --config asconfig.json --target filter -o $@

.PHONY: bench
bench: filter codecs $(BENCH_CODECS) $(BENCH_KMSG) $(BENCH_NOOP) $(BENCH_READER) build/filter-work.wasm oracle envoy kafka tools
	@STACK_LOCK=$(STACK_LOCK) bash test/bench/run.sh
