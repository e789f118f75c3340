// Kafka's principal for a TLS client certificate, from the subject Envoy gives.
//
// Kafka (DefaultKafkaPrincipalBuilder) names the holder of a client certificate "User:" + its
// ssl.principal.mapping.rules applied to X500Principal.getName(): RFC 2253 as Java writes it. Envoy's
// connection.subject_peer_certificate is RFC 2253 as BoringSSL writes it (X509_NAME_print_ex with
// XN_FLAG_RFC2253), and the two differ for the same certificate:
//   - attributes Java has no RFC 2253 keyword for (emailAddress, serialNumber, title, ...) are
//     "<dotted OID>=#<DER of the value in hex>" in Java, "<short name>=<text>" in BoringSSL;
//   - bytes past ASCII: Java writes the characters, BoringSSL "\C3\A9";
//   - Java escapes '=' and '#' anywhere in a value, BoringSSL a leading '#' only; a NUL is "\00"
//     in Java, other control characters are written as they are (BoringSSL: "\XX");
//   - a multi-valued RDN ("CN=x+UID=y"): Java in the certificate's order, BoringSSL reversed;
//   - streetAddress: "STREET" in Java, "street" in BoringSSL.
// A policy written with the names Kafka shows (kafka-acls, the broker's authorizer log) must apply
// to the same certificates here: a DENY that missed them would be a way around it. So the subject
// is read back into its attributes and written again as Java writes it. Where the DER encoding
// Java would print cannot be known from BoringSSL's text (an attribute such as title, a
// DirectoryString that may be a UTF8String or a PrintableString, ...), the name is not guessed:
// unless the broker's ssl.principal.mapping.rules give every encoding the same name, the caller
// refuses the connection, as it does for a SASL exchange it cannot follow.

import { SslPrincipalMapper, MappedName } from "./ssl-principal-mapper";
import { StepBudget } from "./java-regex";
import { hexValue } from "../json/value";
import { decodeUtf8 } from "../protocol/utf8";
import { join } from "../runtime/strings";

/** The result: `principal` ("User:..."), or why none can be given (`error`, principal ""). */
export class TlsPrincipal {
  constructor(readonly subject: string, readonly principal: string, readonly error: string = "") {}
}

/** Java's RFC 2253 keywords (sun.security.x509.AVAKeyword), by BoringSSL's short name. */
function javaKeyword(shortName: string): string | null {
  if (shortName == "CN" || shortName == "C" || shortName == "L" || shortName == "ST" || shortName == "O" ||
    shortName == "OU" || shortName == "DC" || shortName == "UID") return shortName;
  if (shortName == "street") return "STREET";
  return null;
}

const HEX = "0123456789abcdef";

/** One attribute as BoringSSL wrote it: its type, and its value as text or as a DER dump. */
class Attribute {
  constructor(public type: string, public text: string, public der: string | null) {}
}

/** Reads BoringSSL's RFC 2253 text; `error` set where it is not what BoringSSL writes. */
class SubjectReader {
  pos: i32 = 0;
  error: string = "";
  /** The first attribute read whose DER type Envoy's text does not show ("" none). */
  ambiguous: string = "";
  constructor(readonly s: string) {}

  atEnd(): bool { return this.pos >= this.s.length; }

  /** The next attribute, or null (error set). `separator` after it: ',' '+' or 0 at the end. */
  attribute(): Attribute | null {
    const s = this.s;
    const eq = s.indexOf("=", this.pos);
    if (eq <= this.pos) { this.error = "no attribute type at " + this.pos.toString(); return null; }
    const type = s.substring(this.pos, eq);
    this.pos = eq + 1;
    if (this.pos < s.length && s.charCodeAt(this.pos) == 35 /* # */) {
      // A DER dump (a type BoringSSL does not print as text): hex up to the next separator.
      const start = ++this.pos;
      while (this.pos < s.length && hexValue(s.charCodeAt(this.pos)) >= 0) this.pos++;
      if (this.pos == start || (this.pos - start) % 2 != 0) { this.error = "odd DER dump of " + type; return null; }
      return new Attribute(type, "", s.substring(start, this.pos).toLowerCase());
    }
    // Text: escapes are "\" + a character, or "\" + two hex digits (one byte of UTF-8).
    const bytes = new Array<u8>();
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 44 /* , */ || c == 43 /* + */) break;
      if (c == 92 /* \ */) {
        if (this.pos + 1 >= s.length) { this.error = "a value of " + type + " ends in an escape"; return null; }
        const hi = hexValue(s.charCodeAt(this.pos + 1));
        const lo = this.pos + 2 < s.length ? hexValue(s.charCodeAt(this.pos + 2)) : -1;
        if (hi >= 0 && lo >= 0) {
          bytes.push(<u8>((hi << 4) | lo));
          this.pos += 3;
          continue;
        }
        this.pos++;
        pushUtf8(bytes, s.substring(this.pos, this.pos + 1));
        this.pos++;
        continue;
      }
      const next = c >= 0xd800 && c < 0xdc00 ? 2 : 1;
      pushUtf8(bytes, s.substring(this.pos, this.pos + next));
      this.pos += next;
    }
    const buf = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) buf[i] = bytes[i];
    return new Attribute(type, String.UTF8.decode(buf.buffer), null);
  }

  /** The separator after an attribute (',' '+'), 0 at the end. */
  separator(): i32 {
    if (this.pos >= this.s.length) return 0;
    return this.s.charCodeAt(this.pos++);
  }
}

