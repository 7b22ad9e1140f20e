/**
 * The health sampler: every interval it closes the window [last end, now),
 * asks the platform collector and the probes about it, and queues one
 * sample in the health outbox, then asks for delivery.
 *
 * The window end is kept in `<state>/health-state.json` (and in the newest
 * queued sample), so after a restart the next window starts where the last
 * one stopped: no stretch of time is counted twice or skipped. A window
 * longer than MAX_WINDOW_MS (the agent was stopped for days) is cut to its
 * most recent MAX_WINDOW_MS, one sample, logged: journald and /var/crash
 * still hold that day, older ones are not looked at.
 *
 * Time comes from the injected Clock only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEALTH_INTERVAL, HEALTH_SOURCES, toStorable, writeFileAtomic, type Clock, type HealthSample, type HealthSource, type ProbeConfig, type TimerHandle } from '@patchfleet/shared';
import { newestFirst } from './collector.linux';
import type { HealthConfig, HealthConfigStore, SignedHealthConfig } from './health-config';
import { healthOutboxBound, type HealthOutbox } from './health-outbox';
import { runProbes as runProbesDefault, type ProbeRunResult } from './probes';
import type { HealthCollector } from './types';

/** The longest window one sample covers (see the file comment). */
export const MAX_WINDOW_MS = 24 * 3_600_000;

export interface SamplerLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface SamplerOptions {
  stateDir: string;
  outbox: HealthOutbox;
  configStore: HealthConfigStore;
  clock: Clock;
  log: SamplerLog;
  collect: HealthCollector;
  /** The sources the collector reads: all reported unavailable if it throws. */
  sources: readonly HealthSource[];
  /** Boot id and uptime of the running system. */
  boot: () => Promise<{ bootId: string; uptimeSec: number }>;
  /** Interval until the controller's config arrives (default HEALTH_INTERVAL.defaultSec). */
  defaultIntervalSec?: number;
  /** A sample was queued: deliver it when the link can. */
  onSample?: () => void;
  runProbes?: (probes: readonly ProbeConfig[], clock: Clock) => Promise<ProbeRunResult>;
}

interface SamplerState {
  windowEnd: number;
}

export class HealthSampler {
  private readonly statePath: string;
  private config: HealthConfig;
  private timer: TimerHandle | undefined;
  private running: Promise<HealthSample | undefined> | undefined;
  private stopped = true;
  private windowEnd: number | undefined;

  constructor(private readonly opts: SamplerOptions) {
    this.statePath = join(opts.stateDir, 'health-state.json');
    const { config, problem } = opts.configStore.load();
    if (problem) opts.log.warn({ problem }, 'stored health config ignored');
    this.config = config ?? { intervalSec: opts.defaultIntervalSec ?? HEALTH_INTERVAL.defaultSec, probes: [] };
    opts.outbox.setBound(healthOutboxBound(this.config.intervalSec));
  }

  /** Sample interval in force, seconds. */
  intervalSec(): number {
    return this.config.intervalSec;
  }

  /** Probes in force. */
  probes(): readonly ProbeConfig[] {
    return this.config.probes;
  }

