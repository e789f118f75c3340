# Unit tests of kafka.rego: every rule, allowed and denied (`make test-opa`).
package kafka.authz_test

import data.kafka.authz

all_operations := {
	"READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION",
	"DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS",
}

# The input the filter sends: one named resource.
req(principal, operation, type, name) := {
	"attributes": {
		"source": {"address": {"socketAddress": {"address": "127.0.0.1"}}, "principal": principal},
		"destination": {"address": {"socketAddress": {"address": "127.0.0.1", "portValue": 19096}}},
	},
	"kafka": {
		"principal": principal, "host": "127.0.0.1", "listener": "kafka-opa",
		"operation": operation,
		"resource": {"type": type, "name": name, "anyResource": false},
	},
}

# "May principal do operation on some resource of this type" (authorizeByResourceType).
any_req(principal, operation, type) := json.patch(req(principal, operation, type, ""), [
	{"op": "replace", "path": "/kafka/resource/anyResource", "value": true},
])

allowed(request) if authz.allow with input as request

# User:admin

test_admin_may_do_anything if {
	every op in all_operations {
		allowed(req("User:admin", op, "TOPIC", "secret.keys"))
		allowed(req("User:admin", op, "TOPIC", "anything"))
		allowed(req("User:admin", op, "CLUSTER", "kafka-cluster"))
		allowed(req("User:admin", op, "GROUP", "any.group"))
		allowed(req("User:admin", op, "TRANSACTIONAL_ID", "tx-1"))
		allowed(any_req("User:admin", op, "TOPIC"))
	}
}

# User:alice

test_alice_orders_topics_allowed if {
	every op in {"READ", "WRITE", "DESCRIBE", "CREATE", "DESCRIBE_CONFIGS"} {
		allowed(req("User:alice", op, "TOPIC", "orders.eu"))
		allowed(req("User:alice", op, "TOPIC", "orders."))
	}
}

test_alice_orders_topics_other_operations_denied if {
	every op in all_operations - {"READ", "WRITE", "DESCRIBE", "CREATE", "DESCRIBE_CONFIGS"} {
		not allowed(req("User:alice", op, "TOPIC", "orders.eu"))
	}
}

test_alice_other_topics_denied if {
	every name in {"orders", "ordersX.eu", "payments.eu", "xorders.eu", "", "secret.keys", "secret.orders.eu"} {
		not allowed(req("User:alice", "READ", "TOPIC", name))
		not allowed(req("User:alice", "WRITE", "TOPIC", name))
	}
}

test_alice_write_any_topic_allowed if {
	allowed(any_req("User:alice", "WRITE", "TOPIC"))
}

test_any_resource_never_matches_a_named_rule if {
	# anyResource asks about some resource of the type: a name sent with it does not make
	# the orders.* or e2e.opa.* rules apply.
	named_too := json.patch(any_req("User:bob", "READ", "TOPIC"), [
		{"op": "replace", "path": "/kafka/resource/name", "value": "orders.eu"},
	])
	not allowed(named_too)
	group_too := json.patch(any_req("User:alice", "READ", "GROUP"), [
		{"op": "replace", "path": "/kafka/resource/name", "value": "e2e.opa.g1"},
	])
	not allowed(group_too)
}

test_alice_any_topic_other_operations_denied if {
	every op in all_operations - {"WRITE"} {
		not allowed(any_req("User:alice", op, "TOPIC"))
	}
	not allowed(any_req("User:alice", "WRITE", "GROUP"))
	not allowed(any_req("User:alice", "WRITE", "TRANSACTIONAL_ID"))
}

test_alice_idempotent_write_on_cluster if {
	allowed(req("User:alice", "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster"))
	every op in all_operations - {"IDEMPOTENT_WRITE"} {
		not allowed(req("User:alice", op, "CLUSTER", "kafka-cluster"))
	}
	not allowed(req("User:alice", "IDEMPOTENT_WRITE", "TOPIC", "orders.eu"))
}

test_alice_groups if {
	allowed(req("User:alice", "READ", "GROUP", "e2e.opa.g1"))
	allowed(req("User:alice", "DESCRIBE", "GROUP", "e2e.opa.g1"))
	every op in all_operations - {"READ", "DESCRIBE"} {
		not allowed(req("User:alice", op, "GROUP", "e2e.opa.g1"))
	}
	not allowed(req("User:alice", "READ", "GROUP", "e2e.other"))
	not allowed(req("User:alice", "READ", "GROUP", "orders.eu"))
	not allowed(any_req("User:alice", "READ", "GROUP"))
}

test_alice_transactional_ids_and_tokens_denied if {
	not allowed(req("User:alice", "WRITE", "TRANSACTIONAL_ID", "orders.tx"))
	not allowed(req("User:alice", "DESCRIBE", "TRANSACTIONAL_ID", "orders.tx"))
	not allowed(req("User:alice", "CREATE_TOKENS", "USER", "User:alice"))
	not allowed(req("User:alice", "DESCRIBE_TOKENS", "DELEGATION_TOKEN", "t1"))
}

# User:bob

test_bob_orders_topics_read_describe_only if {
	allowed(req("User:bob", "READ", "TOPIC", "orders.eu"))
	allowed(req("User:bob", "DESCRIBE", "TOPIC", "orders.eu"))
	every op in all_operations - {"READ", "DESCRIBE"} {
		not allowed(req("User:bob", op, "TOPIC", "orders.eu"))
	}
}

test_bob_no_write_anywhere if {
	not allowed(any_req("User:bob", "WRITE", "TOPIC"))
	not allowed(req("User:bob", "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster"))
	not allowed(req("User:bob", "WRITE", "TOPIC", "payments.eu"))
}

