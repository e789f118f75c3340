package dev.kafkawasm.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.internals.SecurityUtils;
import org.apache.kafka.metadata.authorizer.StandardAcl;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kafka's StandardAuthorizer (a KRaft broker's authorizer) answering ACL questions, for
 * test/policy/acl-differential.test.ts. Each stdin line is one policy and its questions:
 *
 *   {"allowEveryoneIfNoAclFound": bool, "superUsers": ["User:a", ...],
 *    "acls": [{"principal", "host", "resourceType", "resourceName", "resourcePatternType", "operation", "permissionType"}, ...],
 *    "questions": [{"principal", "host", "resourceType", "resourceName", "operations": ["READ", ...]}
 *                  or {"principal", "host", "resourceType", "operation", "byResourceType": true}, ...]}
 *
 * The authorizer is configured with super.users and allow.everyone.if.no.acl.found, loaded with
 * the ACLs as a metadata snapshot, and asked as the broker asks it: authorize() with one Action
 * per operation (as KafkaApis checks one and AuthHelper.authorizedOperations lists several), and
 * authorizeByResourceType() (InitProducerId of an idempotent producer). Written per line:
 * {"answers": [[true, false, ...] | bool, ...]}, or {"error": why} when Kafka refuses the policy.
 */
public final class AclDecisions {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The broker hands its authorizer metrics to record each decision in (authorize() needs them). */
    private static final Metrics METRICS = new Metrics();

    public static void main(String[] args) throws Exception {
        LineAnswers.run(line -> JSON.writeValueAsString(answer(JSON.readTree(line))));
    }

    private static ObjectNode answer(JsonNode c) throws Exception {
        ObjectNode result = JSON.createObjectNode();
        StandardAuthorizer authorizer;
        try (PluginMetricsImpl metrics = new PluginMetricsImpl(METRICS, Map.of("authorizer", "StandardAuthorizer"))) {
            try {
                authorizer = authorizerFor(c);
            } catch (RuntimeException e) {
                result.put("error", e.toString());
                return result;
            }
            authorizer.withPluginMetrics(metrics);
            answer(authorizer, c, result.putArray("answers"));
        }
        return result;
    }

    private static void answer(StandardAuthorizer authorizer, JsonNode c, ArrayNode answers) throws Exception {
        for (JsonNode q : c.get("questions")) {
            Context context = new Context(SecurityUtils.parseKafkaPrincipal(q.get("principal").asText()),
                InetAddress.getByName(q.get("host").asText()));
            ResourceType type = ResourceType.fromString(q.get("resourceType").asText());
            if (q.path("byResourceType").asBoolean(false)) {
                AclOperation op = AclOperation.fromString(q.get("operation").asText());
                answers.add(authorizer.authorizeByResourceType(context, op, type) == AuthorizationResult.ALLOWED);
                continue;
            }
            List<Action> actions = new ArrayList<>();
            ResourcePattern resource = new ResourcePattern(type, q.get("resourceName").asText(), PatternType.LITERAL);
            for (JsonNode op : q.get("operations")) actions.add(new Action(AclOperation.fromString(op.asText()), resource, 1, true, true));
            ArrayNode allowed = answers.addArray();
            for (AuthorizationResult r : authorizer.authorize(context, actions)) allowed.add(r == AuthorizationResult.ALLOWED);
        }
    }

    private static StandardAuthorizer authorizerFor(JsonNode c) {
        StandardAuthorizer authorizer = new StandardAuthorizer();
        Map<String, Object> configs = new HashMap<>();
        List<String> superUsers = new ArrayList<>();
        for (JsonNode s : c.get("superUsers")) superUsers.add(s.asText());
        configs.put(StandardAuthorizer.SUPER_USERS_CONFIG, String.join(";", superUsers));
        configs.put(StandardAuthorizer.ALLOW_EVERYONE_IF_NO_ACL_IS_FOUND_CONFIG, Boolean.toString(c.get("allowEveryoneIfNoAclFound").asBoolean()));
        authorizer.configure(configs);
        Map<Uuid, StandardAcl> acls = new HashMap<>();
        for (JsonNode a : c.get("acls")) {
            acls.put(Uuid.randomUuid(), new StandardAcl(
                ResourceType.fromString(a.get("resourceType").asText()), a.get("resourceName").asText(),
                PatternType.fromString(a.get("resourcePatternType").asText()), a.get("principal").asText(),
                a.get("host").asText(), AclOperation.fromString(a.get("operation").asText()),
                AclPermissionType.fromString(a.get("permissionType").asText())));
        }
        authorizer.loadSnapshot(acls);
        authorizer.completeInitialLoad();
        return authorizer;
    }

    /** The request's side of a question: who asks, from where (as the broker's RequestContext gives them). */
    private record Context(KafkaPrincipal principal, InetAddress clientAddress) implements AuthorizableRequestContext {
        @Override public String listenerName() { return ListenerName.forSecurityProtocol(SecurityProtocol.PLAINTEXT).value(); }
        @Override public SecurityProtocol securityProtocol() { return SecurityProtocol.PLAINTEXT; }
        @Override public int requestType() { return 3; }
        @Override public int requestVersion() { return 12; }
        @Override public String clientId() { return "acl-differential"; }
        @Override public int correlationId() { return 1; }
    }
}
