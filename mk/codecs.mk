# Codecs: Kafka's message definitions -> generated AssemblyScript -> Wasm.

$(NODE_STAMP): package.json package-lock.json $(wildcard patches/*.patch)
	npm ci
	@touch $@

deps: $(NODE_STAMP)

# Kafka's message definitions ship inside the kafka-clients jar (common/message/*.json);
# Maven fetches the pinned artifact from Maven Central into a git-ignored cache.
KAFKA_CLIENTS_JAR := $(CACHE)/maven/kafka-clients-$(KAFKA_PIN).jar

$(KAFKA_CLIENTS_JAR):
	mvn -q -B dependency:copy -Dartifact=org.apache.kafka:kafka-clients:$(KAFKA_PIN) -DoutputDirectory=$(CACHE)/maven -Dmdep.overWriteReleases=false

$(SCHEMA_DIR)/.stamp: $(KAFKA_CLIENTS_JAR)
	rm -rf $(SCHEMA_DIR) && mkdir -p $(SCHEMA_DIR)
	unzip -q -j $(KAFKA_CLIENTS_JAR) 'common/message/*.json' -d $(SCHEMA_DIR)
	@touch $@

schemas: $(SCHEMA_DIR)/.stamp

# The generated codecs are committed (building needs only npm); these rules remake them.
GENERATED := assembly/messages assembly/views test/generated
CODEGEN   := npx tsx codegen/main.ts

codegen: $(SCHEMA_DIR)/.stamp $(NODE_STAMP)
	$(CODEGEN) $(SCHEMA_DIR) .

# Fails when the committed generated code differs from what the generator makes now.
check-codegen: $(SCHEMA_DIR)/.stamp $(NODE_STAMP)
	rm -rf $(CACHE)/codegen-check && $(CODEGEN) $(SCHEMA_DIR) $(CACHE)/codegen-check >/dev/null
	@for d in $(GENERATED); do diff -r $$d $(CACHE)/codegen-check/$$d > $(CACHE)/codegen-check.diff \
	  || { head -40 $(CACHE)/codegen-check.diff; echo "check-codegen: $$d is stale; run 'make codegen' and commit"; exit 1; }; done
	@echo "check-codegen: $(GENERATED) match the generator"

# Type-checks the TypeScript that runs on Node (tests, tools, the generator; test/tsconfig.json):
# tsx runs it with its types stripped, so a name used but never imported fails only when that
# line runs.
check-types: $(NODE_STAMP)
	npx tsc -p test/tsconfig.json
	@echo "check-types: the Node-side TypeScript checks"

# Fails on an import cycle in assembly/ (files or folders) or the shell importing the policy.
check-imports: $(NODE_STAMP)
	npx tsx tools/imports.ts assembly

ASSEMBLY_SRCS := $(shell find assembly -name '*.ts' 2>/dev/null)

build/codecs.wasm: $(ASSEMBLY_SRCS) asconfig.json $(NODE_STAMP)
	npx asc assembly/cli.ts --config asconfig.json --target codecs
	@echo "codecs: $$(wc -c < $@) bytes"

codecs: build/codecs.wasm

# The module behind `kafka-wasm policy`: the filter's validator, authorizer and per-API checks.
build/policy.wasm: $(ASSEMBLY_SRCS) asconfig.json $(NODE_STAMP)
	npx asc assembly/policy-cli.ts --config asconfig.json --target policy
	@echo "policy: $$(wc -c < $@) bytes"

policy-tool: build/policy.wasm

# `kafka-wasm policy` as users run it, and its import checked against a throwaway broker with
# Kafka's StandardAuthorizer (test/policy/acl-broker.ts: its own ports and storage, ~1 min).
# The oracle's program: ssl-principal-rules.test.ts asks Kafka's SslPrincipalMapper.
test-policy: build/policy.wasm build/codecs.wasm kafka $(CLIENTS_CONSOLE_STAMP) test/oracle/target/classpath.txt
	node --import tsx --test --test-concurrency=1 test/policy/*.test.ts

# Every frame Kafka's classes wrote must decode to Kafka's JSON and encode back byte for byte;
# and request frames, mutated, must be read as Kafka's broker reads them (broker-reads.ts, a
# differential fuzzer: BROKER_READS_MUTANTS frames, seed BROKER_READS_SEED; `make broker-reads
# BROKER_READS_MUTANTS=2000000 BROKER_READS_SEED=$$RANDOM` for a longer run).
BROKER_READS_MUTANTS ?= 200000
BROKER_READS_SEED    ?= 20261206
test-oracle: build/codecs.wasm oracle
	npx tsx test/oracle/check.ts $(ORACLE_FRAMES) $(SCHEMA_DIR)
	$(MAKE) --no-print-directory broker-reads

.PHONY: broker-reads
broker-reads: build/codecs.wasm oracle schemas
	npx tsx test/oracle/broker-reads.ts $(ORACLE_FRAMES) $(CORPUS_DIR) $(SCHEMA_DIR) "$(ORACLE_DIR)/target/classes:$$(cat $(ORACLE_DIR)/target/classpath.txt)" \
	  --mutants $(BROKER_READS_MUTANTS) --seed $(BROKER_READS_SEED)