test_bob_groups if {
	allowed(req("User:bob", "READ", "GROUP", "e2e.opa.g1"))
	allowed(req("User:bob", "DESCRIBE", "GROUP", "e2e.opa.g1"))
	not allowed(req("User:bob", "DELETE", "GROUP", "e2e.opa.g1"))
	not allowed(req("User:bob", "READ", "GROUP", "other"))
}

test_bob_other_topics_denied if {
	not allowed(req("User:bob", "READ", "TOPIC", "payments.eu"))
	not allowed(req("User:bob", "READ", "TOPIC", "secret.keys"))
	not allowed(any_req("User:bob", "READ", "TOPIC"))
}

# TOPIC secret.*

test_secret_topics_admin_only if {
	every p in {"User:alice", "User:bob", "User:ANONYMOUS", "User:carol"} {
		every op in all_operations {
			not allowed(req(p, op, "TOPIC", "secret.keys"))
		}
	}
	allowed(req("User:admin", "READ", "TOPIC", "secret.keys"))
}

test_secret_deny_beats_a_grant if {
	# A grant that would match (a stand-in rule) loses to the secret.* denial.
	not authz.allow with input as req("User:alice", "READ", "TOPIC", "secret.keys")
		with authz.grants as {"a rule that would allow"}
	authz.denials == {"TOPIC secret.* is for User:admin only"} with input as req("User:alice", "READ", "TOPIC", "secret.keys")
	count(authz.denials) == 0 with input as req("User:admin", "READ", "TOPIC", "secret.keys")
}

# Everyone else, and malformed input

test_anonymous_gets_nothing if {
	every op in all_operations {
		not allowed(req("User:ANONYMOUS", op, "TOPIC", "orders.eu"))
		not allowed(req("User:ANONYMOUS", op, "GROUP", "e2e.opa.g1"))
		not allowed(req("User:ANONYMOUS", op, "CLUSTER", "kafka-cluster"))
		not allowed(any_req("User:ANONYMOUS", op, "TOPIC"))
	}
}

test_unknown_principal_denied if {
	not allowed(req("User:carol", "READ", "TOPIC", "orders.eu"))
	not allowed(req("user:alice", "READ", "TOPIC", "orders.eu")) # names are case-sensitive
	not allowed(req("alice", "READ", "TOPIC", "orders.eu"))
}

test_unknown_operation_or_type_denied if {
	not allowed(req("User:alice", "ALL", "TOPIC", "orders.eu"))
	not allowed(req("User:alice", "read", "TOPIC", "orders.eu"))
	not allowed(req("User:alice", "READ", "topic", "orders.eu"))
}

test_missing_input_denied if {
	not authz.allow with input as {}
	not authz.allow with input as {"kafka": {"principal": "User:alice"}}
	authz.allow == false with input as {}
	authz.decision == {"allowed": false, "reason": "no rule allows"} with input as {}
}

test_only_kafka_fields_count if {
	# The ext_authz attributes name admin, the Kafka request alice: alice's rights apply.
	r := json.patch(req("User:alice", "DELETE", "TOPIC", "orders.eu"), [
		{"op": "replace", "path": "/attributes/source/principal", "value": "User:admin"},
	])
	not allowed(r)
}

# decision

test_decision_allowed_reasons if {
	authz.decision == {"allowed": true, "reason": "User:admin may do anything"} with input as req("User:admin", "DELETE", "TOPIC", "x")
	authz.decision == {"allowed": true, "reason": "User:alice on TOPIC orders.*"} with input as req("User:alice", "WRITE", "TOPIC", "orders.eu")
	authz.decision == {"allowed": true, "reason": "User:alice may WRITE some TOPIC"} with input as any_req("User:alice", "WRITE", "TOPIC")
	authz.decision == {"allowed": true, "reason": "User:alice IDEMPOTENT_WRITE on CLUSTER"} with input as req("User:alice", "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster")
	authz.decision == {"allowed": true, "reason": "User:bob on TOPIC orders.*"} with input as req("User:bob", "READ", "TOPIC", "orders.eu")
	authz.decision == {"allowed": true, "reason": "User:bob on GROUP e2e.opa.*"} with input as req("User:bob", "READ", "GROUP", "e2e.opa.g")
	authz.decision == {"allowed": true, "reason": "User:alice on GROUP e2e.opa.*"} with input as req("User:alice", "DESCRIBE", "GROUP", "e2e.opa.g")
}

test_decision_denied_reasons if {
	authz.decision == {"allowed": false, "reason": "no rule allows"} with input as req("User:bob", "WRITE", "TOPIC", "orders.eu")
	authz.decision == {"allowed": false, "reason": "no rule allows"} with input as req("User:alice", "READ", "TOPIC", "secret.keys")
	authz.decision == {"allowed": false, "reason": "no rule allows"} with input as req("User:ANONYMOUS", "READ", "TOPIC", "orders.eu")
	authz.decision == {"allowed": false, "reason": "TOPIC secret.* is for User:admin only"} with input as req("User:alice", "READ", "TOPIC", "secret.keys")
		with authz.grants as {"a rule that would allow"}
}

test_decision_agrees_with_allow if {
	every r in [
		req("User:admin", "ALTER", "CLUSTER", "kafka-cluster"),
		req("User:alice", "WRITE", "TOPIC", "orders.eu"),
		req("User:alice", "DELETE", "TOPIC", "orders.eu"),
		req("User:bob", "WRITE", "TOPIC", "orders.eu"),
		any_req("User:alice", "WRITE", "TOPIC"),
	] {
		d := authz.decision with input as r
		a := authz.allow with input as r
		d.allowed == a
	}
}
