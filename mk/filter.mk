# Filter: the proxy-wasm network filter Envoy loads in front of Kafka (root_id "kafka").
#
#   make filter         build build/filter.wasm (optimized) and print its size
#   make filter-test    randomized tests of both modules under a mock Envoy host (no Envoy),
#                       the oracle sweep (with the corpus of real clients' frames, test/corpus),
#                       topic ids shared between worker VMs, and requests waiting for external
#                       decisions (waits.mjs), request frames left in Envoy's buffer until
#                       whole (in-envoy.mjs), what one request may make a VM spend
#                       (request-cost.mjs), Produce frames decided in place against the
#                       same frames read whole, Fetch responses read as they arrive in reads
#                       of many sizes (in-place.mjs), Produce frames built to make the in-place
#                       view and Kafka's reading disagree, split at every header byte, sharing
#                       scratch memory, waiting for external decisions (in-place-attacks.mjs),
#                       a request header of many tagged fields read in linear work, in small
#                       reads, in place or not (header-costs.mjs), refusals' log lines at Envoy's
#                       log level (log-level.mjs) and up to audit.refusalsLoggedPerSecond
#                       (refusal-log.mjs), lines per connection up to 100 a second per VM
#                       (connection-lines.mjs), Metadata listings cut from the answer's
#                       view against the codecs (listings.mjs), leaders' endpoints (KIP-951)
#                       readdressed under filter.brokerAddresses (leader-endpoints.mjs), a
#                       refused acks=0 Produce closing once the requests before it are
#                       answered (acks0.mjs), streams heartbeats judged on the topics of the
#                       group's stored topology, asked of the broker (streams-topologies.mjs),
#                       external decisions' cache bounded in bytes, the least recently asked
#                       given up first (external-cache.mjs), the service's answers deciding
#                       what failOpen may not (external-answers.mjs), one connection's share of
#                       the calls in flight (external-pending.mjs), names needing escapes
#                       quoted to the service and read back in linear time and memory
#                       (external-escapes.mjs), strings written again (a client
#                       id, a name) never wrapping their int16 length (wrapped-lengths.mjs),
#                       names chosen to share a hash bucket costing
#                       what any names cost (chosen-costs.mjs, counted on filter-work.wasm),
#                       the garbage of pipelined requests of many small elements counted towards
#                       the next collection (pipelined-garbage.mjs), one large request of many
#                       refused entries or long names growing a VM by a bounded multiple of its
#                       frame (request-memory.mjs), a
#                       TLS subject's naming linear in its length (subject-costs.mjs), streams
#                       heartbeats not judging a stored topology's topics again (streams-costs.mjs); the
#                       oracle sweep, the waits, in-envoy, in-place, in-place-attacks and leader-endpoints again on
#                       build/filter-stress.wasm (garbage
#                       collected at every safe point, bytes not fetched in place poisoned)
#   make filter-smoke   build build/filter-test.wasm (the filter + a test handler that uses
#                       every verdict) and drive it through Envoy against a fake broker
#   make round-trip-cost  time, allocation and work (function entries and loop iterations, host
#                       calls) of allowed Produce and Fetch round trips in the mock host
#                       (1 KiB, 101 KiB, 1 MiB, 100 partitions; figures for test/bench/README.md)
#
# asc takes the entry file on its command line: asconfig.json's "filter" target holds the
# options only (an asconfig can name entries only for all targets at once).

FILTER_WASM_OUT  := build/filter.wasm
FILTER_TEST_WASM := build/filter-test.wasm
# The filter collecting garbage at every safe point (assembly/runtime/collect.ts): a reference
# only the Wasm stack held would be freed at once and the tests would see it; and frames decided
# in place fetched in 64-byte pages, what was not fetched poisoned (assembly/protocol/in-place.ts).
FILTER_STRESS_WASM := build/filter-stress.wasm
FILTER_SRCS      := $(shell find assembly -name '*.ts' 2>/dev/null)

FILTER_RTRACE_WASM := build/filter-rtrace.wasm
# filter.wasm with a call to env.log_execution at every function entry and loop iteration
# (binaryen's log-execution pass): round-trip-cost.mjs counts them, the filter's work per round
# trip in figures that do not move with the machine's load.
FILTER_WORK_WASM := build/filter-work.wasm

.PHONY: filter filter-test filter-smoke round-trip-cost

$(FILTER_WASM_OUT): $(FILTER_SRCS) asconfig.json $(NODE_STAMP)
	npx asc assembly/main.ts --config asconfig.json --target filter

