#!/usr/bin/env bash
# Installs the agent's .deb from the controller and enrolls the host, in one command (Debian/Ubuntu, amd64):
#   sudo ./install-agent.sh --server https://ctl:8443 --token pfe_... --ca-fingerprint HEX --sha256 HEX [--version V]
#
# 1. Reads the controller's certificate (openssl s_client) and compares its SHA-256 with --ca-fingerprint,
#    the same fingerprint the agent pins (bootstrap.json caFingerprint: SHA-256 of the certificate's DER).
# 2. Downloads https://SERVER/downloads/patchfleet-agent_VERSION_amd64.deb with curl pinned to that
#    certificate's public key (--pinnedpubkey; -k only because the controller's certificate is usually
#    self-signed and may not name the host as typed: the pin is the trust anchor, as for the agent).
# 3. Refuses the file unless its SHA-256 is --sha256 (mandatory: a release's hash, from its manifest).
# 4. dpkg -i with PATCHFLEET_ENROLL_TOKEN/SERVER/CA_FINGERPRINT in its environment: the package's
#    postinst enrolls, removes the token, and enables and starts patchfleet-agent.service.
#
# The token may also come from PATCHFLEET_ENROLL_TOKEN (keeps it out of the shell history).
# --dpkg-root DIR installs into an isolated dpkg root instead (tests, chroots; dpkg --root, scripts chrootless).
# Exit codes: 2 usage (PF_ERR_USAGE), 3 not Debian/Ubuntu amd64 (PF_ERR_UNSUPPORTED_PLATFORM),
# 4 certificate not the pinned one (PF_ERR_TLS_PIN_MISMATCH), 5 download failed (PF_ERR_INSTALLER_DOWNLOAD),
# 6 hash mismatch (PF_ERR_INSTALLER_INTEGRITY), 7 dpkg failed (PF_ERR_INSTALLER_FAILED; the postinst prints the agent's error).
set -euo pipefail

# The agent version this script installs unless --version says otherwise (agent/src/version.ts).
default_version="0.1.0"

die() {
  local status="$1" code="$2"
  shift 2
  echo "install-agent: error $code: $*" >&2
  exit "$status"
}
usage() { die 2 PF_ERR_USAGE "$*"; }

server="" token="${PATCHFLEET_ENROLL_TOKEN:-}" fingerprint="" sha256="" version="$default_version" dpkg_root=""
while (($#)); do
  case "$1" in
    --server | --token | --ca-fingerprint | --sha256 | --version | --dpkg-root)
      (($# >= 2)) || usage "$1 needs a value"
      case "$1" in
        --server) server="$2" ;;
        --token) token="$2" ;;
        --ca-fingerprint) fingerprint="$2" ;;
        --sha256) sha256="$2" ;;
        --version) version="$2" ;;
        --dpkg-root) dpkg_root="$2" ;;
      esac
      shift 2
      ;;
    *) usage "unknown argument $1 (see the head of $0)" ;;
  esac
done

