// Audit mode and the audit trail: "mode": "audit" decides as enforce mode does and lets the
// request go on as sent; refusals of broken requests stay enforced; every audit line is one
// JSON object of printable ASCII whatever the client sent.

import { ProduceRequestData, TopicProduceData, PartitionProduceData } from "../../assembly/messages/ProduceRequest";
import { VerdictKind, RequestHeader } from "../../assembly/filter/seam";
import { Enforcer } from "../../assembly/enforce/handler";
import { loadConfig, FilterConfig } from "../../assembly/enforce/config";
import { AuditSubject, ResourceDecision, Decision, auditJson, isoTime } from "../../assembly/enforce/audit";
import { quote, quoteAscii } from "../../assembly/json/writer";
import { parseJson, JsonValue } from "../../assembly/json/value";
import { requestBytes, policyOf, session, contextFor } from "./support/enforce";
import { authorize } from "../../assembly/enforce/apis/authorize";
import { LabelBudget } from "../../assembly/enforce/observe";

const ACLS = `"acls": [
  {"principal": "User:alice", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "WRITE", "permissionType": "ALLOW"}]`;

function config(extra: string): FilterConfig {
  const r = loadConfig("{" + ACLS + extra + "}");
  if (r.config == null) abort("test configuration refused: " + r.error);
  return r.config!;
}

function refusal(json: string): string {
  const r = loadConfig(json);
  expect(r.config).toBeNull();
  return r.error;
}

/** A Produce v11 of one partition to `topic`; its records are `records`. */
function produce(topic: string, records: Uint8Array): ProduceRequestData {
  const r = new ProduceRequestData();
  r.acks = -1;
  r.timeoutMs = 1000;
  const t = new TopicProduceData();
  t.name = topic;
  const p = new PartitionProduceData();
  p.records = records;
  t.partitionData.push(p);
  r.topicData.push(t);
  return r;
}

/** A v2 record batch of one record, uncompressed, 70 bytes. */
function goodBatch(): Uint8Array {
  const b = new Uint8Array(70);
  b[11] = 58; // batch length: 70 - 12
  b[16] = 2; // magic
  b[60] = 1; // one record
  return b;
}

function verdictKind(c: FilterConfig, principal: string, req: ProduceRequestData): VerdictKind {
  const e = new Enforcer(c, "127.0.0.1:40000", "", "kafka-plaintext");
  e.session.principal = principal;
  const frame = requestBytes(0, 11, req);
  return e.onRequest(frame, new RequestHeader(0, 11, 7, "spec-client", 0, frame.length)).kind;
}

describe("mode", () => {
  it("is enforce unless the configuration says audit", () => {
    expect(config("").audit.auditOnly).toBe(false);
    expect(config(`, "mode": "enforce"`).audit.auditOnly).toBe(false);
    expect(config(`, "mode": "audit"`).audit.auditOnly).toBe(true);
  });

  it("refuses an unknown mode and bad audit settings, naming the place", () => {
    expect(refusal(`{"mode": "permissive"}`)).toBe("mode: unknown mode \"permissive\" (expected \"enforce\" or \"audit\")");
    expect(refusal(`{"mode": 1}`)).toBe("mode: expected string, found number");
    expect(refusal(`{"audit": {"allows": "some"}}`)).toBe("audit.allows: expected \"none\" or \"all\", got \"some\"");
    expect(refusal(`{"audit": {"sampleRate": 0}}`)).toBe("audit.sampleRate: 0 is out of range [1, 1000000]");
    expect(refusal(`{"audit": {"allow": "all"}}`)).toBe("audit.allow: unknown field");
  });

  it("reads which allowed checks the trail keeps", () => {
    const a = config(`, "audit": {"allows": "all", "sampleRate": 10}`).audit;
    expect(a.logAllows).toBe(true);
    expect(a.allowSampleRate).toBe(10);
    expect(config("").audit.logAllows).toBe(false);
  });
});

