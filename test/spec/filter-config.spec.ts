// The plugin configuration: the policy at the top level plus the filter's own "filter"
// section; every bad configuration is refused with the place and the reason.

import { loadConfig } from "../../assembly/enforce/config";
import { rewriteBrokerAddresses, BrokerAddress } from "../../assembly/enforce/addresses";
import { MetadataResponseData, MetadataResponseBroker } from "../../assembly/messages/MetadataResponse";
import { FindCoordinatorResponseData } from "../../assembly/messages/FindCoordinatorResponse";
import { ExternalQuestion } from "../../assembly/enforce/external";
import { ResourceType, AclOperation, resourceTypeName, operationName } from "../../assembly/policy/acl";
import { JsonWriter } from "../../assembly/json/writer";

function refusal(json: string): string {
  const r = loadConfig(json);
  expect(r.config).toBeNull();
  return r.error;
}

describe("plugin configuration", () => {
  it("loads a policy with filter settings", () => {
    const r = loadConfig(`{"allowEveryoneIfNoAclFound": true,
      "filter": {"maxFrameBytes": 1048576, "maxInFlight": 16, "onDecodeError": "pass", "topicStatsLimit": 5,
                 "oauthbearerPrincipalClaim": "preferred_username",
                 "brokerAddresses": [{"id": 1, "host": "127.0.0.1", "port": 19092}]}}`);
    expect(r.error).toBe("");
    const s = r.config!.settings;
    expect(s.maxFrameBytes).toBe(1048576);
    expect(s.maxInFlight).toBe(16);
    expect(s.closeOnDecodeError).toBe(false);
    expect(s.topicStatsLimit).toBe(5);
    expect(s.oauthbearerPrincipalClaim).toBe("preferred_username");
    expect(s.brokerAddresses.length).toBe(1);
    expect(s.brokerAddresses[0].port).toBe(19092);
  });

  it("defaults to Kafka's socket.request.max.bytes and failing closed", () => {
    const s = loadConfig("{}").config!.settings;
    expect(s.maxFrameBytes).toBe(104857600);
    expect(s.closeOnDecodeError).toBe(true);
    expect(s.oauthbearerPrincipalClaim).toBe("sub");
  });

  it("refuses bad configurations, naming the place", () => {
    expect(refusal("").startsWith("invalid JSON")).toBe(true);
    expect(refusal("[1]")).toBe("(root): expected object, found array");
    expect(refusal(`{"filter": {"maxFrameBytes": 0}}`)).toBe("filter.maxFrameBytes: 0 is out of range [64, 2147483647]");
    expect(refusal(`{"filter": {"onDecodeError": "ignore"}}`)).toBe("filter.onDecodeError: expected \"close\" or \"pass\", got \"ignore\"");
    expect(refusal(`{"filter": {"brokerAddresses": [{"id": 1, "host": "h", "port": 70000}]}}`)).toBe("filter.brokerAddresses[0].port: 70000 is out of range [1, 65535]");
    expect(refusal(`{"filter": {"maxFramebytes": 10}}`)).toBe("filter.maxFramebytes: unknown field");
    expect(refusal(`{"filter": {"oauthbearerPrincipalClaim": ""}}`)).toBe("filter.oauthbearerPrincipalClaim: must not be empty");
    expect(refusal(`{"acls": [{"principal": "User:a", "resourceType": "TOPIC", "resourceName": "t", "operation": "WRIT", "permissionType": "ALLOW"}]}`))
      .toBe("acls[0].operation: unknown operation \"WRIT\"");
    expect(refusal(`{"limitz": {}}`)).toBe("limitz: unknown field");
  });
});

