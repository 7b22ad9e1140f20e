#!/usr/bin/env bash
# Installs the agent on a Linux host and enrolls it, in one command:
#   sudo ./install-agent.sh --server wss://controller:8443 --token pfe_... --ca-fingerprint <hex> [--bundle patchfleet-agent.mjs]
# Needs Node.js >= 20 on the host (the single-executable build removes that need; see README).
set -euo pipefail
server="" token="${PATCHFLEET_ENROLL_TOKEN:-}" fingerprint="" bundle="$(dirname "$0")/../../agent/dist/patchfleet-agent.mjs"
while (($#)); do
  case "$1" in
    --server) server="$2"; shift 2 ;;
    --token) token="$2"; shift 2 ;;
    --ca-fingerprint) fingerprint="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    *) echo "error PF_ERR_USAGE: unknown flag $1" >&2; exit 2 ;;
  esac
done
[[ -n "$server" && -n "$token" && -n "$fingerprint" ]] || { echo "error PF_ERR_USAGE: --server, --token and --ca-fingerprint are required" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "error PF_ERR_USAGE: run as root (the agent installs packages)" >&2; exit 2; }
[[ -f "$bundle" ]] || { echo "error PF_ERR_USAGE: agent bundle $bundle not found (pnpm build makes it)" >&2; exit 2; }
install -d -m 0755 /opt/patchfleet
install -m 0755 "$bundle" /opt/patchfleet/patchfleet-agent.mjs
install -d -m 0700 /var/lib/patchfleet-agent
PATCHFLEET_ENROLL_TOKEN="$token" node /opt/patchfleet/patchfleet-agent.mjs enroll --server "$server" --ca-fingerprint "$fingerprint" --state-dir /var/lib/patchfleet-agent
install -m 0644 "$(dirname "$0")/../systemd/patchfleet-agent.service" /etc/systemd/system/patchfleet-agent.service
systemctl daemon-reload
systemctl enable --now patchfleet-agent.service
echo "patchfleet agent installed and running"
