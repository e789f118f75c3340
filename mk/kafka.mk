# Kafka for the end-to-end tests: KRaft nodes (each broker+controller) on loopback, built from
# Apache Kafka's jars on Maven Central (no distribution tarball). One node by default, a
# cluster with `make up BROKERS=3`. Any released version: `make up KAFKA_VERSION=3.9.1` (default
# $(KAFKA_VERSION), the Makefile's pin). Each version and node count has its own storage and logs
# under $(KAFKA_ROOT)/<version>/, so switching back and forth needs no wipe; kafka-up stops
# brokers of another version or count first, kafka-down stops whichever run.
#
#   make kafka        gather kafka_2.13:$(KAFKA_VERSION) and its runtime deps into $(KAFKA_LIBS)
#   make kafka-up     format storage (once) and start the broker in the background, wait until ready
#   make kafka-down   stop it
#   make kafka-clean  stop it and wipe this version's data and logs
#   make kafka-stop-node NODE=2 BROKERS=3 / kafka-start-node ...   one node of a running cluster
#   make tools        install the e2e command-line tools (kcat, ...) that are missing

KAFKA_ROOT   := $(CACHE)/kafka
KAFKA_DIR    := $(KAFKA_ROOT)/$(KAFKA_VERSION)
KAFKA_LIBS   := $(KAFKA_DIR)/libs
KAFKA_CONF   := test/e2e/kafka
KAFKA_STAMP  := $(KAFKA_LIBS)/.stamp
KAFKA_SH     := KAFKA_ROOT=$(KAFKA_ROOT) KAFKA_VERSION=$(KAFKA_VERSION) BROKERS=$(BROKERS) \
                KAFKA_LIBS=$(KAFKA_LIBS) KAFKA_CONF=$(KAFKA_CONF) bash test/e2e/bin/kafka.sh

.PHONY: kafka kafka-up kafka-down kafka-clean kafka-stop-node kafka-start-node tools kcat

kafka: $(KAFKA_STAMP)

# With the e2e tests' broker plugin (test/e2e/kafka/plugin/: a client-telemetry receiver),
# compiled against this version's jars into its libs.
$(KAFKA_STAMP): $(KAFKA_CONF)/pom.xml $(KAFKA_CONF)/plugin/E2eTelemetry.java
	@command -v mvn >/dev/null && command -v java >/dev/null || $(MAKE) --no-print-directory tools
	@$(NEED_JDK)
	rm -rf $(KAFKA_LIBS)
	mvn -q -B -f $(KAFKA_CONF)/pom.xml dependency:copy-dependencies \
	  -Dkafka.version=$(KAFKA_VERSION) -DincludeScope=runtime -DoutputDirectory=$(abspath $(KAFKA_LIBS))
	@test -f $(KAFKA_LIBS)/kafka_2.13-$(KAFKA_VERSION).jar
	rm -rf $(KAFKA_DIR)/plugin && mkdir -p $(KAFKA_DIR)/plugin
	javac -nowarn --release 17 -d $(KAFKA_DIR)/plugin -cp '$(KAFKA_LIBS)/*' $(KAFKA_CONF)/plugin/E2eTelemetry.java
	jar cf $(KAFKA_LIBS)/e2e-telemetry-plugin.jar -C $(KAFKA_DIR)/plugin .
	@touch $@

kafka-up: $(KAFKA_STAMP)
	@$(KAFKA_SH) up

kafka-down:
	@$(KAFKA_SH) down

# One node of a running cluster stops / starts again (test/e2e/cluster.test.ts: a broker lost under load).
kafka-stop-node kafka-start-node: kafka-%-node:
	@$(KAFKA_SH) $*-node $(NODE)

# (also the layout before versions had their own directories: $(KAFKA_ROOT)/{libs,run,logs})
kafka-clean: kafka-down
	rm -rf $(KAFKA_DIR)/run* $(KAFKA_DIR)/logs* $(KAFKA_ROOT)/libs $(KAFKA_ROOT)/run $(KAFKA_ROOT)/logs

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