describe("external decisions", () => {
  it("loads the policy service's settings, with defaults", () => {
    const r = loadConfig(`{"external": {"cluster": "opa", "timeoutMs": 250, "failOpen": true}, "limits": {"apis": {"deny": ["DeleteTopics"]}}}`);
    expect(r.error).toBe("");
    const e = r.config!.external!;
    expect(e.cluster).toBe("opa");
    expect(e.path).toBe("/v1/data/kafka/authz/allow");
    expect(e.timeoutMs).toBe(250);
    expect(e.cacheTtlMs).toBe(10000);
    expect(e.failOpen).toBe(true);
    expect(loadConfig("{}").config!.external).toBeNull();
  });

  it("refuses ACLs beside it (they would decide nothing) and settings out of range", () => {
    expect(refusal(`{"external": {"cluster": "opa"}, "acls": [{"principal": "User:a", "resourceType": "TOPIC", "resourceName": "t", "operation": "WRITE", "permissionType": "ALLOW"}]}`))
      .toBe("acls: must be empty when \"external\" decides the ACL questions");
    expect(refusal(`{"external": {"cluster": "opa"}, "superUsers": ["User:admin"]}`))
      .toBe("superUsers: must be empty when \"external\" decides the ACL questions");
    expect(refusal(`{"external": {"cluster": "opa"}, "allowEveryoneIfNoAclFound": true}`))
      .toBe("allowEveryoneIfNoAclFound: must be false or absent when \"external\" decides the ACL questions");
    expect(refusal(`{"external": {}}`)).toBe("external.cluster: missing required field");
    expect(refusal(`{"external": {"cluster": ""}}`)).toBe("external.cluster: must name the Envoy cluster of the policy service");
    expect(refusal(`{"external": {"cluster": "opa", "path": "v1/data"}}`)).toBe("external.path: must start with \"/\"");
    // Envoy would refuse every call (then failOpen decides).
    expect(refusal(`{"external": {"cluster": "opa", "path": "/v1/data\\r\\nx: y"}}`)).toBe("external.path: must be printable ASCII without spaces (an HTTP path)");
    expect(refusal(`{"external": {"cluster": "opa", "authority": "opa svc"}}`)).toBe("external.authority: must be printable ASCII without spaces (an HTTP :authority)");
    expect(refusal(`{"external": {"cluster": "opa", "timeoutMs": 0}}`)).toBe("external.timeoutMs: 0 is out of range [1, 60000]");
    expect(refusal(`{"external": {"cluster": "opa", "failopen": true}}`)).toBe("external.failopen: unknown field");
  });

  it("asks with Envoy's ext_authz input plus the Kafka fields, keyed by all of them", () => {
    const q = new ExternalQuestion(1, "kafka-opa", "127.0.0.1:19096", "User:alice", "10.0.0.7", ResourceType.Topic, "orders.eu", AclOperation.Write, false);
    expect(q.input()).toBe(`{"input":{"attributes":{"source":{"address":{"socketAddress":{"address":"10.0.0.7"}},"principal":"User:alice"},` +
      `"destination":{"address":{"socketAddress":{"address":"127.0.0.1","portValue":19096}}}},"kafka":{"principal":"User:alice",` +
      `"host":"10.0.0.7","listener":"kafka-opa","operation":"WRITE","resource":{"type":"TOPIC","name":"orders.eu","anyResource":false}}}}`);
    // A principal cannot pass for another principal plus host, and so on.
    const a = new ExternalQuestion(1, "l", "", "User:a", "1.2.3.4", ResourceType.Topic, "t", AclOperation.Write, false);
    const b = new ExternalQuestion(1, "l", "", "User:a4:1.2.3.4", "", ResourceType.Topic, "t", AclOperation.Write, false);
    expect(a.prefix() == b.prefix()).toBe(false);
    const any = new ExternalQuestion(1, "l", "", "User:a", "h", ResourceType.Topic, "", AclOperation.Write, true);
    const named = new ExternalQuestion(1, "l", "", "User:a", "h", ResourceType.Topic, "", AclOperation.Write, false);
    expect(any.prefix() == named.prefix()).toBe(false);
    // Another configuration's (root context's) question is another question: a reload's.
    const reloaded = new ExternalQuestion(2, "l", "", "User:a", "h", ResourceType.Topic, "", AclOperation.Write, false);
    expect(reloaded.prefix() == named.prefix()).toBe(false);
  });
});

/**
 * The body as it was written before it was written as UTF-8 directly (json/utf8-writer.ts):
 * JsonWriter's text, encoded by String.UTF8. The service must get the same bytes.
 */
