// The policy as the filter shell sees it: one Enforcer per client connection decodes every
// request, lets the per-API checks decide, and applies what they left for the response.

import { DecodedRequest, decodeRequestWith, decodeResponseWith, encodeResponseWith } from "../codec/frame";
import { Writer } from "../protocol/writer";
import { limitElements, reachedElementLimit, NO_ELEMENT_LIMIT } from "../protocol/reader";
import { readFilterRequest, readFilterResponse, writeFilterResponse } from "../messages/filter-codecs";
import { KafkaHandler, RequestHeader, ResponseInfo, Verdict, VerdictKind } from "../filter/seam";
import { logParts, LogLevelValues, enabled, getProperty, getPropertyBytes, printable, nowNs } from "../runtime/host";
import { FilterConfig } from "./config";
import { RequestContext } from "./context";
import { ResponseRewrite, TeachesNothing } from "./rewrite";
import { Session } from "./session";
import { topicIdLookup } from "./topic-ids";
import { partitionCountLookup } from "./topic-partitions";
import { topologyLookup, TopologyLesson } from "./streams-topologies";
import { checkRequest, ruleOf } from "./apis/authorize";
import { Refusals } from "./apis/refuse";
import { learnFromResponse, hasLessons, learnsAsItStreams, lastWalk, lastWalkWork, walkForRewrite, STILL_ARRIVING, StreamedWalk } from "./responses";
import { answerUnsupportedApiVersions, rawSaslTokenSent, rawSaslAnswered, defineSaslCounters, signingInAhead } from "./apis/connection";
import { isSupported, apiName } from "../messages/apis";
import { BrokerAddress, endpointsToReaddress, namesEndpoints, readdressMetadata, rewriteBrokerAddresses, rewritesAddresses } from "./addresses";
import { count, counter, countRequest, countRefusal, flushRefusalCounts } from "./observe";
import { AuditSubject, Decision, ResourceDecision, auditLineParts } from "./audit";
import { logsRefusal, defineRefusalLogCounter, flushNotLoggedCount } from "./refusal-log";
import { warnBounded, defineWarningsCounter } from "./warnings";
import { apiName as statApiName } from "../filter/stats";
import { ExternalAuthorizer } from "./external";
import { passesFromView } from "./apis/rules";
import { TlsPrincipal, cachedTlsPrincipal } from "./tls-principal";
import { SslPrincipalMapper } from "./ssl-principal-mapper";
import { join } from "../runtime/strings";

/** Answers decoded whole in line to be rewritten (what the views do not decide), for operators. */
const RESPONSES_DECODED = "kafka.responses_decoded";

/** Connections closed because Kafka's principal for the client's certificate cannot be told. */
const CERTIFICATES_REFUSED = "kafka.tls_certificates_refused";

/** Connections closed for a request with more elements than filter.maxRequestElements. */
const ELEMENT_LIMIT_CLOSED = "kafka.element_limit_closed";

/** The request of a context that decides from the frame's bytes (passesFromView), never decoded. */
const UNDECODED = new DecodedRequest();
/** The probing context's header between requests. */
const NO_HEADER = new RequestHeader(-1, -1, 0, null, 0, 0);

export class Enforcer extends KafkaHandler {
  readonly session: Session = new Session();
  /**
   * Gives the TLS client certificate's principal (null without one); asked once, at the first
   * request. Envoy creates the connection's filter context when it accepts the connection,
   * before the TLS handshake, so the certificate is not known yet at construction time.
   */
  tlsPrincipalLookup: ((rules: SslPrincipalMapper | null) => TlsPrincipal | null) | null = null;
  /** Set when a policy service answers the ACL questions ("external"). */
  external: ExternalAuthorizer | null = null;
  /** What the walks of the response read as it arrives have read of it (responses.ts). */
  private readonly streamedWalk: StreamedWalk = new StreamedWalk();
  /** The context the allow path probes in, made once per connection (see onRequest). */
  private probe: RequestContext | null = null;

