// Who is on the other end of one client connection, as Kafka would see them.

import { nowNs, getSharedText, setSharedText } from "../runtime/host";
import { mix64 } from "../runtime/hash-seed";
import { Uuid } from "../protocol/uuid";
import { KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM } from "./sasl-names";

export const ANONYMOUS: string = "User:ANONYMOUS";

export class Session {
  /** "User:<name>": from SASL, else the TLS client certificate, else User:ANONYMOUS. */
  principal: string = ANONYMOUS;
  /** The client's address as Envoy gives it ("ip:port"), for the audit trail. */
  address: string = "";
  /** The client's IP address as Kafka prints it (no port), for ACL host matching. */
  host: string = "";

  // SASL progress (apis/connection.ts): the mechanism of the handshake the broker accepted, the
  // user of the first token it accepted, how many rounds succeeded, and how many tokens the
  // client sent since its last handshake.
  saslMechanism: string = "";
  saslUser: string = "";
  saslRounds: i32 = 0;
  saslTokensSent: i32 = 0;
  /** Raw SASL (after SaslHandshake v0): the first token, read when the broker answers it. */
  saslFirstToken: Uint8Array = new Uint8Array(0);
  /** Raw token exchanges an accepted SaslHandshake v0 announced, until the shell takes them. */
  rawSaslExchanges: i32 = 0;
  /** The OAUTHBEARER token claim that names the principal (filter.oauthbearerPrincipalClaim). */
  oauthbearerPrincipalClaim: string = KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM;
  /** SaslHandshake and SaslAuthenticate requests the broker has not answered yet. */
  saslUnanswered: i32 = 0;
  /** A SASL exchange succeeded on this connection: the principal is its user. */
  signedIn: bool = false;

  /**
   * Fetch sessions (KIP-227) the broker opened for this connection, by id. An incremental fetch
   * names no partitions, so the filter can only let one through for a session it saw made from
   * a full fetch it checked, on this connection.
   */
  readonly fetchSessions: OpenedSessions<i32> = new OpenedSessions<i32>();

  /**
   * Share sessions (KIP-932) opened on this connection, by memberKey. The broker keys a
   * share session by group and member id, not by connection, and member ids are the clients'
   * own (ShareGroupDescribe shows them): an incremental ShareFetch or ShareAcknowledge, which
   * names only what changed, goes on only in a session a full request checked here opened.
   */
  readonly shareSessions: OpenedSessions<string> = new OpenedSessions<string>();
  /** The topics each of those sessions' checked ShareFetches named (what their answers may carry). */
  readonly shareSessionTopics: SessionTopics = new SessionTopics();
  /** The streams group whose topology the broker refused to describe to this connection, and its error (streams-topologies.ts). */
  refusedTopologyLookup: string | null = null;
  refusedTopologyLookupError: i16 = 0;

  /**
   * A consumer or share group member's assignment that was shown without topics whose ids no
   * broker answer had named (apis/groups.ts DescribableAssignmentOnly), until the filter has
   * asked the broker for them and can show it again, judged. One member per connection: a
   * client's group member keeps its own connection to the coordinator.
   */
  awaitedAssignment: AwaitedAssignment | null = null;

  /** Answers the filter writes from its own requests' answers, not yet answered (enforce/handler.ts). */
  ownAnswersInFlight: i32 = 0;

  /**
   * How long the check of a session's partitions stands (0: as long as the session). With a
   * policy service ("external") it is the service's cacheTtlMs: its answers are asked again
   * after that, but a session's partitions, named once, would never be. Kafka authorizes them
   * at every fetch; past it, a fetch session ends here (the client's next full fetch names them
   * again), and a share session's topics are asked again (apis/groups.ts checkShareSession).
   */
  checkSessionsFor(ns: i64): void {
    this.fetchSessions.checkNs = ns;
    this.shareSessions.checkNs = ns;
  }
}

/**
 * Topic ids a connection's share sessions hold at most, together (about 80 bytes each, kept as
 * long as the connection): a client naming every topic it may read, in eight sessions, on each
 * of its connections, held tens of MiB per connection, out of any budget.
 */
export const MAX_SHARE_SESSION_TOPICS: i32 = 10000;

/** Per share session (memberKey), the ids of the topics this connection's checked ShareFetches named in it. */
export class SessionTopics {
  private readonly byKey: Map<string, Set<string>> = new Map<string, Set<string>>();
  /** The ids of every set, counted. */
  private held: i32 = 0;

  /** The ids session `key`'s checked ShareFetches named on this connection; null if none did. */
  of(key: string): Set<string> | null { return this.byKey.has(key) ? this.byKey.get(key) : null; }

