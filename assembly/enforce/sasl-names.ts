// The user a SASL client's first message names, read as Kafka's server side reads it: PLAIN's
// authcid, SCRAM's saslname, OAUTHBEARER's token claim. The filter takes this name as the
// principal once the broker accepts the exchange, so it must be the very name the broker
// authenticated: test/oracle/broker-reads.ts compares it with Kafka's own SASL servers. Pure
// functions (the CLI's module runs them for that comparison).

import { decodeUtf8 } from "../protocol/utf8";
import { base64Decode } from "../json/base64";
import { parseJson, JsonKind } from "../json/value";

/** The OAUTHBEARER token claim Kafka's validators take the principal from by default. */
export const KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM: string = "sub";

/**
 * The user name in a mechanism's first client message, as Kafka's server side reads it:
 * PLAIN "authzid NUL authcid NUL password" (the authcid); SCRAM "gs2-header,n=user,r=nonce";
 * OAUTHBEARER the token's `claim` (oauthBearerSubject). "" when there is none to read, or the
 * broker authenticates someone the message does not name (a SCRAM delegation token's owner).
 */
export function saslUserName(mechanism: string, auth: Uint8Array, claim: string = KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM): string {
  if (mechanism == "PLAIN") {
    let first = -1, second = -1;
    for (let i = 0; i < auth.length; i++) {
      if (auth[i] != 0) continue;
      if (first < 0) first = i;
      else { second = i; break; }
    }
    if (first < 0 || second < 0) return "";
    return decodeUtf8(auth.dataStart + <usize>(first + 1), <usize>(second - first - 1));
  }
  if (mechanism.startsWith("SCRAM-")) {
    const text = decodeUtf8(auth.dataStart, <usize>auth.length);
    const parts = text.split(",");
    let user = "";
    for (let i = 2; i < parts.length; i++) {
      const p = unchecked(parts[i]);
      if (user.length == 0 && p.startsWith("n=")) user = p.substring(2).replaceAll("=2C", ",").replaceAll("=3D", "=");
      // A delegation token (KIP-48): the name is the token's id, and the broker authenticates
      // the token's owner, whom only the broker knows. No user the filter could take.
      else if (p.startsWith("tokenauth=") && p.substring(10).toLowerCase() == "true") return "";
    }
    return user;
  }
  if (mechanism == "OAUTHBEARER") return oauthBearerSubject(auth, claim);
  return "";
}

/** Kafka's sasl.server.max.receive.size default: a larger client message fails at the broker. */
const OAUTHBEARER_MAX_BYTES = 524288;

/**
 * The principal name Kafka's OAUTHBEARER server takes from a client's initial response (RFC
 * 7628: "n,[a=authzid]," then ^A-separated key=value pairs, "auth=Bearer <token>" among them):
 * the token's `claim` ("sub" unless the broker's sasl.oauthbearer.sub.claim.name says another),
 * the payload of a JWS in compact form. "" when the message, token or claim is not what Kafka
 * accepts, or the authzid names someone else (Kafka refuses that). The broker checks the token;
 * the filter takes the name only from a token the broker accepted.
 */
export function oauthBearerSubject(auth: Uint8Array, claim: string = KAFKA_OAUTHBEARER_PRINCIPAL_CLAIM): string {
  if (auth.length > OAUTHBEARER_MAX_BYTES) return "";
  const text = decodeUtf8(auth.dataStart, <usize>auth.length);
  if (!text.startsWith("n,")) return "";
  const gs2End = text.indexOf(",", 2);
  if (gs2End < 0 || text.charCodeAt(gs2End + 1) != 1) return "";
  const gs2 = text.substring(2, gs2End);
  if (gs2.length > 0 && !gs2.startsWith("a=")) return "";
  const authzid = gs2.substring(2).replaceAll("=2C", ",").replaceAll("=3D", "=");
  let bearer = "";
  const pairs = text.substring(gs2End + 2).split("\x01");
  for (let i = 0; i < pairs.length; i++) {
    const pair = unchecked(pairs[i]);
    if (pair.startsWith("auth=")) bearer = pair.substring(5);
  }
  const space = bearer.indexOf(" ");
  if (space < 0 || bearer.substring(0, space).toLowerCase() != "bearer") return "";
  const parts = bearer.substring(space + 1).trimStart().split(".");
  if (parts.length != 3) return "";
  const payload = base64Decode(unchecked(parts[1]));
  if (payload == null) return "";
  const claims = parseJson(decodeUtf8(payload.dataStart, <usize>payload.length));
  const root = claims.value;
  if (root == null || root.kind != JsonKind.Object) return "";
  const sub = root.get(claim);
  if (sub == null || sub.kind != JsonKind.String || sub.text.length == 0) return "";
  if (authzid.length > 0 && authzid != sub.text) return "";
  return sub.text;
}