  /**
   * `address`: the client's "ip:port" as Envoy gives it; `listener`: the plugin's name in
   * Envoy's config (one per listener in envoy/envoy.yaml), for the audit trail.
   */
  constructor(readonly config: FilterConfig, address: string, tlsPrincipal: string, readonly listener: string = "") {
    super();
    // Defined with the VM's first connection, so that dashboards find it before its first count.
    counter(RESPONSES_DECODED);
    counter(CERTIFICATES_REFUSED);
    counter(ELEMENT_LIMIT_CLOSED);
    defineRefusalLogCounter();
    defineWarningsCounter();
    defineSaslCounters();
    this.session.address = address;
    this.session.host = hostOf(address);
    this.session.oauthbearerPrincipalClaim = config.settings.oauthbearerPrincipalClaim;
    if (tlsPrincipal.length > 0) this.session.principal = tlsPrincipal;
  }

  // Every request is decoded: the policy needs its contents before it may go on.
  wantsRequest(header: RequestHeader): bool { return true; }

  onRequest(frame: Uint8Array, header: RequestHeader): Verdict {
    // Every read of the request (its view's walk, its decode, the checks' reads) is bounded:
    // what a request costs the VM grows with its elements, and it is collected only after it.
    limitElements(this.config.settings.maxRequestElements);
    const verdict = this.decide(frame, header);
    limitElements(NO_ELEMENT_LIMIT);
    return verdict;
  }

  /** A request past filter.maxRequestElements: closed, whatever onDecodeError says, as a frame past maxFrameBytes is. */
  private tooManyElements(header: RequestHeader): Verdict {
    count(ELEMENT_LIMIT_CLOSED);
    const name = apiName(header.apiKey);
    return Verdict.close((name != null ? name : "api key " + header.apiKey.toString()) + " request with more than " + this.config.settings.maxRequestElements.toString()
      + " array elements and tagged fields (filter.maxRequestElements)");
  }