[[ -n "$server" && -n "$token" && -n "$fingerprint" && -n "$sha256" ]] || usage "--server, --token (or PATCHFLEET_ENROLL_TOKEN), --ca-fingerprint and --sha256 are required"
[[ "$server" =~ ^(https|wss)://([A-Za-z0-9.-]+)(:([0-9]{1,5}))?/?$ ]] || usage "--server must be https://HOST[:PORT], got $server"
host="${BASH_REMATCH[2]}" port="${BASH_REMATCH[4]:-443}"
[[ "$token" =~ ^pfe_[A-Za-z0-9_-]+$ ]] || usage "--token is not an enrollment token (pfe_...)"
fingerprint="$(tr -d ':' <<<"$fingerprint" | tr 'A-F' 'a-f')"
[[ "$fingerprint" =~ ^[0-9a-f]{64}$ ]] || usage "--ca-fingerprint must be 64 hex digits (bootstrap.json caFingerprint)"
sha256="$(tr 'A-F' 'a-f' <<<"$sha256")"
[[ "$sha256" =~ ^[0-9a-f]{64}$ ]] || usage "--sha256 must be 64 hex digits"
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || usage "--version $version is not a Debian version"
[[ $EUID -eq 0 ]] || usage "run as root (dpkg installs the package)"

# Debian/Ubuntu on amd64 only: the package holds an x86-64 executable and a systemd unit.
[[ "$(uname -m)" == x86_64 ]] || die 3 PF_ERR_UNSUPPORTED_PLATFORM "this host is $(uname -m); the agent package is for x86_64 (amd64) only"
command -v dpkg >/dev/null || die 3 PF_ERR_UNSUPPORTED_PLATFORM "no dpkg here: the .deb is for Debian and Ubuntu"
[[ "$(dpkg --print-architecture)" == amd64 ]] || die 3 PF_ERR_UNSUPPORTED_PLATFORM "dpkg architecture is $(dpkg --print-architecture), not amd64"
# shellcheck source=/dev/null
os_ids="$(. /etc/os-release 2>/dev/null && echo "${ID:-} ${ID_LIKE:-}")" || os_ids=""
[[ " $os_ids " =~ \ (debian|ubuntu)\  ]] || die 3 PF_ERR_UNSUPPORTED_PLATFORM "this is not Debian or Ubuntu (/etc/os-release: ${os_ids:-none})"
for tool in curl openssl sha256sum; do
  command -v "$tool" >/dev/null || usage "$tool is needed (apt-get install $tool)"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The certificate the controller presents, compared with the pin.
openssl s_client -connect "$host:$port" -servername "$host" </dev/null >"$work/s_client.out" 2>"$work/s_client.err" || true
openssl x509 -in "$work/s_client.out" -outform DER -out "$work/cert.der" 2>/dev/null ||
  die 5 PF_ERR_INSTALLER_DOWNLOAD "no TLS certificate from $host:$port: $(tail -n 1 "$work/s_client.err")"
seen="$(sha256sum "$work/cert.der" | cut -d' ' -f1)"
[[ "$seen" == "$fingerprint" ]] || die 4 PF_ERR_TLS_PIN_MISMATCH "the certificate of $host:$port has fingerprint $seen, not the pinned $fingerprint"
# curl's pin for the download: the SHA-256 of that certificate's public key (base64), checked on its own connection.
spki="$(openssl x509 -inform DER -in "$work/cert.der" -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64)"

# 2. The package.
name="patchfleet-agent_${version}_amd64.deb"
url="https://$host:$port/downloads/$name"
status="$(curl --silent --show-error --proto '=https' -k --pinnedpubkey "sha256//$spki" --connect-timeout 20 --max-time 600 \
  --output "$work/$name" --write-out '%{http_code}' "$url" 2>"$work/curl.err")" || status="curl: $(cat "$work/curl.err")"
[[ "$status" == 200 ]] || die 5 PF_ERR_INSTALLER_DOWNLOAD "GET $url answered $status"

# 3. Its hash.
got="$(sha256sum "$work/$name" | cut -d' ' -f1)"
if [[ "$got" != "$sha256" ]]; then
  # A controller without the /downloads route answers 200 with its dashboard page: say so.
  hint=""
  [[ "$(head -c 21 "$work/$name")" == $'!<arch>\ndebian-binary' ]] || hint=" (the answer is not a Debian package: does this controller serve /downloads?)"
  die 6 PF_ERR_INSTALLER_INTEGRITY "$name has SHA-256 $got, not the expected $sha256$hint; nothing was installed"
fi

# 4. Install; the postinst enrolls with the token from the environment (never a command line).
dpkg_args=()
[[ -z "$dpkg_root" ]] || dpkg_args=(--root="$dpkg_root" --force-script-chrootless)
PATCHFLEET_ENROLL_TOKEN="$token" PATCHFLEET_SERVER="https://$host:$port" PATCHFLEET_CA_FINGERPRINT="$fingerprint" \
  dpkg "${dpkg_args[@]}" -i "$work/$name" || die 7 PF_ERR_INSTALLER_FAILED "dpkg -i $name failed (see above); the package may be half-configured: fix and run dpkg --configure patchfleet-agent"
echo "install-agent: patchfleet-agent $version installed"
