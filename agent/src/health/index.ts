/**
 * The health collector of this platform, and the sources it covers (named
 * in `unavailable` when the collector itself fails).
 */
import { uptime } from 'node:os';
import type { Clock } from '@patchfleet/shared';
import type { HealthSource } from '@patchfleet/shared/protocol';
import { collectBoot } from '../collect/boot.linux';
import { collectWindowsHealth } from '../collect/windows/health';
import { linuxHealthCollector } from './collector.linux';
import { HealthDelivery } from './delivery';
import { HealthConfigStore, type HealthConfigTrust } from './health-config';
import { HealthOutbox } from './health-outbox';
import { HealthSampler, type SamplerLog } from './sampler';
import type { HealthCollector } from './types';

export interface PlatformHealth {
  collect: HealthCollector;
  /** Every source the collector reads: all of them are unavailable when it throws. */
  sources: HealthSource[];
}

export interface HealthCollectorOptions {
  now: () => number;
  warn: (message: string) => void;
}

/** A collector that can read nothing on this platform: every counter absent, its sources named. */
function nothingReadable(sources: HealthSource[]): HealthCollector {
  return () => Promise.resolve({ counters: {}, unavailable: [...sources], events: [] });
}

/** The collector for `platform`: Linux journald/units/var-crash, Windows the event log (agent/src/collect/windows/health.ts). */
export function healthCollectorFor(platform: NodeJS.Platform, opts: HealthCollectorOptions): PlatformHealth {
  if (platform === 'linux') {
    const boot = () => collectBoot(opts.now, opts.warn);
    return {
      collect: linuxHealthCollector({ bootTime: async () => (await boot()).bootTime, bootId: async () => (await boot()).bootId, warn: opts.warn }),
      sources: ['journald', 'units', 'var-crash'],
    };
  }
  if (platform === 'win32') return { collect: collectWindowsHealth({ onWarning: (message, err) => opts.warn(err ? `${message}: ${(err as Error).message ?? String(err)}` : message) }), sources: ['eventlog'] };
  return { collect: nothingReadable(['journald', 'units', 'var-crash']), sources: ['journald', 'units', 'var-crash'] };
}

/** What the agent's main wires: the sampler (timer) and the delivery (the link's health port). */
export interface AgentHealth {
  sampler: HealthSampler;
  delivery: HealthDelivery;
  outbox: HealthOutbox;
}

export interface AgentHealthOptions {
  stateDir: string;
  clock: Clock;
  log: SamplerLog;
  platform: NodeJS.Platform;
  /** Interval until the controller's healthConfig arrives (a stored one wins). */
  defaultIntervalSec: number;
  /** This agent's id and the command key pinned at enrollment: a healthConfig must be signed with it for this agent. */
  trust: HealthConfigTrust;
  /** Boot id and uptime; default: /proc on Linux, '' and os.uptime() elsewhere. */
  boot?: () => Promise<{ bootId: string; uptimeSec: number }>;
}

/** Builds the health parts of a running agent: collector by platform, outbox, stored config, sampler and delivery. */
export function createAgentHealth(opts: AgentHealthOptions): AgentHealth {
  const warn = (message: string) => opts.log.warn({}, message);
  const outbox = new HealthOutbox(opts.stateDir, { warn: (fields, message) => opts.log.warn(fields, message) });
  const platform = healthCollectorFor(opts.platform, { now: () => opts.clock.now(), warn });
  const boot =
    opts.boot ??
    (opts.platform === 'linux'
      ? async () => {
          const b = await collectBoot(() => opts.clock.now(), warn);
          return { bootId: b.bootId, uptimeSec: b.uptimeSec };
        }
      : () => Promise.resolve({ bootId: '', uptimeSec: Math.floor(uptime()) }));
  const delivery: HealthDelivery = new HealthDelivery({ outbox, clock: opts.clock, log: opts.log, applyConfig: (config) => sampler.applyConfig(config) });
  const sampler: HealthSampler = new HealthSampler({
    stateDir: opts.stateDir,
    outbox,
    configStore: new HealthConfigStore(opts.stateDir, opts.clock, opts.trust),
    clock: opts.clock,
    log: opts.log,
    collect: platform.collect,
    sources: platform.sources,
    boot,
    defaultIntervalSec: opts.defaultIntervalSec,
    onSample: () => delivery.flush(),
  });
  return { sampler, delivery, outbox };
}
