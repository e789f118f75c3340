# The corpus of real clients' request frames (test/corpus/README.md): regression cases that the
# sweep (make filter-test) runs through build/codecs.wasm and build/filter.wasm with no broker.
#
#   make corpus-capture   run the client matrix against Kafka + Envoy + the filter with tcpdump on
#                         loopback, send the hand-made variants to the broker, then rewrite
#                         test/corpus/frames/ from the captures (needs the e2e stack: holds
#                         $(STACK_LOCK) while it runs). KAFKA_VERSION=3.9.1 captures against
#                         that broker; the corpus is made of every version's capture kept in
#                         $(CORPUS_CAPTURE)/matrix-<version>.pcap
#   make corpus-extract   only the last step, from the captures already there

CORPUS_DIR      := test/corpus/frames
CORPUS_CAPTURE  := $(CACHE)/corpus
CORPUS_PCAP     := $(CORPUS_CAPTURE)/matrix-$(KAFKA_VERSION).pcap
# Client -> Envoy (what the clients send) and Envoy -> broker (what the broker answered).
CORPUS_PORTS    := tcp port 19092 or tcp port 19093 or tcp port 9092 or tcp port 9093
STACK_LOCK      ?= /tmp/kafka-stack.lock

.PHONY: corpus-capture corpus-capture-run corpus-extract

corpus-capture: filter codecs tools envoy kafka clients
	@command -v tcpdump >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump; }
	@mkdir -p $(CORPUS_CAPTURE)
	flock $(STACK_LOCK) $(MAKE) --no-print-directory corpus-capture-run
	@$(MAKE) --no-print-directory corpus-extract

# (under the lock) The stack as test-e2e starts it, tcpdump for the matrix, the hand-made
# variants, the requests the filter never passed on sent to the broker directly (direct.ts),
# then everything stopped whatever failed. A failing cell still leaves its frames.
corpus-capture-run:
	@rm -f $(CORPUS_PCAP); rc=0; \
	trap '[ -n "$$dump" ] && kill $$dump; $(MAKE) --no-print-directory down' EXIT; \
	trap 'exit 130' INT TERM; \
	$(MAKE) --no-print-directory up POLICY=$(E2E_POLICY) ENVOY_CONCURRENCY=$(E2E_ENVOY_CONCURRENCY) || exit $$?; \
	tcpdump -i lo -s 0 -U -n -w $(CORPUS_PCAP) '$(CORPUS_PORTS)' & dump=$$!; sleep 2; \
	$(E2E_NODE) test/e2e/client-matrix.test.ts || rc=$$?; \
	node --import tsx test/corpus/handmade.ts send $(CORPUS_DIR)/handmade.jsonl $(KAFKA_VERSION) || rc=$$?; \
	sleep 1; kill $$dump; wait $$dump; dump=; \
	node --import tsx test/corpus/direct.ts $(CORPUS_PCAP) $(KAFKA_VERSION) || rc=$$?; \
	echo "corpus-capture: matrix and hand-made variants exit $$rc"

corpus-extract: codecs
	node --import tsx test/corpus/extract.ts $(CORPUS_DIR) $(wildcard $(CORPUS_CAPTURE)/matrix-*.pcap)
