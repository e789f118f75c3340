# Demo for newcomers: `make demo` builds everything, starts Kafka + Envoy with the example policy
# envoy/policy.example.json, produces one allowed and one denied message with kcat, and shows
# the client's error, the filter's log line and its counters; then stops it all (KEEP=1 keeps
# it running for your own experiments; `make down` stops it later).

KEEP ?=

.PHONY: demo
demo: filter tools envoy kafka
	@KEEP=$(KEEP) bash test/e2e/demo.sh