  private decide(frame: Uint8Array, header: RequestHeader): Verdict {
    const lookup = this.tlsPrincipalLookup;
    if (lookup != null) {
      this.tlsPrincipalLookup = null;
      const p = lookup(this.config.settings.sslPrincipalMapper);
      if (p != null) {
        // Whose rights apply is not known: Kafka's name for this certificate cannot be told.
        if (p.error.length > 0) {
          count(CERTIFICATES_REFUSED);
          return Verdict.close("client certificate " + printable(p.subject) + ": " + p.error);
        }
        this.session.principal = p.principal;
      }
    }
    // As Kafka's broker does: a too-new ApiVersions gets a v0 answer naming what we know.
    if (header.apiKey == 18 && !isSupported(18, header.apiVersion)) return answerUnsupportedApiVersions(header);
    const signingIn = signingInAhead(this.session, header.apiKey);
    if (signingIn != null) return signingIn;
    const audit = this.config.audit;
    // The allow path: a request whose view shows nothing to refuse (apis/rules.ts) goes on
    // unchanged, never decoded. What it would refuse is decided below on the decoded request,
    // so that refusals, their responses and their audit lines have one implementation. Not
    // with allow logging (the sampled allows are the full path's) nor a policy service (its
    // questions may make the request wait): those take the full path.
    const rule = ruleOf(header.apiKey);
    if (rule.viewDecides && !audit.logAllows && this.external == null && this.config.policy.isApiKeyAllowed(header.apiKey)) {
      let probe = this.probe;
      if (probe == null) {
        probe = new RequestContext(this.config.policy, this.session, header, UNDECODED);
        probe.explainsRefusals = false;
        this.probe = probe;
      } else probe.reuseFor(header);
      const passes = passesFromView(probe, rule, frame);
      // Not kept past the request: its client id can be 32 KB, on every idle connection.
      probe.reuseFor(NO_HEADER);
      if (passes) {
        countRequest(this.session.principal);
        return Verdict.pass();
      }
      if (reachedElementLimit()) return this.tooManyElements(header);
    }
    const decoded = decodeRequestWith(frame, true, readFilterRequest);
    if (reachedElementLimit()) return this.tooManyElements(header);
    if (decoded.error.length > 0) {
      count("kafka.request_decode_errors");
      const why = "request did not decode: " + decoded.error;
      if (this.config.settings.closeOnDecodeError) return Verdict.close(why);
      // "pass" is for bytes no broker reads either. These a broker may read, unjudged: a
      // version another Kafka release knows (our ApiVersions answer never offers it), or a
      // tagged field Kafka reads on past. Kafka's broker closes a version it does not know too.
      if (decoded.brokerMayRead) return Verdict.close(why + " (not passed on under onDecodeError pass: a broker may read it)");
      warnBounded("kafka filter: passed on (onDecodeError: pass): " + printable(why, 1024));
      return Verdict.pass();
    }
    const ctx = new RequestContext(this.config.policy, this.session, header, decoded);
    if (audit.logAllows) ctx.allowSampleRate = audit.allowSampleRate;
    const external = this.external;
    if (external != null) {
      ctx.external = external;
      external.mayWait = true;
      external.pending = 0;
    }
    let verdict = checkRequest(ctx);
    if (external != null) {
      external.mayWait = false;
      // Asked of the policy service: decided again, from the start, when the answers are in.
      if (external.pending > 0) return Verdict.wait();
      external.requestDecided();
    }
    countRequest(this.session.principal);
    // Audit mode: decided as above, sent on as the client sent it. A request whose own bytes
    // are broken is refused in every mode.
    const enforced = !audit.auditOnly || ctx.malformed;
    const note = ctx.after;
    if (!enforced) verdict = Verdict.pass();
    // An answer the filter writes from its own request's (a DescribeTopicPartitions listing,
    // from a Metadata listing) costs the broker a whole listing, which the filter reads at once:
    // no back-pressure holds a client that asks for them faster than it reads. A client pages a
    // listing a page at a time, each from the last one's cursor.
    if (verdict.asideNote != null && ++this.session.ownAnswersInFlight > MAX_OWN_ANSWERS_IN_FLIGHT) {
      verdict = Verdict.close("more than " + MAX_OWN_ANSWERS_IN_FLIGHT.toString() + " DescribeTopicPartitions listings in flight on one connection");
    }
    // The shell keeps what the check left with this request's in-flight entry and hands it
    // back with the response at the same position: nothing here is keyed by correlation id.
    if (note != null && (enforced || !note.enforcesPolicy)) verdict = verdict.withNote(note);
    // Audit mode drops the rewrite; what must not teach the filter (a validation's ids) still must not.
    else if (note != null && !note.teaches) verdict = verdict.withNote(new TeachesNothing());
    this.record(ctx, enforced);
    // The broker's answer is read like any Metadata answer (learnFromResponse learns from it).
    if (ctx.unknownTopicIds.length > 0 && verdict.kind != VerdictKind.Close) {
      count("kafka.topic_id_lookups");
      verdict = verdict.withAside(topicIdLookup(ctx.unknownTopicIds, header.correlationId, header.clientId));
    } else if (ctx.unknownPartitionCounts.length > 0 && verdict.kind != VerdictKind.Close) {
      count("kafka.topic_partition_lookups");
      verdict = verdict.withAside(partitionCountLookup(ctx.unknownPartitionCounts, header.correlationId, header.clientId));
    } else if (ctx.topologyWanted != null && verdict.kind != VerdictKind.Close) {
      const group = ctx.topologyWanted!;
      count("kafka.streams_topology_lookups");
      verdict = verdict.withAside(topologyLookup(group, header.correlationId, header.clientId), new TopologyLesson(group, this.session));
    }
    ctx.settle();
    return verdict;
  }

  /** Logs and counts what was decided about `ctx` (see audit.ts). */
  private record(ctx: RequestContext, enforced: bool): void {
    const refusals = ctx.refusals;
    const allows = ctx.keptAllows;
    if (refusals.length == 0 && allows.length == 0) return;
    const s = this.session;
    // The audit trail is Envoy's log (audit.ts): not written when Envoy would drop it.
    const subject = enabled(LogLevelValues.info)
      ? new AuditSubject(nowNs(), this.config.audit.auditOnly ? "audit" : "enforce", s.principal, s.address,
        clientIdOf(ctx.header), this.listener, ctx.apiName, ctx.version, ctx.header.correlationId)
      : null;
    const apiStat = statApiName(ctx.apiKey);
    const limit = this.config.audit.refusalsLoggedPerSecond;
    for (let i = 0; i < refusals.length; i++) {
      const d = unchecked(refusals[i]);
      const logged = subject != null && logsRefusal(limit, subject, s.host, d, enforced);
      countRefusal(s, clientIdOf(ctx.header), ctx.apiName, apiStat, d, enforced, logged);
      if (logged) auditLine(subject!, d, enforced ? Decision.Denied : Decision.WouldDeny);
    }
    flushRefusalCounts(s, enforced);
    flushNotLoggedCount();
    if (subject != null) for (let i = 0; i < allows.length; i++) auditLine(subject, unchecked(allows[i]), Decision.Allowed);
  }

