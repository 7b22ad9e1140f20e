#!/usr/bin/env bash
# Makes the controller's secrets for the compose file and the Kubernetes overlay, into DIR (never committed):
#   deploy/make-secrets.sh DIR [HOSTNAME]
#   tls.crt, tls.key        the controller's TLS certificate and key (self-signed, EC P-256, 10 years, SAN HOSTNAME);
#                           use your own CA's instead if you have one (agents pin the certificate's SHA-256 either way)
#   command-key.json        the Ed25519 command-signing key, in the controller's format ({ publicKey, secretKey }, base64)
#   postgres-password       a random password for the PostgreSQL role patchfleet
#   database-url            postgres://patchfleet:<password>@postgres:5432/patchfleet (host "postgres": the compose service
#                           and the Kubernetes Service name; edit it for another server)
# Existing files are kept: running it again never replaces a key that agents already pin.
# Needs openssl and node.
set -euo pipefail
dir="${1:?usage: make-secrets.sh DIR [HOSTNAME]}"
host="${2:-patchfleet-controller}"
mkdir -p "$dir"
# The folder keeps them private on this host; the files themselves are readable, because compose bind-mounts each one
# into containers running as other users (the controller as uid 10001, PostgreSQL as 999).
chmod 0700 "$dir"
if [[ ! -f "$dir/tls.crt" || ! -f "$dir/tls.key" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -sha256 \
    -subj "/CN=patchfleet-controller $host" -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
fi
if [[ ! -f "$dir/command-key.json" ]]; then
  node -e "const k=require('node:crypto').generateKeyPairSync('ed25519').privateKey.export({format:'jwk'});const b=(s)=>Buffer.from(s,'base64url').toString('base64');process.stdout.write(JSON.stringify({publicKey:b(k.x),secretKey:b(k.d)}))" > "$dir/command-key.json"
fi
if [[ ! -f "$dir/postgres-password" ]]; then
  node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))" > "$dir/postgres-password"
fi
if [[ ! -f "$dir/database-url" ]]; then
  printf 'postgres://patchfleet:%s@postgres:5432/patchfleet' "$(cat "$dir/postgres-password")" > "$dir/database-url"
fi
chmod 0644 "$dir/tls.crt" "$dir/tls.key" "$dir/command-key.json" "$dir/postgres-password" "$dir/database-url"
echo "secrets in $dir: tls.crt tls.key command-key.json postgres-password database-url"
echo "CA fingerprint (agents pin it): $(openssl x509 -in "$dir/tls.crt" -outform DER | sha256sum | cut -d' ' -f1)"
