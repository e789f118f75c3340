# Kafka authorization for kafka-wasm-filter's external decisions (issue 9): the filter asks
# OPA, over HTTP, whether a Kafka principal may do an operation on a resource.
#
# Endpoints (OPA's Data API, `make opa-up` serves this directory on 127.0.0.1:8181):
#   POST /v1/data/kafka/authz/allow     {"input": ...} -> {"result": true|false}   (what the filter asks)
#   POST /v1/data/kafka/authz/decision  {"input": ...} -> {"result": {"allowed": bool, "reason": "..."}}
#        reason: which rule allowed (rules joined by "; "), or "no rule allows"
#
# Input: shaped like Envoy's ext_authz input (attributes.source / destination) plus the Kafka
# request; the rules read input.kafka only (attributes are there for logs and for policies
# written against Envoy's shape):
#   {"attributes": {"source": {"address": {"socketAddress": {"address": "127.0.0.1"}}, "principal": "User:alice"},
#                   "destination": {"address": {"socketAddress": {"address": "127.0.0.1", "portValue": 19096}}}},
#    "kafka": {"principal": "User:alice", "host": "127.0.0.1", "listener": "kafka-opa",
#              "operation": "WRITE",   # Kafka AclOperation: READ WRITE CREATE DELETE ALTER DESCRIBE CLUSTER_ACTION
#                                      # DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE CREATE_TOKENS DESCRIBE_TOKENS
#              "resource": {"type": "TOPIC",       # TOPIC GROUP CLUSTER TRANSACTIONAL_ID DELEGATION_TOKEN USER
#                           "name": "orders.eu",   # "kafka-cluster" for CLUSTER
#                           "anyResource": false}}} # true: may the principal do the operation on SOME resource
#                                                   # of this type (Kafka's authorizeByResourceType); name is "" then
#
# Rules (the e2e test relies on exactly these; unit tests in kafka_test.rego, `make test-opa`):
#   User:admin  anything
#   User:alice  TOPIC orders.*: READ WRITE DESCRIBE CREATE DESCRIBE_CONFIGS; WRITE on some TOPIC (anyResource);
#               CLUSTER: IDEMPOTENT_WRITE; GROUP e2e.opa.*: READ DESCRIBE
#   User:bob    TOPIC orders.*: READ DESCRIBE; GROUP e2e.opa.*: READ DESCRIBE
#   TOPIC secret.*: nobody but User:admin (an explicit deny, beats any grant)
#   anything else, User:ANONYMOUS included: denied
package kafka.authz

principal := input.kafka.principal

operation := input.kafka.operation

resource := input.kafka.resource

default allow := false

allow if {
	count(grants) > 0
	count(denials) == 0
}

decision := {"allowed": allow, "reason": reason}

reason := concat("; ", grants) if {
	allow
} else := concat("; ", denials) if {
	count(denials) > 0
	count(grants) > 0
} else := "no rule allows"

# A named resource of this type whose name starts with prefix (never an anyResource question).
named(type, prefix) if {
	resource.type == type
	not resource.anyResource
	startswith(resource.name, prefix)
}

# Grants: each names the rule that allows.

grants contains "User:admin may do anything" if principal == "User:admin"

grants contains "User:alice on TOPIC orders.*" if {
	principal == "User:alice"
	named("TOPIC", "orders.")
	operation in {"READ", "WRITE", "DESCRIBE", "CREATE", "DESCRIBE_CONFIGS"}
}

grants contains "User:alice may WRITE some TOPIC" if {
	principal == "User:alice"
	resource.type == "TOPIC"
	resource.anyResource == true
	operation == "WRITE"
}

grants contains "User:alice IDEMPOTENT_WRITE on CLUSTER" if {
	principal == "User:alice"
	resource.type == "CLUSTER"
	operation == "IDEMPOTENT_WRITE"
}

grants contains "User:bob on TOPIC orders.*" if {
	principal == "User:bob"
	named("TOPIC", "orders.")
	operation in {"READ", "DESCRIBE"}
}

grants contains sprintf("%s on GROUP e2e.opa.*", [principal]) if {
	principal in {"User:alice", "User:bob"}
	named("GROUP", "e2e.opa.")
	operation in {"READ", "DESCRIBE"}
}

# Denials beat grants.

denials contains "TOPIC secret.* is for User:admin only" if {
	resource.type == "TOPIC"
	startswith(resource.name, "secret.")
	principal != "User:admin"
}
