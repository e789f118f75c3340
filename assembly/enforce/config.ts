// The plugin configuration: Kafka's ACL vocabulary at the top level (see assembly/policy),
// plus an optional "filter" object for the filter's own settings:
//
//   {"allowEveryoneIfNoAclFound": false, "superUsers": [...], "acls": [...], "limits": {...},
//    "mode": "enforce" | "audit",
//    "audit": {"allows": "none" | "all", "sampleRate": 1, "refusalsLoggedPerSecond": 100},
//    "external": {"cluster": "opa", "path": "/v1/data/kafka/authz/allow", "authority": "opa",
//                 "timeoutMs": 1000, "cacheTtlMs": 10000, "failOpen": false,
//                 "maxCacheEntries": 10000, "maxPendingCalls": 1000},
//    "filter": {"maxFrameBytes": 104857600, "maxInFlight": 1024,
//               "maxBufferedBytes": 268435456, "frameTimeoutMs": 30000, "inEnvoyFrameBytes": 0,
//               "inPlaceFrameBytes": 32768,
//               "onDecodeError": "close" | "pass", "topicStatsLimit": 100, "principalStatsLimit": 100,
//               "oauthbearerPrincipalClaim": "sub",
//               "sslPrincipalMappingRules": "RULE:^CN=([^,]+),.*$/$1/L,DEFAULT",
//               "brokerAddresses": [{"id": 1, "host": "127.0.0.1", "port": 19092}]}}
//
// brokerAddresses rewrites where Metadata, FindCoordinator and DescribeCluster responses say
// broker `id` is, so clients of a multi-broker cluster keep going through Envoy.
//
// "mode": "audit" decides every request as "enforce" does but forwards it unchanged, logging
// and counting what enforce mode would have refused (see assembly/enforce/audit.ts). "audit"
// says which decisions the audit trail keeps besides refusals: allowed ACL checks, none (the
// default) or all, one in `sampleRate`; and how many refusals a VM logs line by line in a second
// (the rest are counted and summed up: assembly/enforce/refusal-log.ts; 0: every one).
//
// "external" hands every ACL question to a policy service over HTTP (assembly/enforce/external.ts);
// the ACL fields must then be absent or empty, as they would decide nothing. Limits still apply.
// The listener needs the "kafka_resume" filter just before this one (see envoy/envoy.yaml).
//
// Loading validates everything; a refused configuration leaves the one in force unchanged.

import { JsonErrors, JsonFields, parseJson } from "../json/value";
import { Policy } from "../policy/policy";
import { BrokerAddress } from "./addresses";
import { KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM } from "./sasl-names";
import { SslPrincipalMapper } from "./ssl-principal-mapper";
import { ExternalSettings } from "./external";
import { DEFAULT_REFUSALS_LOGGED_PER_SECOND } from "./refusal-log";
import { ShellSettings, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_FRAME_TIMEOUT_MS, DEFAULT_IN_PLACE_FRAME_BYTES } from "../filter/settings";

/** The "filter" section: the shell's own settings, then how the enforcement behaves. */
/**
 * Array elements and tagged fields one request may carry (topics, partitions, groups, ...):
 * each costs the VM up to about a kilobyte until the request is decided (a VM collects only
 * between frames, and its memory never shrinks), and 100 MB of 3-byte elements would make it
 * allocate more than a Wasm VM has. Above what a client sends one broker (a Fetch names the
 * partitions that broker leads; Kafka advises some thousands per broker).
 */
export const DEFAULT_MAX_REQUEST_ELEMENTS: i32 = 200000;

export class FilterSettings extends ShellSettings {
  /** Array elements and tagged fields a request may carry; a connection that sends more is closed. */
  maxRequestElements: i32 = DEFAULT_MAX_REQUEST_ELEMENTS;
  /** Fail closed (close the connection) on a frame that does not decode, unless false. */
  closeOnDecodeError: bool = true;
  /** How many topics get their own produce/fetch counters; the rest share "_other". */
  topicStatsLimit: i32 = 100;
  /** How many principals get their own counters; the rest share "_other". */
  principalStatsLimit: i32 = 100;
  /** Broker id -> the address clients must use instead (empty: addresses pass unchanged). */
  brokerAddresses: Array<BrokerAddress> = new Array<BrokerAddress>();
  /** The OAUTHBEARER token claim the broker takes the principal from (its sasl.oauthbearer.sub.claim.name). */
  oauthbearerPrincipalClaim: string = KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM;
  /** The broker's ssl.principal.mapping.rules, read (null: DEFAULT, the subject as it is). */
  sslPrincipalMapper: SslPrincipalMapper | null = null;
}