function joinedBody(q: ExternalQuestion): ArrayBuffer {
  const w = new JsonWriter();
  w.beginObject(); w.key("input"); w.beginObject(); w.key("attributes"); w.beginObject();
  w.key("source"); w.beginObject(); joinedAddress(w, q.host, -1); w.key("principal"); w.string(q.principal); w.endObject();
  w.key("destination"); w.beginObject();
  const colon = q.destination.lastIndexOf(":");
  joinedAddress(w, colon > 0 ? q.destination.substring(0, colon) : q.destination, colon > 0 ? I32.parseInt(q.destination.substring(colon + 1)) : -1);
  w.endObject(); w.endObject();
  w.key("kafka"); w.beginObject();
  w.key("principal"); w.string(q.principal); w.key("host"); w.string(q.host); w.key("listener"); w.string(q.listener);
  w.key("operation"); w.string(operationName(q.operation));
  w.key("resource"); w.beginObject();
  w.key("type"); w.string(resourceTypeName(q.resourceType)); w.key("name"); w.string(q.name); w.key("anyResource"); w.bool(q.anyResource);
  w.endObject(); w.endObject(); w.endObject(); w.endObject();
  return String.UTF8.encode(w.toString());
}

function joinedAddress(w: JsonWriter, address: string, port: i32): void {
  w.key("address"); w.beginObject(); w.key("socketAddress"); w.beginObject();
  w.key("address"); w.string(address);
  if (port >= 0) { w.key("portValue"); w.int(port); }
  w.endObject(); w.endObject();
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): bool {
  if (a.byteLength != b.byteLength) return false;
  return memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.byteLength) == 0;
}

describe("external question bodies", () => {
  it("are the bytes JsonWriter's text encoded as UTF-8 made, for names needing every kind of escape", () => {
    const names = new Array<string>();
    let every = "";
    for (let c = 0; c < 0x80; c++) {
      names.push(String.fromCharCode(c));
      names.push("a" + String.fromCharCode(c) + "b");
      every += String.fromCharCode(c);
    }
    names.push(every);
    names.push("");
    names.push("\"\\\"\\");
    // Two- and three-byte UTF-8, a surrogate pair (4 bytes), lone surrogates (3 bytes each, as
    // String.UTF8 writes them: WTF-8), a pair reversed, a high surrogate last, a low one first.
    names.push("\u0080\u07ff\u0800\uffff\u2028\u00e9t\u00e9");
    names.push("\ud83d\ude00");
    names.push("x\ud83d\ude00\ud83d\ude00y");
    names.push("\ud800");
    names.push("\udc00");
    names.push("a\ud800b\udfffc");
    names.push("\ude00\ud83d");
    names.push("\ud83d\ud83d\ude00");
    names.push("end\ud83d");
    names.push("\udbff\udfff\u0001\ud800\u0000\"");
    names.push("\u0001".repeat(32000));
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const q = new ExternalQuestion(1, "kafka-opa", "127.0.0.1:19096", "User:alice", "10.0.0.7", ResourceType.Topic, name, AclOperation.Write, false);
      const ok = sameBytes(q.body(), joinedBody(q));
      if (!ok) log<string>("differs for name #" + i.toString());
      expect(ok).toBe(true);
      // The other strings of the question, escaped the same way.
      const all = new ExternalQuestion(7, name, name + ":" + i.toString(), name, name, ResourceType.Group, name, AclOperation.Read, false);
      expect(sameBytes(all.body(), joinedBody(all))).toBe(true);
      const noPort = new ExternalQuestion(7, name, name, name, name, ResourceType.Cluster, "", AclOperation.Create, true);
      expect(sameBytes(noPort.body(), joinedBody(noPort))).toBe(true);
    }
  });
});

describe("broker address rewriting", () => {
  it("rewrites Metadata brokers and FindCoordinator answers by broker id", () => {
    const rules = [new BrokerAddress(1, "127.0.0.1", 19092), new BrokerAddress(2, "127.0.0.1", 19094)];
    const m = new MetadataResponseData();
    for (let id = 1; id <= 3; id++) {
      const b = new MetadataResponseBroker();
      b.nodeId = id;
      b.host = "broker-" + id.toString();
      b.port = 9092;
      m.brokers.push(b);
    }
    expect(rewriteBrokerAddresses(3, m, rules)).toBe(true);
    expect(m.brokers[0].host).toBe("127.0.0.1");
    expect(m.brokers[1].port).toBe(19094);
    expect(m.brokers[2].host).toBe("broker-3"); // no rule: unchanged
    expect(rewriteBrokerAddresses(3, m, rules)).toBe(false); // already rewritten

    const f = new FindCoordinatorResponseData();
    f.nodeId = 2;
    f.host = "broker-2";
    f.port = 9092;
    expect(rewriteBrokerAddresses(10, f, rules)).toBe(true);
    expect(f.port).toBe(19094);
  });
});