  // A response is held and decoded when a check left something to do with it (a rewrite, a
  // SASL outcome) or its broker addresses are rewritten. One that only teaches the filter
  // (topic ids, fetched bytes) streams on as it arrives and is read once whole (observed);
  // others stream on unread.
  wantsResponse(info: ResponseInfo): bool {
    return info.note != null || (this.config.settings.brokerAddresses.length > 0 && rewritesAddresses(info.apiKey, info.apiVersion));
  }

  observesResponse(info: ResponseInfo): bool { return hasLessons(info.apiKey); }

  observeResponse(frame: Uint8Array, info: ResponseInfo): Verdict {
    const unread = learnFromResponse(this.session, frame, info.apiKey, info.apiVersion);
    return unread.length > 0 ? this.undecodable(unread, false) : Verdict.pass();
  }

  learnsAsItStreams(info: ResponseInfo): bool { return learnsAsItStreams(info.apiKey); }

  observeStreamed(frame: Uint8Array, info: ResponseInfo): Verdict | null {
    const unread = learnFromResponse(this.session, frame, info.apiKey, info.apiVersion, this.streamedWalk.of(info));
    if (unread == STILL_ARRIVING) return null;
    return unread.length > 0 ? this.undecodable(unread, false) : Verdict.pass();
  }

  streamedWork(): i32 { return lastWalkWork(); }

  onResponse(frame: Uint8Array, info: ResponseInfo): Verdict {
    const note = info.note;
    const rewrite = note != null ? changetype<ResponseRewrite>(note) : null;
    const addresses = this.config.settings.brokerAddresses;
    const readdresses = addresses.length > 0 && rewritesAddresses(info.apiKey, info.apiVersion);
    const rewrites = rewrite != null || readdresses;
    const walked = hasLessons(info.apiKey) && (rewrite == null || rewrite.teaches);
    if (walked) {
      const unread = learnFromResponse(this.session, frame, info.apiKey, info.apiVersion);
      if (unread.length > 0) return this.undecodable(unread, rewrites);
    }
    // What only teaches goes on as the broker sent it, never decoded.
    if (!rewrites) return Verdict.pass();
    // The rewrite may need no decoding: the walk that taught the filter (a listing of topics),
    // or a few fields read from the bytes (ApiVersions' ranges); the broker's bytes go on as
    // they are, cut or patched, and a Metadata answer's brokers are then readdressed in them.
    let fast = rewrite != null ? rewrite.fromView(walked ? lastWalk() : null, frame, info.apiVersion) : Verdict.pass();
    if (rewrite != null && rewrite.answersInstead) {
      this.session.ownAnswersInFlight--;
      return fast != null ? fast : Verdict.close("no answer from the filter's own request");
    }
    if (fast != null && readdresses) fast = readdressed(fast, frame, walked, info.apiKey, info.apiVersion, addresses);
    if (fast != null) return fast;
    // Counted for operators: each is an answer decoded whole in line (encoded again if changed).
    count(RESPONSES_DECODED);
    let version = info.apiVersion;
    let decoded = decodeResponseWith(frame, info.apiKey, version, readFilterResponse);
    if (decoded.error.length > 0 && info.apiKey == 18 && version > 0) {
      // A broker that does not know the ApiVersions version asked (Kafka 3.9 and v5) answers
      // UNSUPPORTED_VERSION in v0's layout; Kafka's clients read it so (ApiVersionsResponse.parse)
      // and retry lower.
      const v0 = decodeResponseWith(frame, 18, 0, readFilterResponse);
      if (v0.error.length == 0) {
        decoded = v0;
        version = 0;
      }
    }
    if (decoded.error.length > 0) return this.undecodable(decoded.error, true);
    const body = decoded.body!;
    let changed = rewrite != null && rewrite.apply(body, version);
    if (rewrite instanceof Refusals) this.recordAnswerChecks(changetype<Refusals>(rewrite));
    if (addresses.length > 0 && rewriteBrokerAddresses(info.apiKey, body, addresses)) changed = true;
    if (!changed) return Verdict.pass();
    const w = new Writer(info.frameSize + 64);
    encodeResponseWith(w, decoded.header, decoded.headerVersion, info.apiKey, body, version, writeFilterResponse);
    if (w.failed) return Verdict.close("could not encode the rewritten response: " + w.error);
    // A view, not a copy: the shell copies a response's replacement into its output at once
    // (ResponseSide.onFrame), and an answer carrying a request's refused names may be megabytes.
    return Verdict.replace(w.bytes().subarray(4));
  }

