#!/usr/bin/env bash
# Installs the controller on a Linux host under systemd, from this repository:
#   pnpm install --frozen-lockfile && pnpm build
#   sudo deploy/install/install-controller.sh [--tree DIR] [--root DIR] [--no-start]
# Lays out:
#   /opt/patchfleet/controller           the controller's `pnpm deploy --prod` tree: dist/patchfleet-controller.mjs
#                                        (the bundle) and node_modules (its runtime dependencies, the dashboard's build)
#   /etc/systemd/system/patchfleet-controller.service
#   /etc/patchfleet/controller.env       DATABASE_URL, PATCHFLEET_* settings (kept if present; 0640 root:patchfleet)
#   /var/lib/patchfleet-controller       the data directory (systemd's StateDirectory makes it)
# --tree DIR installs a tree made beforehand (on a build machine) instead of making one here.
# --root DIR installs under DIR instead of / and touches neither users nor systemd (for staging and tests).
# Needs Node.js 20 at /usr/bin/node on the host.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tree="" root="" start=1
while (($#)); do
  case "$1" in
    --tree) tree="$2"; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    --no-start) start=0; shift ;;
    *) echo "error PF_ERR_USAGE: unknown flag $1" >&2; exit 2 ;;
  esac
done
[[ -n "$root" || $EUID -eq 0 ]] || { echo "error PF_ERR_USAGE: run as root (or stage with --root DIR)" >&2; exit 2; }
if [[ -z "$tree" ]]; then
  [[ -f "$repo/controller/dist/patchfleet-controller.mjs" ]] || { echo "error PF_ERR_USAGE: controller/dist/patchfleet-controller.mjs not found (pnpm build makes it)" >&2; exit 2; }
  tree="$(mktemp -d)/controller"
  # Injected workspace packages: the dashboard's dist/ is copied into node_modules, not linked back to this checkout.
  (cd "$repo" && pnpm --config.inject-workspace-packages=true --filter @patchfleet/controller deploy --prod --offline "$tree" >/dev/null)
  rm -rf "$tree/src" "$tree/scripts" "$tree/drizzle.config.ts" "$tree/dist/meta.json"
fi
[[ -f "$tree/dist/patchfleet-controller.mjs" && -d "$tree/node_modules" ]] || { echo "error PF_ERR_USAGE: $tree is not a controller tree (dist/patchfleet-controller.mjs, node_modules)" >&2; exit 2; }
dest="$root/opt/patchfleet/controller"
rm -rf "$dest.new"
install -d -m 0755 "$(dirname "$dest")"
cp -a "$tree" "$dest.new"
rm -rf "$dest.old"
if [[ -e "$dest" ]]; then mv "$dest" "$dest.old"; fi
mv "$dest.new" "$dest"
rm -rf "$dest.old"
install -D -m 0644 "$repo/deploy/systemd/patchfleet-controller.service" "$root/etc/systemd/system/patchfleet-controller.service"
install -d -m 0755 "$root/etc/patchfleet"
if [[ ! -f "$root/etc/patchfleet/controller.env" ]]; then
  install -m 0640 /dev/null "$root/etc/patchfleet/controller.env"
  printf '%s\n' '# DATABASE_URL=postgres://patchfleet:PASSWORD@127.0.0.1:5432/patchfleet' '# PATCHFLEET_PUBLIC_URL=https://controller.example.org:8443' >"$root/etc/patchfleet/controller.env"
fi
if [[ -n "$root" ]]; then echo "controller staged under $root"; exit 0; fi
getent group patchfleet >/dev/null || groupadd --system patchfleet
getent passwd patchfleet >/dev/null || useradd --system --gid patchfleet --home-dir /var/lib/patchfleet-controller --no-create-home --shell /usr/sbin/nologin patchfleet
chgrp patchfleet /etc/patchfleet/controller.env
systemctl daemon-reload
if ((start)); then
  systemctl enable --now patchfleet-controller.service
  systemctl restart patchfleet-controller.service
  echo "patchfleet controller installed and running; bootstrap: /var/lib/patchfleet-controller/bootstrap.json"
else
  echo "patchfleet controller installed; start it with: systemctl enable --now patchfleet-controller"
fi