  /**
   * The set of session `key` after a ShareFetch allowed `topics` in it: a new set when the
   * fetch `opens` the session (it replaces the member's), else the session's, with them added.
   * Null, nothing changed, when that would take the connection's sessions past
   * MAX_SHARE_SESSION_TOPICS.
   */
  named<T>(key: string, opens: bool, topics: Array<T>): Set<string> | null {
    const replaced = opens || !this.byKey.has(key);
    // As OpenedSessions: a client keeps a few sessions per connection.
    const cleared = replaced && this.byKey.size >= 8 && !this.byKey.has(key);
    const kept = cleared ? 0 : this.held - (this.byKey.has(key) && replaced ? this.byKey.get(key).size : 0);
    if (kept + topics.length > MAX_SHARE_SESSION_TOPICS) {
      // Added one by one, a name already in the set counts once.
      const set = replaced ? new Set<string>() : this.byKey.get(key);
      let more = 0;
      for (let i = 0; i < topics.length && kept + more <= MAX_SHARE_SESSION_TOPICS; i++) {
        const id = unchecked(topics[i]).topicId.toString();
        if (!set.has(id)) more++;
      }
      if (kept + more > MAX_SHARE_SESSION_TOPICS) return null;
    }
    let set: Set<string>;
    if (replaced) {
      if (cleared) this.byKey.clear();
      set = new Set<string>();
      this.byKey.set(key, set);
    } else {
      set = this.byKey.get(key);
    }
    this.held = kept - (replaced ? 0 : set.size);
    for (let i = 0; i < topics.length; i++) set.add(unchecked(topics[i]).topicId.toString());
    this.held += set.size;
    return set;
  }
}

/** Sessions of one kind opened on this connection, each with when the request that opened it was checked. */
export class OpenedSessions<K> {
  /** When the check of each session opened here was made (0 when checks stand as long as the session). */
  private checked: Map<K, i64> = new Map<K, i64>();
  /** How long a check stands, in ns (0: as long as the session); see Session.checkSessionsFor. */
  checkNs: i64 = 0;

  /**
   * Session `key` is open: `anew` when the request that opened it was checked now (a full
   * ShareFetch replaces the member's session), not when the broker goes on with one (a fetch
   * session keeps the time of the full fetch that opened it).
   */
  remember(key: K, anew: bool): void {
    if (!anew && this.checked.has(key)) return;
    // A client keeps one session per broker connection (per group): a few are plenty.
    if (this.checked.size >= 8 && !this.checked.has(key)) this.checked.clear();
    this.checked.set(key, this.checkNs > 0 ? nowNs() : 0);
  }

  /** Whether session `key` was opened on this connection (by a check that may no longer stand). */
  opened(key: K): bool { return this.checked.has(key); }

  /** Whether session `key` was opened on this connection by a check that still stands. */
  has(key: K): bool {
    if (!this.checked.has(key)) return false;
    return this.checkNs == 0 || nowNs() - this.checked.get(key) <= this.checkNs;
  }
}

/**
 * A group member's key (Session.shareSessions, AwaitedAssignment): its group and member id; null
 * when they are too long to be kept (a share session the connection then cannot continue here,
 * which the client starts over; an assignment not awaited). Kept keys outlive their frame: a
 * client must not pin memory with them. Kafka's member ids are Uuids (22 characters); group ids
 * of this length are not ones clients use.
 */
export function memberKey(groupId: string, memberId: string | null): string | null {
  const member = memberId != null ? memberId : "";
  if (groupId.length + member.length > MAX_MEMBER_KEY) return null;
  return groupId + "\n" + member;
}

const MAX_MEMBER_KEY: i32 = 1024;

/**
 * The whole assignment a heartbeat's answer gave a member (Session.awaitedAssignment), by topic
 * id, while some of its ids are not yet known here (or a policy service's answer about a topic
 * is not in yet). The coordinator sends an assignment only
 * when it changes (or to a full heartbeat): one shown without topics it had would otherwise
 * stay so until the next change.
 */
export class AwaitedAssignment {
  readonly ids: Array<Uuid> = new Array<Uuid>();
  readonly partitions: Array<Array<i32>> = new Array<Array<i32>>();
  /** Per id: whether a lookup of it went to the broker ahead of a heartbeat of this member. */
  readonly asked: Array<bool> = new Array<bool>();
  /** Topics of it the member was last shown. */
  shown: i32 = 0;

  /** `key`: memberKey of the member; `apiKey`: its heartbeat's (ConsumerGroupHeartbeat or ShareGroupHeartbeat). */
  constructor(readonly apiKey: i16, readonly key: string) {}

  add(id: Uuid, partitions: Array<i32>): void {
    this.ids.push(id);
    this.partitions.push(partitions);
    this.asked.push(false);
  }
}

