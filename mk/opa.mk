# Open Policy Agent: the external decision point the filter can ask over HTTP (issue 9), with
# the project's Rego in envoy/opa/ (package kafka.authz). OPA is built once from its Go module
# (the Go module proxy, like the Go clients of mk/clients.mk), pinned to $(OPA_VERSION):
#
#   make opa         build .cache/opa/$(OPA_VERSION)/bin/opa (once; a no-op afterwards)
#   make opa-up      serve envoy/opa/ on $(OPA_ADDR) in the background, wait for GET /health
#                    (decision logs to $(OPA_RUN)/opa.log: one "Decision Log" line per decision)
#   make opa-down    stop it (no error when it is not running); `make down` stops it too
#   make opa-status  exit 0 when our OPA runs
#   make test-opa    `opa check` + `opa test` on envoy/opa/, closes with `N passed, N failed`
#
# Build: CGO_ENABLED=0, -trimpath, -ldflags='-s -w' (no debug info: a faster link, a 43 MB binary).
# From empty module and build caches it costs about 4.5 CPU-minutes (~85 modules, ~470 MB into
# $(CACHE)/go/mod): 280 s measured on a 2-core machine that other jobs were also loading; a few
# seconds when Go's build cache (~/.cache/go-build) already holds it.

OPA_VERSION ?= 1.22.4
OPA_DIR     := $(CACHE)/opa/$(OPA_VERSION)
OPA         := $(OPA_DIR)/bin/opa
OPA_RUN     := $(CACHE)/opa/run
OPA_ADDR    ?= 127.0.0.1:8181
OPA_POLICY  := envoy/opa
OPA_GOENV   := $(CLIENTS_GOENV) GOBIN=$(abspath $(OPA_DIR)/bin) CGO_ENABLED=0
OPA_SH      := OPA=$(OPA) OPA_RUN=$(OPA_RUN) OPA_ADDR=$(OPA_ADDR) OPA_POLICY=$(OPA_POLICY) bash test/e2e/bin/opa.sh

.PHONY: opa opa-up opa-down opa-status test-opa

opa: $(OPA)

$(OPA):
	@echo "building OPA $(OPA_VERSION) from its Go module (a few minutes the first time)"
	@t0=$$(date +%s); \
	$(OPA_GOENV) go install -trimpath -ldflags='-s -w' github.com/open-policy-agent/opa@v$(OPA_VERSION) || exit $$?; \
	echo "built $@ in $$(( $$(date +%s) - t0 ))s"
	@$@ version | head -1

opa-up: $(OPA)
	@$(OPA_SH) up

opa-down:
	@$(OPA_SH) down

opa-status:
	@$(OPA_SH) status

# opa check (strict) and opa fmt, then opa test: -v for people, then its JSON report counted into
# the closing line run-all.sh reads (a passing test has no "pass" key; "fail"/"error"/"skip" mark the rest).
OPA_COUNT := python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); \
  f = sum(1 for t in r if t.get("fail") or t.get("error")); s = sum(1 for t in r if t.get("skip")); \
  print(f"{len(r) - f - s} passed, {f} failed" + (f", {s} skipped" if s else ""))'

test-opa: $(OPA)
	$(OPA) check --strict $(OPA_POLICY)
	$(OPA) fmt --list --fail $(OPA_POLICY)
	@mkdir -p $(CACHE)/test
	@rc=0; $(OPA) test -v $(OPA_POLICY) || rc=$$?; \
	$(OPA) test --format=json $(OPA_POLICY) >$(CACHE)/test/opa-test.json 2>/dev/null; \
	$(OPA_COUNT) $(CACHE)/test/opa-test.json || echo "0 passed, 1 failed (no report from opa test)"; \
	exit $$rc