/** How the policy's decisions are applied and which of them the audit trail keeps. */
export class AuditSettings {
  /** "mode": "audit": nothing is refused; what enforce mode would refuse is logged and counted. */
  auditOnly: bool = false;
  /** "audit.allows": "all" logs allowed ACL checks too (refusals are always logged). */
  logAllows: bool = false;
  /** "audit.sampleRate": one allowed check in this many is logged. */
  allowSampleRate: i32 = 1;
  /** "audit.refusalsLoggedPerSecond": refusals a VM logs line by line in a second; 0: every one. */
  refusalsLoggedPerSecond: i32 = DEFAULT_REFUSALS_LOGGED_PER_SECOND;
}

export class FilterConfig {
  constructor(readonly policy: Policy, readonly settings: FilterSettings, readonly raw: string,
              readonly audit: AuditSettings = new AuditSettings(),
              /** Set when a policy service decides the ACL questions. */
              readonly external: ExternalSettings | null = null) {}

  describe(): string {
    const s = this.settings;
    return "maxFrameBytes=" + s.maxFrameBytes.toString() + " maxInFlight=" + s.maxInFlight.toString()
      + " maxRequestElements=" + s.maxRequestElements.toString()
      + " maxBufferedBytes=" + s.maxBufferedBytes.toString() + " frameTimeoutMs=" + s.frameTimeoutMs.toString()
      + " inEnvoyFrameBytes=" + s.inEnvoyFrameBytes.toString() + " inPlaceFrameBytes=" + s.inPlaceFrameBytes.toString()
      + " onDecodeError=" + (s.closeOnDecodeError ? "close" : "pass") + " topicStatsLimit=" + s.topicStatsLimit.toString()
      + " principalStatsLimit=" + s.principalStatsLimit.toString() + " oauthbearerPrincipalClaim=" + s.oauthbearerPrincipalClaim
      + (s.sslPrincipalMapper != null ? " sslPrincipalMappingRules=" + s.sslPrincipalMapper!.text : "")
      + " mode=" + (this.audit.auditOnly ? "audit" : "enforce") + " audit.allows=" + (this.audit.logAllows ? "all" : "none")
      + " audit.sampleRate=" + this.audit.allowSampleRate.toString()
      + " audit.refusalsLoggedPerSecond=" + this.audit.refusalsLoggedPerSecond.toString()
      + (this.external != null ? " " + this.external!.describe() : "");
  }
}

export class ConfigLoadResult {
  constructor(readonly config: FilterConfig | null, readonly error: string) {}
}

/**
 * Parses and validates a whole plugin configuration; "" (no configuration) is refused. The
 * result names the first problem; `errors` made by JsonErrors.collectingAll() gets them all.
 */
export function loadConfig(raw: string, errors: JsonErrors = new JsonErrors()): ConfigLoadResult {
  const parsed = parseJson(raw);
  if (!parsed.ok) {
    const why = "invalid JSON: " + parsed.describe();
    errors.fail("", why);
    return new ConfigLoadResult(null, why);
  }
  const root = new JsonFields(parsed.value, "", errors);
  if (!root.requireObject()) return new ConfigLoadResult(null, root.error);
  const settings = new FilterSettings();
  const f = root.field("filter");
  if (f.present && f.requireObject()) {
    settings.maxFrameBytes = <i32>f.field("maxFrameBytes").asIntOr(DEFAULT_MAX_FRAME_BYTES, 64, i32.MAX_VALUE);
    settings.maxInFlight = <i32>f.field("maxInFlight").asIntOr(DEFAULT_MAX_IN_FLIGHT, 1, 1 << 20);
    settings.maxRequestElements = <i32>f.field("maxRequestElements").asIntOr(DEFAULT_MAX_REQUEST_ELEMENTS, 1000, i32.MAX_VALUE - 1);
    settings.maxBufferedBytes = f.field("maxBufferedBytes").asIntOr(DEFAULT_MAX_BUFFERED_BYTES, 65536, 1 << 40);
    settings.frameTimeoutMs = <i32>f.field("frameTimeoutMs").asIntOr(DEFAULT_FRAME_TIMEOUT_MS, 100, 86400000);
    settings.inEnvoyFrameBytes = <i32>f.field("inEnvoyFrameBytes").asIntOr(0, 0, i32.MAX_VALUE);
    settings.inPlaceFrameBytes = <i32>f.field("inPlaceFrameBytes").asIntOr(DEFAULT_IN_PLACE_FRAME_BYTES, 0, i32.MAX_VALUE);
    const onError = f.field("onDecodeError");
    const mode = onError.asStringOr("close");
    if (!onError.failed && mode != "close" && mode != "pass") onError.fail("expected \"close\" or \"pass\", got \"" + mode + "\"");
    settings.closeOnDecodeError = mode != "pass";
    settings.topicStatsLimit = <i32>f.field("topicStatsLimit").asIntOr(100, 0, 100000);
    settings.principalStatsLimit = <i32>f.field("principalStatsLimit").asIntOr(100, 0, 100000);
    const claim = f.field("oauthbearerPrincipalClaim");
    settings.oauthbearerPrincipalClaim = claim.asStringOr(KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM);
    if (!claim.failed && settings.oauthbearerPrincipalClaim.length == 0) claim.fail("must not be empty");
    const rules = f.field("sslPrincipalMappingRules");
    if (rules.present) {
      const text = rules.asString();
      if (!rules.failed) {
        const mapper = new SslPrincipalMapper(text);
        if (mapper.error.length > 0) rules.fail(mapper.error);
        else settings.sslPrincipalMapper = mapper;
      }
    }
    const ba = f.field("brokerAddresses");
    for (let i = 0, n = ba.length; i < n; i++) {
      const e = ba.at(i);
      if (!e.requireObject()) continue;
      const id = <i32>e.field("id").asInt(0, i32.MAX_VALUE);
      const hostField = e.field("host");
      const host = hostField.asString();
      if (!hostField.failed && host.length == 0) hostField.fail("must not be empty");
      const port = <i32>e.field("port").asInt(1, 65535);
      e.finish();
      settings.brokerAddresses.push(new BrokerAddress(id, host, port));
    }
    f.finish();
  }
  const audit = readAudit(root);
  const external = readExternal(root);
  settings.requestsMayWait = external != null;
  // The policy is read even when the filter section failed, so that all its problems show.
  const p = Policy.fromFields(root);
  if (p.policy == null) return new ConfigLoadResult(null, p.error);
  return new ConfigLoadResult(new FilterConfig(p.policy!, settings, raw, audit, external), "");
}

