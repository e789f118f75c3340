# Soak: real producers and consumers (kafkajs) through the filter on the three listeners for
# minutes, with misbehaving clients alongside (garbage, slow partial frames, denied produces,
# in-flight overflow); then nothing lost, duplicated or altered, Envoy's memory flat, no
# connection left (test/soak/README.md). Not part of `make test`: it takes minutes.
#
#   make soak                      SOAK_SECONDS=180: start the e2e stack, soak, `make down` (always)
#   make soak SOAK_SECONDS=3600    an hour
#   make soak-run                  only the soak, against a stack already up
#                                  (`make up POLICY=test/e2e/policy.json`); nothing is stopped
# SOAK_PRODUCERS: producers per listener (2); SOAK_RSS_GROWTH_MIB: how much Envoy's RSS may grow
# from the end of the warm-up to the end (64). Closes with `N passed, N failed`.

SOAK_SECONDS        ?= 180
SOAK_PRODUCERS      ?= 2
SOAK_RSS_GROWTH_MIB ?= 64
SOAK_RUN := SOAK_SECONDS=$(SOAK_SECONDS) SOAK_PRODUCERS=$(SOAK_PRODUCERS) SOAK_RSS_GROWTH_MIB=$(SOAK_RSS_GROWTH_MIB) \
            node --import tsx test/soak/soak.ts

.PHONY: soak soak-run
soak: filter codecs tools envoy kafka
	@trap '$(MAKE) --no-print-directory down' EXIT; \
	trap 'exit 130' INT TERM; \
	$(MAKE) --no-print-directory up POLICY=$(E2E_POLICY) || exit $$?; \
	$(SOAK_RUN)

soak-run:
	$(SOAK_RUN)
