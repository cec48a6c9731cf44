#!/usr/bin/env bash
# A development CA and a certificate for each Sekisho service, for TLS and mTLS on one machine (./sekisho up --tls and
# the integration tests). Never for production: the CA's key sits next to the certificates it signs.
#
#   scripts/dev-certs.sh [DIR]      (default: .sekisho/certs; existing files are kept)
#
# DIR/ca.crt                       the CA every service and client trusts
# DIR/<name>.crt, DIR/<name>.key   auth, ratelimit, secrets, audit, alert (server and client: a service presents the
#                                  same certificate to its peers), gateway (Envoy's client certificate for the
#                                  rate-limit and ext_authz APIs) and operator (a person's tool, e.g. grpcurl)
# Keys are EC P-256 in PKCS#8 PEM; certificates name localhost, 127.0.0.1, <name> and <name>-service (the host names
# in deploy/compose), and last 825 days.
set -euo pipefail
DIR=${1:-"$(cd "$(dirname "$0")/.." && pwd)/.sekisho/certs"}
mkdir -p "$DIR"
cd "$DIR"
command -v openssl >/dev/null || { echo "dev-certs: openssl is needed (apt-get install openssl)" >&2; exit 1; }

if [ ! -f ca.crt ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -sha256 -days 825 -subj "/O=Sekisho development/CN=Sekisho development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
  chmod 600 ca.key
fi

for name in auth ratelimit secrets audit alert gateway operator; do
  [ -f "$name.crt" ] && continue
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key" 2>/dev/null
  openssl req -new -key "$name.key" -subj "/O=Sekisho development/CN=$name" -out "$name.csr"
  cat > "$name.ext" <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,DNS:$name,DNS:$name-service,IP:127.0.0.1
EOF
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 -extfile "$name.ext" \
    -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
  chmod 600 "$name.key"
done
echo "dev-certs: CA and certificates in $DIR"
