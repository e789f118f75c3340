// Who is on the other end of one client connection, as Kafka would see them.

import { nowNs } from "../runtime/host";

export const ANONYMOUS: string = "User:ANONYMOUS";

/** The OAUTHBEARER token claim Kafka's validators take the principal from by default. */
export const KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM: string = "sub";

export class Session {
  /** "User:<name>": from SASL, else the TLS client certificate, else User:ANONYMOUS. */
  principal: string = ANONYMOUS;
  /** The client's address as Envoy gives it ("ip:port"), for the audit trail. */
  address: string = "";
  /** The client's IP address as Kafka prints it (no port), for ACL host matching. */
  host: string = "";
  /** The client id of the latest request (null ids read as ""). */
  clientId: string = "";

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
   * Fetch sessions (KIP-227) the broker opened for this connection, each with when the full
   * fetch that opened it was checked. An incremental fetch names no partitions, so the filter
   * can only let one through for a session it saw made from a full fetch it checked, on this
   * connection.
   */
  private fetchSessions: Map<i32, i64> = new Map<i32, i64>();

  /**
   * Share sessions (KIP-932) opened on this connection, by shareSessionKey, each with when the
   * full ShareFetch that opened it was checked. The broker keys a share session by group and
   * member id, not by connection, and member ids are the clients' own (ShareGroupDescribe shows
   * them): an incremental ShareFetch or ShareAcknowledge, which names only what changed, goes on
   * only in a session a full request checked here opened.
   */
  private shareSessions: Map<string, i64> = new Map<string, i64>();

  /**
   * How long the check of a session's partitions stands, in ns (0: as long as the session).
   * With a policy service ("external") it is the service's cacheTtlMs: its answers are asked
   * again after that, but a session's partitions, named once, would never be; so the session
   * ends here, and the client's next full request names them again (as Kafka authorizes them
   * at every fetch).
   */
  sessionCheckNs: i64 = 0;

  rememberFetchSession(id: i32): void {
    // A session the broker goes on with keeps the time of the check that opened it.
    if (id == 0 || this.fetchSessions.has(id)) return;
    // A client keeps one session per broker connection; a few are plenty.
    if (this.fetchSessions.size >= 8) this.fetchSessions.clear();
    this.fetchSessions.set(id, this.sessionCheckNs > 0 ? nowNs() : 0);
  }

  /** Whether fetch session `id` was opened on this connection by a check that still stands. */
  inFetchSession(id: i32): bool {
    if (!this.fetchSessions.has(id)) return false;
    if (this.stillChecked(this.fetchSessions.get(id))) return true;
    this.fetchSessions.delete(id);
    return false;
  }

  rememberShareSession(key: string): void {
    // A share consumer keeps one session per group on a broker connection; a few are plenty.
    if (this.shareSessions.size >= 8 && !this.shareSessions.has(key)) this.shareSessions.clear();
    // A full ShareFetch opens the session anew (the broker replaces it): checked now.
    this.shareSessions.set(key, this.sessionCheckNs > 0 ? nowNs() : 0);
  }

  /** Whether share session `key` was opened on this connection by a check that still stands. */
  inShareSession(key: string): bool {
    if (!this.shareSessions.has(key)) return false;
    if (this.stillChecked(this.shareSessions.get(key))) return true;
    this.shareSessions.delete(key);
    return false;
  }

  private stillChecked(checkedAtNs: i64): bool {
    return this.sessionCheckNs == 0 || nowNs() - checkedAtNs <= this.sessionCheckNs;
  }
}

/** A share session's key in Session.shareSessions: its group and member id. */
export function shareSessionKey(groupId: string, memberId: string | null): string {
  return groupId + "\n" + (memberId != null ? memberId : "");
}
