# End-to-end tests: real Kafka clients (kafkajs, librdkafka's kcat) -> Envoy + build/filter.wasm
# -> Kafka, with the policy test/e2e/policy.json (its intent: test/e2e/README-notes.md).
#
#   make test-e2e                      build, start Kafka + Envoy once, run test/e2e/*.test.ts
#                                      one file at a time, then `make down` (always), exit code
#                                      of the tests; node's TAP closes with `# pass N` / `# fail N`
#   make test-e2e E2E_TESTS=test/e2e/sasl.test.ts   one file
#   make test-e2e BROKERS=3 E2E_TESTS="test/e2e/cluster.test.ts test/e2e/client-matrix.test.ts"
#                                      the same against a 3-node cluster (each node behind its own listeners)
#   make test-e2e-run                  only the tests, against a stack already up
#                                      (`make up POLICY=test/e2e/policy.json`); nothing is stopped
# E2E_KAFKAJS_LOG=info|debug shows kafkajs's own log.

E2E_POLICY ?= test/e2e/policy.json
# Four Envoy workers (one Wasm VM each), as a production Envoy has: a client's connections
# land on different VMs, which must agree (topic ids, the budget per VM).
E2E_ENVOY_CONCURRENCY ?= 4
E2E_TESTS  ?= test/e2e/*.test.ts
# The stack's Kafka version and node count reach the tests (cluster.test.ts stops and starts nodes).
# --test-force-exit: a kafkajs client a failed test leaves behind (retrying, a consumer restarting)
# must not keep a test file's process, and so the suite, alive.
E2E_NODE   := KAFKA_VERSION=$(KAFKA_VERSION) BROKERS=$(BROKERS) node --import tsx --test --test-force-exit --test-concurrency=1 --test-reporter=tap

.PHONY: test-e2e test-e2e-run

# codecs: the ApiVersions test compares with `npx kafka-wasm apis`, which runs build/codecs.wasm;
# oracle: kafka-authorizer.test.ts sends every request frame Kafka's classes build.
test-e2e: filter codecs tools envoy kafka clients oracle
	@t0=$$(date +%s); rc=0; \
	trap '$(MAKE) --no-print-directory down' EXIT; \
	trap 'exit 130' INT TERM; \
	$(MAKE) --no-print-directory up POLICY=$(E2E_POLICY) ENVOY_CONCURRENCY=$(E2E_ENVOY_CONCURRENCY) || exit $$?; \
	$(E2E_NODE) $(E2E_TESTS) || rc=$$?; \
	echo "test-e2e: exit $$rc after $$(( $$(date +%s) - t0 ))s"; \
	exit $$rc

test-e2e-run:
	$(E2E_NODE) $(E2E_TESTS)
