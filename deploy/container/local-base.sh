#!/usr/bin/env bash
# Makes a Node.js 20 base image without a container registry: a Debian bookworm root file system from
# Debian's archive (debootstrap) plus this machine's node, npm and corepack, laid out as the official
# node image lays them out (/usr/local/bin, /usr/local/lib/node_modules).
#   sudo deploy/container/local-base.sh [--host-ca] [TAG]        (default localhost/patchfleet-node:20-bookworm)
# --host-ca: the image trusts this machine's CA bundle (/etc/ssl/certs/ca-certificates.crt) too, and node reads it
# (NODE_EXTRA_CA_CERTS): for a machine that reaches the npm registry through a TLS-intercepting proxy, where the
# build stage's npm/pnpm would otherwise fail with SELF_SIGNED_CERT_IN_CHAIN. Such an image is for local builds only.
# Then: podman build --format docker --build-arg NODE_IMAGE=localhost/patchfleet-node:20-bookworm -f deploy/container/Dockerfile -t patchfleet-controller .
set -euo pipefail
host_ca=0
if [[ "${1:-}" == --host-ca ]]; then host_ca=1; shift; fi
tag="${1:-localhost/patchfleet-node:20-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
[[ $EUID -eq 0 ]] || { echo "error PF_ERR_USAGE: run as root (debootstrap)" >&2; exit 2; }
node_bin="$(readlink -f "$(command -v node)")"
node_modules="$(dirname "$(readlink -f "$(command -v npm)")")/../.."
[[ "$(node -p 'process.versions.node.split(".")[0]')" == 20 ]] || { echo "error PF_ERR_USAGE: this machine's node is not Node.js 20" >&2; exit 2; }
rootfs="${ROOTFS:-$(mktemp -d)/rootfs}"
if [[ ! -x "$rootfs/usr/bin/apt-get" ]]; then
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror"
fi
install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
for pkg in npm corepack; do
  rm -rf "$rootfs/usr/local/lib/node_modules/$pkg"
  cp -a "$node_modules/$pkg" "$rootfs/usr/local/lib/node_modules/$pkg"
done
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
ln -sf ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
changes=(--change 'CMD ["node"]')
if ((host_ca)); then
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/usr/local/share/patchfleet/host-ca.crt"
  changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/patchfleet/host-ca.crt')
fi
tar -C "$rootfs" -c . | podman import "${changes[@]}" - "$tag"
echo "base image $tag"