filter: deps $(FILTER_WASM_OUT)
	@echo "filter: $(FILTER_WASM_OUT) $$(wc -c < $(FILTER_WASM_OUT)) bytes"

$(FILTER_STRESS_WASM): $(FILTER_SRCS) asconfig.json $(NODE_STAMP)
	npx asc assembly/main.ts --config asconfig.json --target filter --use COLLECT_AT_EVERY_SAFE_POINT=1 --use STRESS_IN_PLACE=1 -o $@

$(FILTER_TEST_WASM): $(FILTER_SRCS) asconfig.json $(NODE_STAMP)
	npx asc assembly/filter/testing/entry.ts --config asconfig.json --target filter -o $@

filter-smoke: deps $(FILTER_TEST_WASM) $(ENVOY_STAMP)
	ENVOY=$(ENVOY) node assembly/filter/testing/smoke.mjs $(FILTER_TEST_WASM)

filter-test: deps $(FILTER_WASM_OUT) $(FILTER_TEST_WASM) $(FILTER_STRESS_WASM) $(FILTER_WORK_WASM) oracle codecs
	node assembly/filter/testing/fuzz.mjs $(FILTER_TEST_WASM) 300
	node assembly/filter/testing/fuzz.mjs $(FILTER_WASM_OUT) 100 12345 --garbage-only
	node --import tsx assembly/filter/testing/sweep.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES) --corpus $(CORPUS_DIR)
	node assembly/filter/testing/workers.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/waits.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/in-envoy.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/request-cost.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/kafka-reads.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/sasl-rounds.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/share-sessions.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/in-place.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/in-place-attacks.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/log-level.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/refusal-log.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/refusal-log.mjs $(FILTER_STRESS_WASM)
	node assembly/filter/testing/connection-lines.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/connection-lines.mjs $(FILTER_STRESS_WASM)
	node assembly/filter/testing/listings.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/leader-endpoints.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/acks0.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/streams-topologies.mjs $(FILTER_WASM_OUT) $(ORACLE_FRAMES)
	node assembly/filter/testing/external-cache.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/external-answers.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/external-pending.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/external-escapes.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/external-escapes.mjs $(FILTER_STRESS_WASM)
	node assembly/filter/testing/wrapped-lengths.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/wrapped-lengths.mjs $(FILTER_STRESS_WASM)
	node assembly/filter/testing/chosen-costs.mjs $(FILTER_WORK_WASM)
	node assembly/filter/testing/pipelined-garbage.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/request-memory.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/subject-costs.mjs $(FILTER_WORK_WASM)
	node assembly/filter/testing/header-costs.mjs $(FILTER_WORK_WASM)
	node assembly/filter/testing/streams-costs.mjs $(FILTER_WORK_WASM) $(ORACLE_FRAMES)
	node --import tsx assembly/filter/testing/sweep.mjs $(FILTER_STRESS_WASM) $(ORACLE_FRAMES) --corpus $(CORPUS_DIR)
	node assembly/filter/testing/waits.mjs $(FILTER_STRESS_WASM) $(ORACLE_FRAMES)
	node assembly/filter/testing/in-envoy.mjs $(FILTER_STRESS_WASM) $(ORACLE_FRAMES)
	node assembly/filter/testing/in-place.mjs $(FILTER_STRESS_WASM)
	node assembly/filter/testing/in-place-attacks.mjs $(FILTER_STRESS_WASM)
	node assembly/filter/testing/listings.mjs $(FILTER_STRESS_WASM) $(ORACLE_FRAMES)
	node assembly/filter/testing/leader-endpoints.mjs $(FILTER_STRESS_WASM) $(ORACLE_FRAMES)

# The same filter with AssemblyScript's allocation hooks (ASC_RTRACE), for round-trip-cost.mjs.
$(FILTER_RTRACE_WASM): $(FILTER_SRCS) asconfig.json $(NODE_STAMP)
	npx asc assembly/main.ts --config asconfig.json --target filter --use abort=abort_proc_exit --use ASC_RTRACE=1 -o $@

$(FILTER_WORK_WASM): $(FILTER_WASM_OUT)
	npx wasm-opt $< --log-execution --all-features -o $@

round-trip-cost: deps $(FILTER_WASM_OUT) $(FILTER_RTRACE_WASM) $(FILTER_WORK_WASM)
	node assembly/filter/testing/round-trip-cost.mjs $(FILTER_WASM_OUT)
	node assembly/filter/testing/round-trip-cost.mjs $(FILTER_RTRACE_WASM)
	node assembly/filter/testing/round-trip-cost.mjs $(FILTER_WORK_WASM)
