# Shared by the maintainer scripts: agent/scripts/deb.ts pastes it over their COMMON marker line.
# Paths honour DPKG_ROOT, which dpkg sets to its --root for maintainer scripts ("" on a real host).
# shellcheck disable=SC2034 # each script uses some of these
{
  root="${DPKG_ROOT:-}"
  exe="$root/usr/lib/patchfleet/patchfleet-agent"
  state_dir="$root/var/lib/patchfleet-agent"
  conf_dir="$root/etc/patchfleet"
  env_file="$conf_dir/agent.env"
  unit=patchfleet-agent.service
}

say() { echo "patchfleet-agent: $*" >&2; }

# systemctl is called only where systemd runs (the sd_booted test: /run/systemd/system exists),
# as deb-systemd-invoke does; elsewhere (containers, chroots) the step is skipped with a message.
systemd_running() {
  command -v systemctl >/dev/null 2>&1 && [ -d "$root/run/systemd/system" ]
}

# True when this script runs inside the agent's own unit (the agent is running apt/dpkg on this
# package): restarting or stopping the unit now would kill that very dpkg run half-way.
# shellcheck disable=SC2317 # postrm does not need it
in_agent_unit() {
  grep -q '/patchfleet-agent\.service' /proc/self/cgroup 2>/dev/null
}