function pushUtf8(out: Array<u8>, text: string): void {
  const b = Uint8Array.wrap(String.UTF8.encode(text));
  for (let i = 0; i < b.length; i++) out.push(b[i]);
}

/** A value as Java's AVA.toRFC2253String escapes it. */
function javaEscaped(value: string): string {
  const escaped = new Array<string>();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c == 0) { escaped.push("\\00"); continue; }
    if (c == 44 || c == 61 || c == 43 || c == 60 || c == 62 || c == 35 || c == 59 || c == 34 || c == 92) escaped.push("\\");
    escaped.push(String.fromCharCode(c));
  }
  // Java then escapes every leading and trailing space or carriage return, of the escaped text.
  let lead = 0;
  while (lead < escaped.length && isBlank(escaped[lead])) lead++;
  let trail = escaped.length - 1;
  while (trail >= 0 && isBlank(escaped[trail])) trail--;
  // Joined once: appending to a string copies all before it, and under the minimal runtime
  // every copy stays until the next collection (a 16,000-character CN grew the VM by 256 MiB).
  const parts = new Array<string>();
  for (let i = 0; i < escaped.length; i++) {
    if (i < lead || i > trail) parts.push("\\");
    parts.push(escaped[i]);
  }
  return join(parts);
}

function isBlank(part: string): bool { return part == " " || part == "\r"; }

/** "#" + hex of the DER of an ASN.1 string of type `tag` whose content is `bytes`. */
function derHex(tag: i32, bytes: Array<i32>): string {
  const n = bytes.length;
  // Joined once, as javaEscaped: a 4,000-character title's five encodings appended byte by
  // byte grew the VM by 1 GiB.
  const parts = new Array<string>();
  parts.push("#");
  parts.push(byteHex(tag));
  if (n < 0x80) parts.push(byteHex(n));
  else if (n < 0x100) { parts.push("81"); parts.push(byteHex(n)); }
  else if (n < 0x10000) { parts.push("82"); parts.push(byteHex(n >> 8)); parts.push(byteHex(n & 0xff)); }
  else { parts.push("83"); parts.push(byteHex(n >> 16)); parts.push(byteHex((n >> 8) & 0xff)); parts.push(byteHex(n & 0xff)); }
  for (let i = 0; i < n; i++) parts.push(byteHex(bytes[i]));
  return join(parts);
}

// A DirectoryString's value is written in five encodings, two hex digits a byte: made once.
const BYTE_HEX = new StaticArray<string>(256);

function byteHex(b: i32): string {
  const i = b & 0xff;
  let pair = unchecked(BYTE_HEX[i]);
  if (changetype<usize>(pair) == 0) {
    pair = String.fromCharCode(HEX.charCodeAt((i >> 4) & 15)) + String.fromCharCode(HEX.charCodeAt(i & 15));
    unchecked(BYTE_HEX[i] = pair);
  }
  return pair;
}

/** A value's content as an 8-bit string (IA5, Printable, T61: one byte a character), or null if a character does not fit. */
function latin1(value: string): Array<i32> | null {
  const out = new Array<i32>();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) return null;
    out.push(c);
  }
  return out;
}

/** X.680's PrintableString characters: letters, digits, space and '()+,-./:=? */
function isPrintableString(value: string): bool {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 32 ||
      (c >= 39 && c <= 41) || (c >= 43 && c <= 47) || c == 58 || c == 61 || c == 63;
    if (!ok) return false;
  }
  return true;
}

/**
 * What Java's AVA.toRFC2253String writes for a keyword attribute whose DER (hex) is `der`: the
 * content read as UTF-8 for the types it takes as strings (PrintableString, T61String,
 * IA5String, GeneralString, UTF8String, BMPString: AVA.isDerString), null for any other (Java
 * then writes the DER, as BoringSSL dumped it).
 */
function javaText(der: string): string | null {
  const n = der.length >> 1;
  if (n < 2) return null;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = <u8>((hexValue(der.charCodeAt(2 * i)) << 4) | hexValue(der.charCodeAt(2 * i + 1)));
  const tag = <i32>bytes[0];
  if (tag != PRINTABLE_STRING && tag != 0x14 && tag != IA5_STRING && tag != 0x1b && tag != 0x0c && tag != 0x1e) return null;
  // The DER length: one byte under 0x80, else 0x81..0x84 and that many bytes.
  let length = <i32>bytes[1], at = 2;
  if (length >= 0x80) {
    const k = length & 0x7f;
    if (k == 0 || k > 3 || 2 + k > n) return null;
    length = 0;
    for (let i = 0; i < k; i++) length = (length << 8) | <i32>bytes[2 + i];
    at = 2 + k;
  }
  if (at + length != n) return null;
  return decodeUtf8(bytes.dataStart + <usize>at, <usize>length);
}

/**
 * The text Java reads from a one-byte string type that BoringSSL printed as `text` (Latin-1):
 * when those bytes are well-formed UTF-8 of other text; null otherwise (ASCII alone, a
 * character past Latin-1, or bytes Java would read as U+FFFD: no name a policy writes).
 */
function utf8OfLatin1(text: string): string | null {
  const bytes = latin1(text);
  if (bytes == null) return null;
  let high = false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) high = true;
  if (!high) return null;
  const raw = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) raw[i] = <u8>bytes[i];
  const reread = decodeUtf8(raw.dataStart, <usize>raw.length);
  return reread.indexOf("\uFFFD") < 0 ? reread : null;
}

/** ASN.1 string tags. */
const IA5_STRING = 0x16;
const PRINTABLE_STRING = 0x13;
/** Not a tag: the attribute is an X.520 DirectoryString, whose string type is the CA's choice. */
const DIRECTORY_STRING = 0;

/** An attribute Java has no RFC 2253 keyword for: Java writes it "<oid>=#<DER>". */
class OidType {
  constructor(readonly oid: string, readonly tag: i32) {}
}

/**
 * By BoringSSL's short name: the OID, and the string type where the standard fixes it (PKCS #9
 * emailAddress an IA5String, X.520 serialNumber and dnQualifier PrintableStrings), so that the
 * DER Java prints is known; for a DirectoryString (UTF8String, PrintableString, T61String,
 * BMPString or UniversalString, as the CA chose) Envoy's text does not tell which.
 */
function oidType(shortName: string): OidType | null {
  if (shortName == "emailAddress") return new OidType("1.2.840.113549.1.9.1", IA5_STRING);
  if (shortName == "serialNumber") return new OidType("2.5.4.5", PRINTABLE_STRING);
  if (shortName == "dnQualifier") return new OidType("2.5.4.46", PRINTABLE_STRING);
  if (shortName == "title") return new OidType("2.5.4.12", DIRECTORY_STRING);
  if (shortName == "SN") return new OidType("2.5.4.4", DIRECTORY_STRING);
  if (shortName == "GN") return new OidType("2.5.4.42", DIRECTORY_STRING);
  if (shortName == "initials") return new OidType("2.5.4.43", DIRECTORY_STRING);
  if (shortName == "generationQualifier") return new OidType("2.5.4.44", DIRECTORY_STRING);
  if (shortName == "pseudonym") return new OidType("2.5.4.65", DIRECTORY_STRING);
  if (shortName == "name") return new OidType("2.5.4.41", DIRECTORY_STRING);
  if (shortName == "description") return new OidType("2.5.4.13", DIRECTORY_STRING);
  if (shortName == "postalCode") return new OidType("2.5.4.17", DIRECTORY_STRING);
  if (shortName == "businessCategory") return new OidType("2.5.4.15", DIRECTORY_STRING);
  if (shortName == "postOfficeBox") return new OidType("2.5.4.18", DIRECTORY_STRING);
  if (shortName == "role") return new OidType("2.5.4.72", DIRECTORY_STRING);
  if (shortName == "organizationIdentifier") return new OidType("2.5.4.97", DIRECTORY_STRING);
  return null;
}

/** Every DER a DirectoryString with this text may have, as Java writes it. */
function directoryStringForms(oid: string, value: string): Array<string> {
  const forms = new Array<string>();
  const utf8 = Uint8Array.wrap(String.UTF8.encode(value));
  const utf8Bytes = new Array<i32>();
  for (let i = 0; i < utf8.length; i++) utf8Bytes.push(utf8[i]);
  forms.push(oid + "=" + derHex(0x0c, utf8Bytes));
  const eight = latin1(value);
  if (eight != null && isPrintableString(value)) forms.push(oid + "=" + derHex(PRINTABLE_STRING, eight));
  if (eight != null) forms.push(oid + "=" + derHex(0x14, eight));
  const bmp = new Array<i32>();
  const universal = new Array<i32>();
  let surrogates = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c < 0xe000) surrogates = true;
    bmp.push(c >> 8); bmp.push(c & 0xff);
    const cp = value.codePointAt(i);
    if (cp > 0xffff) i++;
    universal.push(cp >>> 24); universal.push((cp >> 16) & 0xff); universal.push((cp >> 8) & 0xff); universal.push(cp & 0xff);
  }
  if (!surrogates) forms.push(oid + "=" + derHex(0x1e, bmp));
  forms.push(oid + "=" + derHex(0x1c, universal));
  return forms;
}

/** Why Kafka's name cannot be told: an attribute whose DER type Envoy's text does not show. */
function untold(type: string): string {
  return "Kafka names the holder by the DER encoding of the certificate's " + type + " attribute, which Envoy's text of the subject does not give";
}

/**
 * One attribute as Java may write it: one form, or for a DirectoryString each its encodings
 * allow; null where Java's form cannot be known at all (error set).
 */
function javaForms(a: Attribute, r: SubjectReader): Array<string> | null {
  const forms = new Array<string>();
  const keyword = javaKeyword(a.type);
  const first = a.type.charCodeAt(0);
  // A dotted OID is one BoringSSL has no name for; it dumps its DER, as Java does.
  const type = keyword == null && first >= 48 && first <= 57 ? new OidType(a.type, DIRECTORY_STRING) : oidType(a.type);
  if (keyword == null && type == null) { r.error = untold(a.type); return null; }
  // A value BoringSSL dumped as DER (a string type it does not print, GeneralString among
  // them): Java writes a keyword's string types as text, anything else as the same DER.
  if (a.der != null) {
    const text = keyword != null ? javaText(a.der!) : null;
    forms.push((keyword != null ? keyword : type!.oid) + "=" + (text != null ? javaEscaped(text) : "#" + a.der!));
    return forms;
  }
  if (keyword != null) {
    forms.push(keyword + "=" + javaEscaped(a.text));
    // BoringSSL reads a one-byte string type (T61String, ...) as Latin-1, Java as UTF-8: text
    // whose Latin-1 bytes are UTF-8 of other text ("josÃ©") may be a certificate Java names so ("josé").
    const reread = utf8OfLatin1(a.text);
    if (reread != null) {
      if (r.ambiguous.length == 0) r.ambiguous = a.type;
      forms.push(keyword + "=" + javaEscaped(reread));
    }
    return forms;
  }
  if (first >= 48 && first <= 57) { r.error = "attribute " + a.type + " given as text"; return null; }
  const t = type!;
  if (t.tag != DIRECTORY_STRING) {
    const bytes = latin1(a.text);
    if (bytes == null) { r.error = untold(a.type); return null; }
    forms.push(t.oid + "=" + derHex(t.tag, bytes));
    return forms;
  }
  if (r.ambiguous.length == 0) r.ambiguous = a.type;
  return directoryStringForms(t.oid, a.text);
}

/** Readings of a name past which the filter gives up (each ambiguous attribute multiplies them). */
const READINGS_LIMIT = 64;

/** Every reading of the name: one form per attribute. Null past READINGS_LIMIT. */
function readings(rdns: Array<Array<Array<string>>>): Array<string> | null {
  let count = 1;
  for (let i = 0; i < rdns.length; i++) {
    for (let j = 0; j < rdns[i].length; j++) {
      count *= rdns[i][j].length;
      if (count > READINGS_LIMIT) return null;
    }
  }
  // Each reading joined once from its forms: growing every reading attribute by attribute
  // copied each name's whole prefix again at each of its attributes (a subject of 4,000 RDNs
  // grew the VM by 512 MiB).
  const names = new Array<string>();
  for (let k = 0; k < count; k++) {
    const parts = new Array<string>();
    // Reading k takes form (k / the product of the later attributes' counts) % count of each
    // attribute: the order the attribute-by-attribute product gave.
    let rest = k, stride = count;
    for (let i = 0; i < rdns.length; i++) {
      for (let j = 0; j < rdns[i].length; j++) {
        const forms = rdns[i][j];
        stride /= forms.length;
        if (j > 0) parts.push("+");
        else if (i > 0) parts.push(",");
        parts.push(forms[rest / stride]);
        rest %= stride;
      }
    }
    names.push(join(parts));
  }
  return names;
}

/**
 * Kafka's principal for a certificate whose subject Envoy gives as `subject`
 * (connection.subject_peer_certificate), under the broker's ssl.principal.mapping.rules
 * (`rules`; null: DEFAULT). An empty subject is Kafka's "User:". Where Java's name of an
 * attribute depends on its DER type (a DirectoryString: title, givenName, ...), the principal is
 * given only if every type gives the same one (rules that take the CN, say).
 */
export function kafkaTlsPrincipal(subject: string, rules: SslPrincipalMapper | null = null): TlsPrincipal {
  const r = new SubjectReader(subject);
  const rdns = new Array<Array<Array<string>>>();
  let rdn = new Array<Array<string>>();
  while (!r.atEnd()) {
    const a = r.attribute();
    if (a == null) return new TlsPrincipal(subject, "", r.error);
    const forms = javaForms(a, r);
    if (forms == null) return new TlsPrincipal(subject, "", r.error);
    rdn.push(forms);
    const sep = r.separator();
    if (sep == 43 /* + */) continue;
    // BoringSSL lists a multi-valued RDN's attributes in reverse, Java in the certificate's order.
    rdn.reverse();
    rdns.push(rdn);
    rdn = new Array<Array<string>>();
    if (sep == 0) break;
  }
  if (rdn.length > 0) return new TlsPrincipal(subject, "", "the subject ends in a '+'");
  const names = readings(rdns);
  if (names == null) return new TlsPrincipal(subject, "", untold(r.ambiguous));
  if (rules == null) return names.length == 1 ? new TlsPrincipal(subject, "User:" + names[0]) : new TlsPrincipal(subject, "", untold(r.ambiguous));
  // The rules' name for every reading: one name (or none) for all, or the name is not known.
  // One step budget for the whole naming, however many readings and rules it takes.
  const budget = new StepBudget();
  const first = rules.name(names[0], budget);
  for (let i = 1; i < names.length; i++) {
    const other = rules.name(names[i], budget);
    if (other.name != first.name || (other.error.length > 0) != (first.error.length > 0)) {
      return new TlsPrincipal(subject, "", untold(r.ambiguous) + ", and ssl.principal.mapping.rules name its encodings differently");
    }
  }
  return named(subject, first);
}

/** The principal of a name the rules gave (or why none). */
function named(subject: string, mapped: MappedName): TlsPrincipal {
  if (mapped.error.length > 0) return new TlsPrincipal(subject, "", "ssl.principal.mapping.rules: " + mapped.error);
  return new TlsPrincipal(subject, "User:" + mapped.name);
}

// The names given per certificate subject, per set of rules (each listener's configuration has
// its own): a client reconnecting with one certificate is named once. A subject chosen to make
// the rules backtrack costs up to the step budget (about 40 ms) once per VM, not at every
// connection, and connections alternating between two listeners do not empty it. Bounded: a
// full table, or one rule set too many (reloads), starts over.
const MAX_NAMED_SUBJECTS = 1024;
const MAX_RULE_SETS = 8;
const namedByRules = new Map<SslPrincipalMapper, Map<string, TlsPrincipal>>();
const namedByDefault = new Map<string, TlsPrincipal>();

/** kafkaTlsPrincipal, remembered per subject and rules. */
export function cachedTlsPrincipal(subject: string, rules: SslPrincipalMapper | null): TlsPrincipal {
  let named = namedByDefault;
  if (rules != null) {
    if (namedByRules.has(rules)) named = namedByRules.get(rules);
    else {
      if (namedByRules.size >= MAX_RULE_SETS) namedByRules.clear();
      named = new Map<string, TlsPrincipal>();
      namedByRules.set(rules, named);
    }
  }
  if (named.has(subject)) return named.get(subject);
  const p = kafkaTlsPrincipal(subject, rules);
  if (named.size >= MAX_NAMED_SUBJECTS) named.clear();
  named.set(subject, p);
  return p;
}

/** Kafka's principal for a certificate whose name Kafka writes as `dn` (X500Principal.getName()). */
export function kafkaPrincipalOfName(dn: string, rules: SslPrincipalMapper | null): TlsPrincipal {
  return named(dn, rules != null ? rules.name(dn) : new MappedName(dn));
}
