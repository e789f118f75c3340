# kafka-wasm-filter: one entry point for building, testing and running the product.
# Each area keeps its rules in mk/*.mk; this file holds the pins and the top-level targets.

# The Kafka release the codecs are generated from (and checked against: codegen, oracle).
KAFKA_PIN      := 4.4.0
# The broker the e2e stack runs (`make up KAFKA_VERSION=3.9.1`); its own jars and storage.
KAFKA_VERSION  ?= $(KAFKA_PIN)
# Kafka nodes of the e2e stack (`make up BROKERS=3`: a cluster, each node behind its own Envoy listeners).
BROKERS        ?= 1
ENVOY_VERSION  ?= 1.40.0
CACHE          := .cache
SCHEMA_DIR     := $(CACHE)/schemas/kafka-$(KAFKA_PIN)
NODE_STAMP     := node_modules/.install-stamp

.PHONY: all deps schemas codegen check-codegen check-types codecs policy-tool test-policy test-oracle build test ci clean
all: build

include mk/*.mk

# Everything a fresh machine needs, then every suite; ends with `N passed, N failed`.
test: deps schemas tools envoy kafka opa
	bash test/run-all.sh

build: codecs policy-tool filter

clean:
	rm -rf build $(CACHE)/test $(CACHE)/codegen-check
