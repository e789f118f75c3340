# kafka-wasm-filter: one entry point for building, testing and running the product.
# Each area keeps its rules in mk/*.mk; this file holds the pins and the top-level targets.

KAFKA_VERSION  ?= 4.4.0
ENVOY_VERSION  ?= 1.40.0
CACHE          := .cache
SCHEMA_DIR     := $(CACHE)/schemas/kafka-$(KAFKA_VERSION)
NODE_STAMP     := node_modules/.install-stamp

.PHONY: all deps schemas codegen check-codegen codecs test-oracle build test ci clean
all: build

include mk/*.mk

# Everything a fresh machine needs, then every suite; ends with `N passed, N failed`.
test: deps schemas tools envoy kafka
	bash test/run-all.sh

build: codecs filter

clean:
	rm -rf build $(CACHE)/test $(CACHE)/codegen-check
