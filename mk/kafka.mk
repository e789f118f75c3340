# Kafka for the end-to-end tests: a single-node KRaft broker (broker+controller) on loopback,
# built from Apache Kafka's jars on Maven Central (no distribution tarball). Any released
# version: `make up KAFKA_VERSION=3.9.1` (default $(KAFKA_VERSION), the Makefile's pin). Each
# version has its own jars, storage and logs under $(KAFKA_ROOT)/<version>/, so switching
# versions back and forth needs no wipe; kafka-up stops a broker of another version first,
# kafka-down stops whichever runs.
#
#   make kafka        gather kafka_2.13:$(KAFKA_VERSION) and its runtime deps into $(KAFKA_LIBS)
#   make kafka-up     format storage (once) and start the broker in the background, wait until ready
#   make kafka-down   stop it
#   make kafka-clean  stop it and wipe this version's data and logs
#   make tools        install the e2e command-line tools (kcat, ...) that are missing

KAFKA_ROOT   := $(CACHE)/kafka
KAFKA_DIR    := $(KAFKA_ROOT)/$(KAFKA_VERSION)
KAFKA_LIBS   := $(KAFKA_DIR)/libs
KAFKA_RUN    := $(KAFKA_DIR)/run
KAFKA_LOGS   := $(KAFKA_DIR)/logs
KAFKA_CONF   := test/e2e/kafka
KAFKA_STAMP  := $(KAFKA_LIBS)/.stamp
KAFKA_SH     := KAFKA_ROOT=$(KAFKA_ROOT) KAFKA_VERSION=$(KAFKA_VERSION) \
                KAFKA_LIBS=$(KAFKA_LIBS) KAFKA_RUN=$(KAFKA_RUN) KAFKA_LOGS=$(KAFKA_LOGS) \
                KAFKA_CONF=$(KAFKA_CONF) bash test/e2e/bin/kafka.sh

.PHONY: kafka kafka-up kafka-down kafka-clean tools kcat

kafka: $(KAFKA_STAMP)

$(KAFKA_STAMP): $(KAFKA_CONF)/pom.xml
	@command -v mvn >/dev/null && command -v java >/dev/null || $(MAKE) --no-print-directory tools
	rm -rf $(KAFKA_LIBS)
	mvn -q -B -f $(KAFKA_CONF)/pom.xml dependency:copy-dependencies \
	  -Dkafka.version=$(KAFKA_VERSION) -DincludeScope=runtime -DoutputDirectory=$(abspath $(KAFKA_LIBS))
	@test -f $(KAFKA_LIBS)/kafka_2.13-$(KAFKA_VERSION).jar
	@touch $@

kafka-up: $(KAFKA_STAMP)
	@$(KAFKA_SH) up

kafka-down:
	@$(KAFKA_SH) down

# (also the layout before versions had their own directories: $(KAFKA_ROOT)/{libs,run,logs})
kafka-clean: kafka-down
	rm -rf $(KAFKA_RUN) $(KAFKA_LOGS) $(KAFKA_ROOT)/libs $(KAFKA_ROOT)/run $(KAFKA_ROOT)/logs

# Debian packages the e2e tests use; each is installed only when its command is missing.
E2E_APT := kcat:kcat mvn:maven java:openjdk-17-jre-headless curl:curl openssl:openssl

tools:
	@missing=""; for p in $(E2E_APT); do \
	  command -v $${p%%:*} >/dev/null 2>&1 || missing="$$missing $${p#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

kcat: tools
