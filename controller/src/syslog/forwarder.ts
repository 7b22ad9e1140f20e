/**
 * Audit export to a SIEM: follows the audit log (audit/follow.ts) from a
 * cursor kept in the database and sends each entry as an RFC 5424 message
 * (format.ts) over TCP or TLS with octet-counting framing. One replica
 * forwards at a time (the job lock); a batch is read, sent, and once the
 * connection has stayed up a moment after it (settleMs) its cursor is saved,
 * so a restart resumes after the last batch the receiver took. A connection
 * that fails is opened again after an exponential backoff with jitter (1 s
 * doubling to 1 min).
 *
 * What it cannot promise: a batch written whose cursor was not saved (the
 * process died in between, or the connection broke right after) is sent
 * again: entries carry their audit id (auditId in the structured data) for
 * the receiver to drop repeats. Bytes a receiver's kernel took before the
 * receiver itself died later are lost with it: TCP syslog has no
 * acknowledgements.
 */
import { hostname } from 'node:os';
import { sleep, type Clock, type TimerHandle } from '@patchfleet/shared';
import { auditEntriesAfter } from '../audit/follow';
import type { Db } from '../db/index';
import { JobLocks, runScheduledJob } from '../jobs/leader';
import type { Logger } from '../logger';
import { SyslogConnection } from './connection';
import { AUDIT_STREAM, readCursor, saveCursor } from './cursor';
import { formatSyslog, octetFrame, type FormatOptions } from './format';
import type { SyslogTarget } from './target';

export interface ForwarderSettings {
  target: SyslogTarget;
  /** PEM of the CA that signed the receiver's certificate (TLS); system CAs otherwise. */
  ca?: string | undefined;
  facility: number;
  format: FormatOptions['format'];
  /** HOSTNAME of the messages; default this machine's name. */
  hostname?: string | undefined;
}

export interface ForwarderOptions {
  /** Between rounds that found less than a full batch. */
  pollMs: number;
  batch: number;
  /** Connect and write timeout. */
  timeoutMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /**
   * How long after a batch is written the connection must stay up before the
   * cursor moves past it: a receiver that had already gone answers the
   * write with a reset within a round trip, and the batch is sent again
   * instead of lost.
   */
  settleMs: number;
  random: () => number;
}

export const DEFAULT_FORWARDER: ForwarderOptions = { pollMs: 2000, batch: 500, timeoutMs: 10_000, minBackoffMs: 1000, maxBackoffMs: 60_000, settleMs: 250, random: Math.random };

export class SyslogForwarder {
  private readonly opts: ForwarderOptions;
  private readonly connection: SyslogConnection;
  private readonly format: FormatOptions;
  private timer: TimerHandle | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = true;
  private failures = 0;

  /** `clock`: wall time (the receiver is a real network peer). */
  constructor(
    private readonly deps: { db: Db; dbKind: 'pglite' | 'postgres'; clock: Clock; log: Logger; controllerId: string },
    private readonly settings: ForwarderSettings,
    opts: Partial<ForwarderOptions> = {},
  ) {
    this.opts = { ...DEFAULT_FORWARDER, ...opts };
    this.connection = new SyslogConnection(settings.target, { ca: settings.ca, timeoutMs: this.opts.timeoutMs });
    this.format = { facility: settings.facility, hostname: settings.hostname ?? hostname(), procId: deps.controllerId, format: settings.format };
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
    this.connection.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.after(ms, () => {
      this.running = this.forwardOnce()
        .then((n) => {
          if (this.failures > 0) this.deps.log.info({ target: this.where(), failures: this.failures }, 'syslog forwarding resumed');
          this.failures = 0;
          this.schedule(n >= this.opts.batch ? 0 : this.opts.pollMs);
        })
        .catch((err: unknown) => {
          this.connection.close();
          this.failures += 1;
          const delay = this.backoffMs(this.failures);
          this.deps.log.warn({ err, target: this.where(), failures: this.failures, retryInMs: delay }, 'syslog forwarding failed; reconnecting after a backoff');
          this.schedule(delay);
        });
    });
  }

  private where(): string {
    return `${this.settings.target.transport}://${this.settings.target.host}:${this.settings.target.port}`;
  }

  /** min * 2^(n-1), capped; between half and all of it (jitter). */
  private backoffMs(failures: number): number {
    const full = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** (failures - 1));
    return Math.round(full / 2 + (full / 2) * this.opts.random());
  }

  /**
   * One round as the leader (the job lock; no transaction is held while the
   * receiver is written to): the next batch after the saved cursor is sent,
   * the connection must survive `settleMs`, then the cursor moves past the
   * batch. Returns how many entries went (0: nothing new, or another replica
   * leads); throws when the receiver cannot be reached or does not take them.
   */
  async forwardOnce(): Promise<number> {
    const out = await runScheduledJob(this.deps.db, this.deps.dbKind, JobLocks.syslogForward, async () => {
      const batch = await auditEntriesAfter(this.deps.db, await readCursor(this.deps.db, AUDIT_STREAM), this.opts.batch);
      const last = batch.at(-1);
      if (!last) return 0;
      if (!this.connection.usable) await this.connection.open();
      await this.connection.send(batch.map((b) => octetFrame(formatSyslog(b.entry, this.format))));
      await sleep(this.deps.clock, this.opts.settleMs);
      if (!this.connection.usable) throw new Error(`syslog connection to ${this.where()} broke right after a batch was written; it is sent again`);
      await this.deps.db.transaction((tx) => saveCursor(tx, AUDIT_STREAM, last.cursor, new Date(this.deps.clock.now())));
      return batch.length;
    });
    return out.ran ? out.value : 0;
  }
}