  /** Starts sampling: the first window continues from the stored end (or starts now). */
  start(): void {
    this.stopped = false;
    if (this.windowEnd === undefined) {
      this.windowEnd = this.storedWindowEnd() ?? this.opts.clock.now();
      this.persistWindowEnd(this.windowEnd);
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /**
   * A new config from the controller: stored (so probes run offline and
   * after a restart), the interval applied from the current window's start.
   * Throws when it does not validate (nothing changes then).
   */
  applyConfig(config: SignedHealthConfig): void {
    const saved = this.opts.configStore.accept(config);
    const changed = saved.intervalSec !== this.config.intervalSec;
    this.config = saved;
    this.opts.outbox.setBound(healthOutboxBound(saved.intervalSec));
    this.opts.log.info({ intervalSec: saved.intervalSec, probes: saved.probes.length }, 'health config applied');
    if (changed && !this.stopped && !this.running) this.schedule();
  }

  /** Closes the window now and queues its sample (also what the timer calls). One at a time. */
  sampleNow(): Promise<HealthSample | undefined> {
    this.running ??= this.closeWindow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Next sample at the window's start plus the interval (no drift); after a failure, no sooner than an interval from now. */
  private schedule(afterFailure = false): void {
    this.timer?.cancel();
    if (this.stopped) return;
    const intervalMs = this.config.intervalSec * 1000;
    const end = this.windowEnd ?? this.opts.clock.now();
    const delay = afterFailure ? intervalMs : Math.max(0, end + intervalMs - this.opts.clock.now());
    this.timer = this.opts.clock.after(delay, () => {
      this.timer = undefined;
      this.sampleNow().then(
        () => this.schedule(),
        (err: unknown) => {
          this.opts.log.error({ err: (err as Error).message }, 'health sample failed; the next one covers this window too');
          this.schedule(true);
        },
      );
    });
  }

  private async closeWindow(): Promise<HealthSample | undefined> {
    const { clock, log } = this.opts;
    const to = clock.now();
    let from = this.windowEnd ?? this.storedWindowEnd() ?? to;
    if (to <= from) {
      if (to < from) log.warn({ windowEnd: from, now: to }, 'clock went back: health window restarts now');
      this.windowEnd = to;
      this.persistWindowEnd(to);
      return undefined;
    }
    if (to - from > MAX_WINDOW_MS) {
      log.warn({ from, to, keptMs: MAX_WINDOW_MS }, 'health window longer than a day (agent stopped?): only its last day is sampled');
      from = to - MAX_WINDOW_MS;
    }
    const window = { from, to };
    const runProbes = this.opts.runProbes ?? runProbesDefault;
    const [collected, probed, boot] = await Promise.all([
      this.opts.collect(window).catch((err: unknown) => {
        log.error({ err: (err as Error).message }, 'health collector failed: its sources are unavailable for this window');
        return { counters: {}, unavailable: [...this.opts.sources], events: [] };
      }),
      runProbes(this.config.probes, clock),
      this.opts.boot(),
    ]);
    const unavailable = HEALTH_SOURCES.filter((s) => collected.unavailable.includes(s));
    const sample = this.opts.outbox.enqueue(
      toStorable({
        periodStart: from,
        periodEnd: to,
        bootId: boot.bootId,
        uptimeSec: Math.max(0, Math.floor(boot.uptimeSec)),
        counters: { ...collected.counters, probeRuns: probed.probeRuns, probeFailures: probed.probeFailures },
        unavailable,
        events: newestFirst([...collected.events, ...probed.events]),
      }),
    );
    this.windowEnd = to;
    this.persistWindowEnd(to);
    log.info({ seq: sample.seq, periodStart: from, periodEnd: to, counters: sample.counters, unavailable }, 'health sample queued');
    this.opts.onSample?.();
    return sample;
  }

  /** The stored window end, or the newest queued sample's end if later (a crash between the two writes). */
  private storedWindowEnd(): number | undefined {
    let end: number | undefined;
    if (existsSync(this.statePath)) {
      try {
        const state = JSON.parse(readFileSync(this.statePath, 'utf8')) as Partial<SamplerState>;
        if (Number.isSafeInteger(state.windowEnd) && (state.windowEnd as number) >= 0) end = state.windowEnd;
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'health state damaged: the next window starts now');
      }
    }
    const newest = this.opts.outbox.newestPeriodEnd();
    if (newest !== undefined && (end === undefined || newest > end)) end = newest;
    return end;
  }

  private persistWindowEnd(windowEnd: number): void {
    writeFileAtomic(this.statePath, `${JSON.stringify({ windowEnd } satisfies SamplerState)}\n`, 0o600);
  }
}