describe("audit mode", () => {
  it("sends on what enforce mode refuses", () => {
    expect(verdictKind(config(""), "User:bob", produce("orders.eu", goodBatch()))).toBe(VerdictKind.Respond);
    expect(verdictKind(config(`, "mode": "audit"`), "User:bob", produce("orders.eu", goodBatch()))).toBe(VerdictKind.Pass);
  });

  it("still refuses a record batch that does not parse (not the policy's refusal)", () => {
    const broken = goodBatch();
    broken[16] = 1; // magic 1: not a record batch this filter (or Kafka 4) reads
    expect(verdictKind(config(`, "mode": "audit"`), "User:alice", produce("orders.eu", broken))).toBe(VerdictKind.Respond);
  });
});

describe("allowed checks in the trail", () => {
  it("keeps one allowed ACL check in sampleRate, naming the ACL that allowed it", () => {
    const policy = policyOf("{" + ACLS + "}");
    let kept = 0;
    let rule = "";
    for (let i = 0; i < 10; i++) {
      const ctx = contextFor(policy, session("User:alice"), 0, 11, produce("orders.eu", goodBatch()));
      ctx.allowSampleRate = 5;
      authorize(ctx);
      kept += ctx.keptAllows.length;
      if (ctx.keptAllows.length > 0) rule = ctx.keptAllows[0].rule;
    }
    expect(kept).toBe(2);
    expect(rule).toBe("acls[0]");
  });
});

function shortName(s: string): bool { return s.length <= 8; }

describe("label budget", () => {
  it("admits the first `limit` valid values; later ones share _other, invalid ones _invalid", () => {
    const b = new LabelBudget("spec", shortName);
    b.limit = 2;
    expect(b.known("a")).toBe("_other");
    expect(b.admit("a")).toBe("a");
    expect(b.admit("b")).toBe("b");
    expect(b.admit("c")).toBe("_other");
    expect(b.admit("a")).toBe("a");
    expect(b.admit("far too long")).toBe("_invalid");
    expect(b.known("b")).toBe("b");
    expect(b.known("c")).toBe("_other");
  });
});

function field(o: JsonValue, key: string): string {
  const v = o.get(key);
  return v == null ? "<missing>" : v.isNull ? "<null>" : v.text;
}

