#!/usr/bin/env bash
# Builds the controller image with podman and runs it until its HEALTHCHECK reports healthy: the check the tests
# cannot afford in CI (about 10 minutes from nothing: debootstrap 5, the build 3 to 4 with pnpm install from the
# registry). Run from anywhere, as root:
#   deploy/container/check-image.sh [--host-ca]
# Needs podman and runc (apt-get install podman runc debootstrap). Without a registry the base image is made by
# local-base.sh (--host-ca is passed on to it; see there). runc, not crun: on a host whose cgroups are in hybrid mode
# crun refuses to start containers ("cgroups in hybrid mode not supported"). The ulimits are set explicitly because
# podman's defaults exceed what an unprivileged sandbox may set (crun: setrlimit RLIMIT_NOFILE: Operation not permitted).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
base=localhost/patchfleet-node:20-bookworm
image=localhost/patchfleet-controller:check
port="${PORT:-18443}"
name="pf-check-$$"
run=(--runtime=runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
podman image exists "$base" || "$repo/deploy/container/local-base.sh" "$@" "$base"
time podman build --isolation chroot --network host --format docker --build-arg NODE_IMAGE="$base" \
  -f "$repo/deploy/container/Dockerfile" -t "$image" "$repo"
cleanup() { podman rm -f "$name" >/dev/null 2>&1 || true; podman volume rm -f "$name-data" >/dev/null 2>&1 || true; }
trap cleanup EXIT
podman run -d "${run[@]}" --network host -e PATCHFLEET_PORT="$port" -v "$name-data:/var/lib/patchfleet-controller" --name "$name" "$image" >/dev/null
echo "image user: $(podman inspect "$name" --format '{{.Config.User}}'), process uid: $(podman exec "$name" node -p 'process.getuid()' 2>/dev/null)"
for _ in $(seq 1 60); do
  if podman healthcheck run "$name" >/dev/null 2>&1; then
    echo "healthy: $(podman inspect "$name" --format '{{.State.Health.Status}}'); /healthz says $(curl -sk "https://127.0.0.1:$port/healthz")"
    exit 0
  fi
  sleep 2
done
podman logs "$name" | tail -20
echo "error: the controller container did not become healthy in 120 s" >&2
exit 1