  /** Logs and counts what a rewrite refused on the broker's answer (Refusals.checkedOnAnswer). */
  private recordAnswerChecks(refusals: Refusals): void {
    const ctx = refusals.checkedOnAnswer;
    if (ctx == null || ctx.refusals.length == 0) return;
    this.record(ctx, true); // only an enforcing filter applies a rewrite that enforces policy
    ctx.settle();
  }

  /** A response that did not read: closed when the policy had to rewrite it (or closeOnDecodeError), else passed with a warning. */
  private undecodable(error: string, mustRead: bool): Verdict {
    count("kafka.response_decode_errors");
    const why = "response did not decode: " + error;
    if (this.config.settings.closeOnDecodeError || mustRead) return Verdict.close(why);
    warnBounded("kafka filter: passed on (onDecodeError: pass): " + printable(why, 1024));
    return Verdict.pass();
  }

  takeRawSaslExchanges(): i32 {
    const n = this.session.rawSaslExchanges;
    this.session.rawSaslExchanges = 0;
    return n;
  }

  onRawSaslToken(token: Uint8Array): void { rawSaslTokenSent(this.session, token); }

  onRawSaslAnswer(answer: Uint8Array): string { return rawSaslAnswered(this.session); }
}

/**
 * `v` (what goes on in place of `frame`: itself, spliced or patched) with its brokers
 * readdressed; null when that takes decoding the answer. A Metadata answer's brokers are
 * spliced in; an answer naming leaders' endpoints goes on as it is when its view (`walked`:
 * the one lastWalk() holds of `frame`) finds none to rewrite, the usual case.
 */
function readdressed(v: Verdict, frame: Uint8Array, walked: bool, apiKey: i16, version: i16, rules: Array<BrokerAddress>): Verdict | null {
  const from = v.kind == VerdictKind.Replace ? v.bytes! : frame;
  if (namesEndpoints(apiKey)) {
    if (!(from === frame && walked) && !walkForRewrite(from, apiKey, version)) return null;
    return endpointsToReaddress(from, lastWalk(), rules) ? null : v;
  }
  if (apiKey != 3) return null;
  const to = readdressMetadata(from, version, rules);
  if (to == null) return null;
  return to === from ? v : Verdict.replace(to);
}

/**
 * The client's IP as Kafka prints it (ACL host matching is by exact string): Envoy gives
 * "ip:port" or "[v6]:port"; Java prints IPv6 uncompressed ("0:0:0:0:0:0:0:1") and an
 * IPv4-mapped address as IPv4.
 */
export function hostOf(address: string | null): string {
  if (address == null) return "";
  const a = address;
  if (a.startsWith("[")) {
    const end = a.indexOf("]");
    return end > 0 ? javaIPv6(a.substring(1, end)) : a;
  }
  const colon = a.lastIndexOf(":");
  return colon > 0 ? a.substring(0, colon) : a;
}

/**
 * "::1" -> "0:0:0:0:0:0:0:1", "::ffff:10.0.0.1" -> "10.0.0.1", "::10.0.0.1" -> "0:0:0:0:0:0:a00:1"
 * (Java prints an IPv4 tail of any other address in hex); other text unchanged.
 */