/** "mode" and "audit"; problems are recorded in `root`. */
function readAudit(root: JsonFields): AuditSettings {
  const a = new AuditSettings();
  const modeField = root.field("mode");
  const mode = modeField.asStringOr("enforce");
  if (!modeField.failed && mode != "enforce" && mode != "audit") {
    modeField.fail("unknown mode \"" + mode + "\" (expected \"enforce\" or \"audit\")");
  }
  a.auditOnly = mode == "audit";
  const f = root.field("audit");
  if (f.present && f.requireObject()) {
    const allowsField = f.field("allows");
    const allows = allowsField.asStringOr("none");
    if (!allowsField.failed && allows != "none" && allows != "all") {
      allowsField.fail("expected \"none\" or \"all\", got \"" + allows + "\"");
    }
    a.logAllows = allows == "all";
    a.allowSampleRate = <i32>f.field("sampleRate").asIntOr(1, 1, 1000000);
    a.refusalsLoggedPerSecond = <i32>f.field("refusalsLoggedPerSecond").asIntOr(DEFAULT_REFUSALS_LOGGED_PER_SECOND, 0, 1000000);
    f.finish();
  }
  return a;
}

/** "external", or null when absent; problems are recorded in `root`. */
/** Printable ASCII, no space: Envoy refuses a call whose :path or :authority has more, and every call would fail (then failOpen decides). */
function isHeaderValue(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function readExternal(root: JsonFields): ExternalSettings | null {
  const f = root.field("external");
  if (!f.present || !f.requireObject()) return null;
  const e = new ExternalSettings();
  const cluster = f.field("cluster");
  e.cluster = cluster.asString();
  if (!cluster.failed && e.cluster.length == 0) cluster.fail("must name the Envoy cluster of the policy service");
  const path = f.field("path");
  e.path = path.asStringOr(e.path);
  if (!path.failed && !e.path.startsWith("/")) path.fail("must start with \"/\"");
  else if (!path.failed && !isHeaderValue(e.path)) path.fail("must be printable ASCII without spaces (an HTTP path)");
  const authority = f.field("authority");
  e.authority = authority.asStringOr("");
  if (!authority.failed && !isHeaderValue(e.authority)) authority.fail("must be printable ASCII without spaces (an HTTP :authority)");
  e.timeoutMs = <i32>f.field("timeoutMs").asIntOr(e.timeoutMs, 1, 60000);
  e.cacheTtlMs = <i32>f.field("cacheTtlMs").asIntOr(e.cacheTtlMs, 0, 86400000);
  e.failOpen = f.field("failOpen").asBoolOr(false);
  e.maxCacheEntries = <i32>f.field("maxCacheEntries").asIntOr(e.maxCacheEntries, 1, 10000000);
  e.maxPendingCalls = <i32>f.field("maxPendingCalls").asIntOr(e.maxPendingCalls, 1, 1000000);
  f.finish();
  // ACLs beside an external decider would decide nothing: say so rather than ignore them.
  const acls = root.field("acls"), superUsers = root.field("superUsers"), everyone = root.field("allowEveryoneIfNoAclFound");
  if (acls.length > 0) acls.fail("must be empty when \"external\" decides the ACL questions");
  if (superUsers.length > 0) superUsers.fail("must be empty when \"external\" decides the ACL questions");
  if (everyone.present && everyone.asBoolOr(false)) everyone.fail("must be false or absent when \"external\" decides the ACL questions");
  return e;
}

/** Used only if Envoy opens a connection before any configuration loaded: refuses everything. */
export function refusingConfig(): FilterConfig {
  return new FilterConfig(Policy.empty(false), new FilterSettings(), "");
}
