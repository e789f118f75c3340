// Who is on the other end of one client connection, as Kafka would see them.

export const ANONYMOUS: string = "User:ANONYMOUS";

export class Session {
  /** "User:<name>": from SASL, else the TLS client certificate, else User:ANONYMOUS. */
  principal: string = ANONYMOUS;
  /** The client's IP address as Kafka prints it (no port), for ACL host matching. */
  host: string = "";
  /** The client id of the latest request (null ids read as ""). */
  clientId: string = "";

  // SASL progress: the mechanism from SaslHandshake, the user name from the first
  // SaslAuthenticate, and how many of its responses have succeeded.
  saslMechanism: string = "";
  saslUser: string = "";
  saslRounds: i32 = 0;
}
