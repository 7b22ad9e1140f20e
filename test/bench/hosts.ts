/**
 * Realistic synthetic hosts for `pnpm bench:assess`: deterministic (seeded)
 * and lazy, so 10,000 hosts of 1,500 packages are made one at a time and
 * never all held in memory unless the caller asks for a list.
 *
 * Ubuntu hosts draw from real package names and versions (a Debian 12
 * machine's dpkg list, server-role packages, and the binaries of the USN
 * fixtures at versions below, at and above their fixes); Windows hosts run
 * real 2025 builds with the matching cumulative-update KBs. See
 * ubuntu-hosts.ts and windows-hosts.ts for the mix.
 */
import { createRng, deriveSeed } from './rng';
import { loadUbuntuPool, ubuntuHost, type UbuntuHost, type UbuntuPool } from './ubuntu-hosts';
import { windowsHost, type WindowsHost } from './windows-hosts';

export type { HostPackage, UbuntuHost } from './ubuntu-hosts';
export type { WindowsHost } from './windows-hosts';

export type SyntheticHost = UbuntuHost | WindowsHost;

export interface HostOptions {
  /** Same seed, same hosts. Default 1. */
  seed?: number;
  /** Share of Windows hosts, 0-1. Default 0.4. */
  windowsShare?: number;
  /** Packages per Ubuntu host, on average (each varies by +-10%). Default 1,500. */
  packagesPerHost?: number;
}

/** What hosts are drawn from; loading reads the fixtures (a few hundred ms). Share one between generators. */
export interface HostSources {
  ubuntu: UbuntuPool;
}

let defaultSources: HostSources | undefined;

/** The host sources, loaded on first use and kept for the process. */
export function loadHostSources(): HostSources {
  defaultSources ??= { ubuntu: loadUbuntuPool() };
  return defaultSources;
}

/**
 * Host number `index` of the run seeded with `options.seed`: the same host
 * whatever was generated before it, so workers can split a run by ranges.
 */
export function syntheticHost(index: number, options: HostOptions = {}, sources: HostSources = loadHostSources()): SyntheticHost {
  const rng = createRng(deriveSeed(options.seed ?? 1, index));
  if (rng.chance(options.windowsShare ?? 0.4)) return windowsHost(rng);
  return ubuntuHost(rng, sources.ubuntu, options.packagesPerHost ?? 1500);
}

/** Hosts `start` to `start + count - 1`, made one at a time as they are consumed. */
export function* generateHosts(count: number, options: HostOptions = {}, start = 0, sources: HostSources = loadHostSources()): Generator<SyntheticHost> {
  for (let i = start; i < start + count; i++) yield syntheticHost(i, options, sources);
}

/** All `count` hosts at once, for callers that need them together (mind the memory: ~1,500 packages a host). */
export function generateHostList(count: number, options: HostOptions = {}): SyntheticHost[] {
  return [...generateHosts(count, options)];
}
