# Oracle: reference frames written by Kafka's own classes (test/oracle, Java 17 + Maven).
# `make oracle` builds the program and writes $(ORACLE_FRAMES): one JSON line per
# message/version/variant with the size-prefixed frame and Kafka's header/body JSON.

ORACLE_SEED   ?= 20261128
ORACLE_DIR    := test/oracle
ORACLE_OUT    := $(CACHE)/oracle
ORACLE_FRAMES := $(ORACLE_OUT)/frames.jsonl
ORACLE_MAIN   := dev.kafkawasm.oracle.Oracle
ORACLE_SRCS   := $(ORACLE_DIR)/pom.xml $(shell find $(ORACLE_DIR)/src -name '*.java' 2>/dev/null)

.PHONY: oracle
oracle: schemas $(ORACLE_FRAMES)

# `mvn compile` also writes target/classpath.txt (runtime deps from the local Maven repo).
$(ORACLE_DIR)/target/classpath.txt: $(ORACLE_SRCS)
	mvn -q -B -f $(ORACLE_DIR)/pom.xml -Dkafka.version=$(KAFKA_PIN) compile
	@touch $@

# Re-run when the seed changes, not only when sources or schemas do.
$(ORACLE_OUT)/seed: oracle-always
	@mkdir -p $(@D)
	@echo '$(ORACLE_SEED)' | cmp -s - $@ || echo '$(ORACLE_SEED)' > $@

$(ORACLE_FRAMES): $(ORACLE_DIR)/target/classpath.txt $(SCHEMA_DIR)/.stamp $(ORACLE_OUT)/seed
	java -cp "$(ORACLE_DIR)/target/classes:$$(cat $(ORACLE_DIR)/target/classpath.txt)" \
	  $(ORACLE_MAIN) $(SCHEMA_DIR) $(ORACLE_SEED) $@.tmp
	mv $@.tmp $@

.PHONY: oracle-always
oracle-always:
