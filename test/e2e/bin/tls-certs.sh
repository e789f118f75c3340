#!/usr/bin/env bash
# Test certificates for Envoy's TLS listener (127.0.0.1:19094), made at run time, never committed.
#   tls-certs.sh DIR    writes into DIR (replacing what is there):
#     ca.crt ca.key              a self-signed test CA (the only one Envoy trusts for clients); its
#                                key stays, for tests that issue certificates with other subjects
#                                (test/e2e/tls-principal.test.ts)
#     server.crt server.key      Envoy's certificate, for 127.0.0.1 and localhost
#     carol.crt carol.key        client "CN=carol,OU=e2e"   (ACLs in test/e2e/policy.json)
#     mallory.crt mallory.key    client "CN=mallory,OU=e2e" (no ACLs)
# Keys are unencrypted ECDSA P-256 in PKCS#8 PEM; certificates last 10 years.
# The subjects are written OU first, CN last, so that their RFC 2253 form (last RDN first: what
# Envoy's connection.subject_peer_certificate and Kafka's X500Principal.getName() print) reads
# "CN=carol,OU=e2e".
set -euo pipefail

DIR=${1:?usage: tls-certs.sh DIR}
command -v openssl >/dev/null || { echo "tls-certs.sh: openssl is missing (make tools)" >&2; exit 1; }
mkdir -p "$(dirname "$DIR")"
TMP=$(mktemp -d "$DIR.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/$1.key" 2>/dev/null; }

# sign NAME SUBJECT EXTENSIONS: a certificate for NAME.key issued by the CA
sign() {
  key "$1"
  openssl req -new -key "$TMP/$1.key" -subj "$2" -out "$TMP/$1.csr"
  printf '%s\n' "$3" >"$TMP/$1.ext"
  openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$TMP/$1.ext" -out "$TMP/$1.crt" 2>/dev/null
}

key ca
openssl req -x509 -new -key "$TMP/ca.key" -subj "/O=kafka-wasm-filter/CN=e2e test CA" -days 3650 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$TMP/ca.crt"

LEAF="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature"
sign server "/O=kafka-wasm-filter/CN=localhost" "$LEAF
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
for who in carol mallory; do
  sign "$who" "/OU=e2e/CN=$who" "$LEAF
extendedKeyUsage=clientAuth"
done

rm -f "$TMP"/*.csr "$TMP"/*.ext "$TMP"/*.srl
chmod 644 "$TMP"/*.crt && chmod 600 "$TMP"/*.key
rm -rf "$DIR" && mv "$TMP" "$DIR"
trap - EXIT
echo "tls-certs.sh: test CA, server and client certificates (carol, mallory) in $DIR" >&2