/**
 * Whose connection last opened each share session, across every VM of this Envoy (the shared
 * data). The broker keys a share session by group and member id, and a full ShareFetch from any
 * connection replaces it; an incremental ShareFetch names only what changed and is served from
 * the session as it now is. So a principal whose session another principal reopened (a member
 * id is the client's own, and ShareGroupDescribe shows it) must not go on with it: the broker
 * would acquire the other principal's topics for the member, records the filter could then
 * only blank, locked and counted towards their delivery limit (Kafka authorizes each partition
 * at every fetch). Such a request is answered as one in a session the broker does not have,
 * and its client starts over with a full fetch, which is checked. By principal, not by
 * connection: a member keeps a session on each broker it fetches from, each opened on its own
 * connection, and one listener's address does not tell a broker (it may have several). Not
 * seen here: a session reopened through another Envoy in front of the same broker.
 *
 * Bounded: shared data keeps every key for the life of Envoy, and member ids are the clients'
 * own. 16,384 buckets (OPENER_BUCKET_BITS) of OPENER_WAYS entries, each a session's and its
 * opener's hashes (fixed size, whatever the names' lengths) and when it was opened; a full
 * bucket gives up its oldest entry. A session whose entry is gone is answered as one another principal
 * reopened (its client starts over), never let through: else evicting it would be a way past.
 * The bucket is a keyed hash (a secret the first VM draws, kept in the shared data), so that a
 * client cannot aim sessions of its own at another's bucket (16,384 single slots and a known
 * hash let one principal with READ on any group end every session with one request each), and
 * an entry is written when the broker accepts the session, not when it is asked for (a broker
 * refuses sessions past its own limit): to push a session out, a client must keep some
 * 65,536 sessions open on the brokers.
 */
export class ShareSessionOpeners {
  /** `principal` opened (a full ShareFetch the broker accepted of) share session `key` (memberKey). */
  static opened(principal: string, key: string): void {
    const secret = openersSecret();
    if (secret == 0) return;
    const bucket = bucketOf(key, secret);
    const entry = entryOf(key, secret);
    // The session's own entry, else an empty way, else the oldest.
    let way = 0;
    let oldest = i64.MAX_VALUE;
    for (let i = 0; i < OPENER_WAYS; i++) {
      const held = getSharedText(bucket + i.toString());
      if (held != null && held.startsWith(entry)) { way = i; break; }
      const at = held == null || held.length == 0 ? i64.MIN_VALUE : openedAt(held);
      if (at < oldest) { way = i; oldest = at; }
    }
    const value = entry + hashOf(principal, secret ^ PRINCIPAL_SEED).toString() + "@" + (nowNs() / 1000000).toString();
    if (!setSharedText(bucket + way.toString(), value)) sharedDataRefused = true;
  }

  /** Whether `principal` is the last to have opened share session `key`. */
  static isOpener(principal: string, key: string): bool {
    // A host without shared data (Envoy has it): the answers' check alone, as before openers were kept.
    const secret = openersSecret();
    if (secret == 0) return true;
    const bucket = bucketOf(key, secret);
    const entry = entryOf(key, secret);
    for (let i = 0; i < OPENER_WAYS; i++) {
      const held = getSharedText(bucket + i.toString());
      if (held == null || !held.startsWith(entry)) continue;
      const opener = held.substring(entry.length, held.indexOf("@", entry.length));
      return opener == hashOf(principal, secret ^ PRINCIPAL_SEED).toString();
    }
    return false;
  }
}

let sharedDataRefused = false;

/** 16,384 buckets: the top bits of the key's hash. */
const OPENER_BUCKET_BITS: u64 = 14;
const OPENER_WAYS = 4;
const SECRET_KEY = "kafka.share_session.secret";
const PRINCIPAL_SEED: u64 = 0x9e3779b97f4a7c15;

/** The bucket's prefix: its ways are this and 0..OPENER_WAYS-1. */
function bucketOf(key: string, secret: u64): string {
  return "kafka.share_session." + (hashOf(key, secret) >> (64 - OPENER_BUCKET_BITS)).toString() + ".";
}

/** An entry's session part: a second hash of the key, so entries of a bucket tell sessions apart. */
function entryOf(key: string, secret: u64): string {
  return hashOf(key, ~secret).toString() + "/";
}

function openedAt(held: string): i64 {
  const at = held.lastIndexOf("@");
  return at < 0 ? i64.MIN_VALUE : I64.parseInt(held.substring(at + 1));
}

/**
 * The VMs' shared secret; drawn (from the clock) by the first VM to need it. Read each time:
 * VMs that drew at once settle on the last written, and entries hashed with another are only
 * not found (their sessions start over). 0: the host keeps no shared data.
 */
function openersSecret(): u64 {
  if (sharedDataRefused) return 0;
  let held = getSharedText(SECRET_KEY);
  if (held == null || held.length == 0) {
    const drawn = mix64(<u64>nowNs() ^ 0x5bd1e9955bd1e995) | 1;
    if (!setSharedText(SECRET_KEY, drawn.toString())) {
      sharedDataRefused = true;
      return 0;
    }
    held = getSharedText(SECRET_KEY);
    if (held == null) return drawn;
  }
  // Never 0 (no shared data): a value that does not read as a number still keys the hash.
  return U64.parseInt(held) | 1;
}

/** FNV-1a over the UTF-16 code units from `seed`, then a 64-bit finalizer (MurmurHash3's fmix64) over every bit. */
function hashOf(text: string, seed: u64): u64 {
  let h: u64 = seed ^ 0xcbf29ce484222325;
  for (let i = 0; i < text.length; i++) h = (h ^ <u64>text.charCodeAt(i)) * 0x100000001b3;
  return mix64(h ^ seed);
}