export function javaIPv6(ip: string): string {
  const pct = ip.indexOf("%");
  let bare = pct >= 0 ? ip.substring(0, pct) : ip;
  const lastColon = bare.lastIndexOf(":");
  if (bare.indexOf(".") > lastColon) {
    if (bare.toLowerCase().startsWith("::ffff:")) return bare.substring(7);
    const quad = bare.substring(lastColon + 1).split(".");
    if (quad.length != 4) return ip;
    const b = new StaticArray<i32>(4);
    for (let i = 0; i < 4; i++) {
      const part = quad[i];
      if (part.length == 0 || part.length > 3) return ip;
      let v = 0;
      for (let k = 0; k < part.length; k++) {
        const c = part.charCodeAt(k);
        if (c < 48 || c > 57) return ip;
        v = v * 10 + (c - 48);
      }
      if (v > 255) return ip;
      b[i] = v;
    }
    bare = bare.substring(0, lastColon + 1) + (b[0] << 8 | b[1]).toString(16) + ":" + (b[2] << 8 | b[3]).toString(16);
  }
  const halves = bare.split("::");
  if (halves.length > 2) return ip;
  const head = halves[0].length > 0 ? halves[0].split(":") : new Array<string>();
  const tail = halves.length == 2 && halves[1].length > 0 ? halves[1].split(":") : new Array<string>();
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length == 1 && missing != 0)) return ip;
  const groups = new Array<string>();
  for (let i = 0; i < head.length; i++) groups.push(head[i]);
  for (let i = 0; i < missing; i++) groups.push("0");
  for (let i = 0; i < tail.length; i++) groups.push(tail[i]);
  for (let i = 0; i < groups.length; i++) {
    let g = groups[i].toLowerCase();
    while (g.length > 1 && g.charCodeAt(0) == 48) g = g.substring(1); // leading zeros
    groups[i] = g;
  }
  return join(groups, ":");
}

/**
 * The TLS client certificate's principal as Kafka names it (tls-principal.ts); null on a
 * connection without TLS or without a client certificate.
 */
function peerCertificatePrincipal(rules: SslPrincipalMapper | null): TlsPrincipal | null {
  const subject = getProperty(["connection", "subject_peer_certificate"]);
  if (subject == null) return null;
  // Envoy gives "" both without a certificate and for one with an empty subject (Kafka: "User:").
  if (subject.length == 0) {
    const presented = getPropertyBytes(["connection", "mtls"]);
    if (presented == null || presented.length == 0 || presented[0] == 0) return null;
  }
  return cachedTlsPrincipal(subject, rules);
}

function auditLine(subject: AuditSubject, d: ResourceDecision, decision: Decision): void {
  logParts(LogLevelValues.info, auditLineParts(subject, d, decision));
}

/**
 * The request's client id (null read as ""), for its audit lines: from its own header, which
 * lives as long as the request. A connection does not keep the last one (up to 32 KB each,
 * for as long as the connection stays open).
 */
function clientIdOf(header: RequestHeader): string {
  const id = header.clientId;
  return id != null ? id : "";
}

/** Answers the filter writes from its own requests' answers, in flight on one connection (Session.ownAnswersInFlight). */
const MAX_OWN_ANSWERS_IN_FLIGHT: i32 = 2;

/** The policy's handler of a new connection (see main.ts). */
export function makeEnforcer(connectionId: u32, config: FilterConfig): KafkaHandler {
  const address = getProperty(["source", "address"]);
  const listener = getProperty(["plugin_name"]);
  const e = new Enforcer(config, address != null ? address : "", "", listener != null ? listener : "");
  const external = config.external;
  if (external != null) {
    const destination = getProperty(["destination", "address"]);
    e.external = new ExternalAuthorizer(external, e.listener, destination != null ? destination : "", connectionId);
    // The service's answers stand for cacheTtlMs: so does the check of a session's partitions.
    e.session.checkSessionsFor(max<i64>(<i64>external.cacheTtlMs, 1) * 1000000);
  }
  // Not here: no TLS handshake has happened yet when Envoy creates the connection's context.
  e.tlsPrincipalLookup = peerCertificatePrincipal;
  return e;
}
