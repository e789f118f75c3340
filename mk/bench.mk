# Bench: speed and memory of the filter against its peer, Envoy as a plain TCP pass-through, in
# the same run on the same machine, plus the codecs' decode cost against kafkajs's decoders in
# Node (test/bench/README.md). Figures are ratios within one run, never a pass/fail test, so
# `make test` does not run it.
#
#   make bench     build what it needs, start Kafka, alternate `make up NOWASM=1` and
#                  `make up POLICY=test/bench/policy.json`, print the table; `make down` always
#                  (waits first while someone else's Kafka/Envoy runs, e.g. `make test-e2e`)
# BENCH_MESSAGES, BENCH_METADATA, BENCH_DENIED, BENCH_REPEATS, ... : see test/bench/proxy.ts.

.PHONY: bench
bench: filter codecs oracle envoy kafka tools
	@bash test/bench/run.sh
