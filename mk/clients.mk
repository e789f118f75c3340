# The client matrix's clients (test/e2e/client-matrix.test.ts, drivers in test/e2e/clients/),
# each installed once from its package registry into .venv/ or $(CLIENTS_DIR):
#   PyPI          confluent-kafka (bundles librdkafka $(CONFLUENT_KAFKA_VERSION)'s), kafka-python, aiokafka
#   Go proxy      franz-go, sarama, kafka-go (versions in each driver's go.mod / go.sum)
#   crates.io     rskafka (its driver's Cargo.toml / Cargo.lock; built with the machine's cargo)
#   Maven Central kafka-clients $(MATRIX_JAVA_VERSIONS) (+ the Java driver compiled against each),
#                 kafka-streams $(STREAMS_VERSION) (+ StreamsApp and StreamsPair, test/e2e/streams.test.ts's applications),
#                 connect-runtime $(STREAMS_VERSION) (+ E2eConnect's connectors, test/e2e/connect.test.ts),
#                 connect-mirror $(MIRROR_VERSION) (MirrorMaker 2, test/e2e/mirrormaker.test.ts),
#                 kafka-tools $(CONSOLE_TOOLS_VERSION) (Kafka's console tools; a client like the others,
#                 the same whichever broker KAFKA_VERSION runs)
# kafkajs (npm) and kcat (Debian) are the e2e suite's own.
#
#   make clients       everything above that is missing or out of date

# (read before mk/envoy.mk, which sets VENV to the same)
VENV                   ?= .venv
CLIENTS_DIR            := $(CACHE)/clients
CLIENTS_SRC            := test/e2e/clients
CONFLUENT_KAFKA_VERSION ?= 2.16.1
KAFKA_PYTHON_VERSION   ?= 3.0.12
AIOKAFKA_VERSION       ?= 0.14.0
MATRIX_JAVA_VERSIONS   ?= 4.4.0 3.9.1 2.8.2
CONSOLE_TOOLS_VERSION  ?= 4.4.0
STREAMS_VERSION        ?= 4.4.0
CLIENTS_STREAMS        := $(CLIENTS_DIR)/streams-$(STREAMS_VERSION)/classes/StreamsApp.class
CLIENTS_CONNECT        := $(CLIENTS_DIR)/connect-$(STREAMS_VERSION)/classes/E2eConnect.class
# connect-mirror 4.4.0 is not served on Maven Central here (refused 2026-12-05); 4.3.1 is the newest that resolves.
MIRROR_VERSION         ?= 4.3.1
CLIENTS_MIRROR         := $(CLIENTS_DIR)/mirror-$(MIRROR_VERSION)/.stamp
CLIENTS_PY_STAMP       := $(VENV)/.clients-$(CONFLUENT_KAFKA_VERSION)-$(KAFKA_PYTHON_VERSION)-$(AIOKAFKA_VERSION)
CLIENTS_JAVA           := $(foreach v,$(MATRIX_JAVA_VERSIONS),$(CLIENTS_DIR)/java-$(v)/classes/Driver.class)
CLIENTS_CONSOLE_STAMP  := $(CLIENTS_DIR)/console-$(CONSOLE_TOOLS_VERSION)/.stamp
CLIENTS_GO             := $(CLIENTS_DIR)/franz-go $(CLIENTS_DIR)/sarama $(CLIENTS_DIR)/kafka-go
CLIENTS_RUST           := $(CLIENTS_DIR)/rskafka
CLIENTS_MVN            := mvn -q -B -f $(CLIENTS_SRC)/java/pom.xml dependency:copy-dependencies -DincludeScope=runtime
# Go modules in the project's cache, writable so that `rm -rf .cache` works.
CLIENTS_GOENV          := GOMODCACHE=$(abspath $(CACHE)/go/mod) GOFLAGS=-modcacherw

.PHONY: clients
clients: $(CLIENTS_PY_STAMP) $(CLIENTS_JAVA) $(CLIENTS_CONSOLE_STAMP) $(CLIENTS_GO) $(CLIENTS_RUST) $(CLIENTS_STREAMS) $(CLIENTS_CONNECT) $(CLIENTS_MIRROR)