function isPrintableAscii(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

describe("audit line", () => {
  it("is one JSON object of printable ASCII whatever the client id holds", () => {
    let hostile = "evil\n\"},{\"decision\":\"ALLOWED\"\r\\\u2028\u0000\uD800x\uDC00\u00e9\uD83D\uDE00";
    while (hostile.length < 32767) hostile += "A";
    const subject = new AuditSubject(1700000000123000000, "audit", "User:bob", "127.0.0.1:40000", hostile, "kafka-plaintext", "Produce", 11, 7);
    const d = ResourceDecision.refusal("TOPIC:orders.eu", "WRITE not allowed", "topic_authorization_failed", "WRITE", "default");
    const line = auditJson(subject, d, Decision.WouldDeny);
    expect(isPrintableAscii(line)).toBe(true);
    expect(line.length).toBeLessThan(4096);
    const parsed = parseJson(line);
    expect(parsed.ok).toBe(true);
    const o = parsed.value!;
    expect(field(o, "decision")).toBe("WOULD_DENY");
    expect(field(o, "time")).toBe("2023-11-14T22:13:20.123Z");
    expect(field(o, "clientId").substring(0, 24)).toBe("evil\n\"},{\"decision\":\"ALL");
    expect(field(o, "clientId").length).toBe(256);
    expect(field(o, "clientIdLength")).toBe("32767");
    expect(field(o, "resourceType")).toBe("TOPIC");
    expect(field(o, "resourceName")).toBe("orders.eu");
    expect(field(o, "operation")).toBe("WRITE");
    expect(field(o, "acl")).toBe("default");
    expect(field(o, "error")).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect(field(o, "listener")).toBe("kafka-plaintext");
  });

  it("names no ACL or operation where none decided", () => {
    const subject = new AuditSubject(0, "enforce", "User:ANONYMOUS", "", "", "", "DeleteTopics", 6, 1);
    const o = parseJson(auditJson(subject, ResourceDecision.refusal("DeleteTopics", "API not allowed by limits.apis",
      "cluster_authorization_failed", "", ""), Decision.Denied)).value!;
    expect(field(o, "resourceType")).toBe("API");
    expect(field(o, "resourceName")).toBe("DeleteTopics");
    expect(field(o, "operation")).toBe("<null>");
    expect(field(o, "acl")).toBe("<null>");
    expect(field(o, "time")).toBe("1970-01-01T00:00:00.000Z");
  });
});

// The writer checks four units at a time: each character that needs an escape, at every
// position of strings longer and shorter than four, is found.
describe("escapes at every position", () => {
  it("finds each character that needs one, in quote and quoteAscii", () => {
    const specials = ["\u0000", "\u001f", "\"", "\\", "\u007f", "\u0080", "\u2028", "\uD800", "\uffff"];
    const inQuote = ["\\u0000", "\\u001f", "\\\"", "\\\\", "\u007f", "\u0080", "\u2028", "\uD800", "\uffff"];
    const inAscii = ["\\u0000", "\\u001f", "\\\"", "\\\\", "\\u007f", "\\u0080", "\\u2028", "\\ufffd", "\\uffff"];
    const base = "abcdefghi";
    for (let k = 0; k < specials.length; k++) {
      for (let n = 1; n <= base.length; n++) {
        for (let at = 0; at < n; at++) {
          const s = base.substring(0, at) + specials[k] + base.substring(at + 1, n);
          const before = base.substring(0, at), after = base.substring(at + 1, n);
          expect(quote(s)).toBe("\"" + before + inQuote[k] + after + "\"");
          expect(quoteAscii(s, 100)).toBe("\"" + before + inAscii[k] + after + "\"");
        }
      }
    }
    // Plain text of every length goes in as it is.
    for (let n = 0; n <= base.length; n++) {
      expect(quote(base.substring(0, n) + "~ !#[]")).toBe("\"" + base.substring(0, n) + "~ !#[]\"");
      expect(quoteAscii(base.substring(0, n) + "~ !#[]", 100)).toBe("\"" + base.substring(0, n) + "~ !#[]\"");
    }
  });
});

describe("quoteAscii", () => {
  it("escapes all but printable ASCII, a lone surrogate as U+FFFD, and never cuts a pair", () => {
    expect(quoteAscii("a\"b\\c\n", 100)).toBe("\"a\\\"b\\\\c\\u000a\"");
    expect(quoteAscii("\u00e9\uD83D\uDE00", 100)).toBe("\"\\u00e9\\ud83d\\ude00\"");
    expect(quoteAscii("x\uD800y\uDC00", 100)).toBe("\"x\\ufffdy\\ufffd\"");
    expect(quoteAscii("ab\uD83D\uDE00", 3)).toBe("\"ab\"");
    expect(quoteAscii("abcdef", 3)).toBe("\"abc\"");
    expect(quoteAscii("", 3)).toBe("\"\"");
    expect(quoteAscii("plain.topic-1", 100)).toBe("\"plain.topic-1\"");
  });

  it("quote: plain text in quotes as it is, control characters, quotes and backslashes escaped", () => {
    expect(quote("")).toBe("\"\"");
    expect(quote("plain \u00e9 text")).toBe("\"plain \u00e9 text\"");
    expect(quote("a\"b\\c\u0001\t")).toBe("\"a\\\"b\\\\c\\u0001\\t\"");
  });

  it("writes RFC 3339 UTC times", () => {
    expect(isoTime(951782400000000000)).toBe("2000-02-29T00:00:00.000Z");
    expect(isoTime(4102444799999000000)).toBe("2099-12-31T23:59:59.999Z");
  });
});
