#!/usr/bin/env bash
# Makes a development certificate authority and certificates for mutual TLS between the gateway and the subgraphs,
# and for TLS on the gateway's own listener. Development only: production certificates come from your PKI.
# Usage: npm run dev-certs [-- <folder>]   (default .atrium/certs)
set -euo pipefail
out=${1:-"$(dirname "$0")/../.atrium/certs"}
mkdir -p "$out" && cd "$out"
umask 077

# Names a service may be reached by: loopback for npm start, service names for docker compose.
san="DNS:localhost,IP:127.0.0.1,IP:::1,DNS:gateway,DNS:customers,DNS:orders,DNS:preferences,DNS:support-tickets"

openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=Atrium development CA" \
  -keyout ca.key -out ca.crt -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

issue() { # name, extended key usage
  openssl req -newkey rsa:2048 -nodes -subj "/CN=atrium-$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -out "$1.crt" \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$san" "$2") 2>/dev/null
  rm "$1.csr"
}
issue gateway serverAuth,clientAuth   # client certificate towards subgraphs, server certificate for TLS_CERT
issue subgraph serverAuth             # shared by the four subgraphs
rm -f ca.srl
echo "certificates written to $(pwd): ca.crt, gateway.crt/.key, subgraph.crt/.key" >&2