$(CLIENTS_PY_STAMP):
	test -x $(VENV)/bin/pip || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check \
	  'confluent-kafka==$(CONFLUENT_KAFKA_VERSION)' 'kafka-python==$(KAFKA_PYTHON_VERSION)' 'aiokafka==$(AIOKAFKA_VERSION)'
	@rm -f $(VENV)/.clients-* && touch $@

# javac: the JDK, when only a JRE is there.
NEED_JDK := command -v javac >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless; }
NEED_MVN := command -v mvn >/dev/null || $(MAKE) --no-print-directory tools
# $(call kafka-jars,artifact,version,dir): one Kafka artifact's runtime jars, its log lines by slf4j-simple.
kafka-jars = rm -rf $(3) && $(CLIENTS_MVN) -Dclients.version=$(2) -Dclients.artifact=$(1) -Dclients.logging=slf4j-simple \
  -DoutputDirectory=$(abspath $(3))

$(CLIENTS_DIR)/java-%/classes/Driver.class: $(CLIENTS_SRC)/java/src/Driver.java $(CLIENTS_SRC)/java/src/Out.java $(CLIENTS_SRC)/java/pom.xml
	@$(NEED_JDK)
	@$(NEED_MVN)
	rm -rf $(CLIENTS_DIR)/java-$*
	$(CLIENTS_MVN) -Dclients.version=$* -DoutputDirectory=$(abspath $(CLIENTS_DIR)/java-$*)
	javac -nowarn -d $(CLIENTS_DIR)/java-$*/classes -cp '$(CLIENTS_DIR)/java-$*/*' $< $(CLIENTS_SRC)/java/src/Out.java

$(CLIENTS_STREAMS): $(CLIENTS_SRC)/java/src/StreamsApp.java $(CLIENTS_SRC)/java/src/StreamsPair.java $(CLIENTS_SRC)/java/src/Out.java $(CLIENTS_SRC)/java/pom.xml
	@$(NEED_JDK)
	@$(NEED_MVN)
	$(call kafka-jars,kafka-streams,$(STREAMS_VERSION),$(CLIENTS_DIR)/streams-$(STREAMS_VERSION))
	javac -nowarn -d $(@D) -cp '$(CLIENTS_DIR)/streams-$(STREAMS_VERSION)/*' $(filter %.java,$^)

$(CLIENTS_CONNECT): $(CLIENTS_SRC)/java/src/E2eConnect.java $(CLIENTS_SRC)/java/pom.xml
	@$(NEED_JDK)
	@$(NEED_MVN)
	$(call kafka-jars,connect-runtime,$(STREAMS_VERSION),$(CLIENTS_DIR)/connect-$(STREAMS_VERSION))
	javac -nowarn -d $(@D) -cp '$(CLIENTS_DIR)/connect-$(STREAMS_VERSION)/*' $<

$(CLIENTS_MIRROR): $(CLIENTS_SRC)/java/pom.xml
	@$(NEED_MVN)
	$(call kafka-jars,connect-mirror,$(MIRROR_VERSION),$(@D))
	@touch $@

$(CLIENTS_CONSOLE_STAMP): $(CLIENTS_SRC)/java/pom.xml
	@$(NEED_MVN)
	$(call kafka-jars,kafka-tools,$(CONSOLE_TOOLS_VERSION),$(@D))
	@touch $@

# Crates from crates.io into cargo's home; the build in the project's cache (`rm -rf .cache` starts over).
$(CLIENTS_RUST): $(CLIENTS_SRC)/rskafka/src/main.rs $(CLIENTS_SRC)/rskafka/Cargo.toml $(CLIENTS_SRC)/rskafka/Cargo.lock
	@command -v cargo >/dev/null || { echo "clients: cargo (Rust) is needed to build rskafka's driver" >&2; exit 1; }
	cd $(CLIENTS_SRC)/rskafka && CARGO_TARGET_DIR=$(abspath $(CACHE)/rust-target) cargo build --release --locked --quiet
	cp $(CACHE)/rust-target/release/rskafka-driver $@

# step/: the protocol's side every Go driver shares (a local module each go.mod replaces).
$(CLIENTS_DIR)/%: $(CLIENTS_SRC)/%/main.go $(CLIENTS_SRC)/%/go.mod $(CLIENTS_SRC)/%/go.sum $(CLIENTS_SRC)/step/step.go $(CLIENTS_SRC)/step/go.mod
	cd $(CLIENTS_SRC)/$* && $(CLIENTS_GOENV) go build -o $(abspath $@) .
