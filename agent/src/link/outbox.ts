/**
 * The durable outbox. Every report gets the next sequence number and is
 * written to disk (fsync + rename) before any attempt to send it; it is
 * deleted only when the controller acknowledges it. A host that is offline
 * for a day, or an agent killed mid-send, loses nothing.
 *
 * Alongside the queue, `projected.json` holds the package set the controller
 * will have once every queued report is applied: new reports are deltas
 * against it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, type HostFacts, type Package, type PackageKey } from '@patchfleet/shared';
import { Errors, PfError } from '@patchfleet/shared/errors';

export interface OutboxReport {
  seq: number;
  kind: 'full' | 'delta';
  baseSeq?: number;
  collectedAt: number;
  host: HostFacts;
  packages: Package[];
  removed: PackageKey[];
}

interface Projected {
  seq: number;
  packages: Package[];
}

const FILE_RE = /^(\d{12})\.json$/;

export class Outbox {
  private readonly dir: string;
  private readonly projectedPath: string;
  private readonly seqPath: string;
  private readonly epochPath: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'outbox');
    this.projectedPath = join(stateDir, 'projected.json');
    this.seqPath = join(stateDir, 'seq');
    this.epochPath = join(stateDir, 'outbox-epoch');
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new PfError(Errors.STATE_DIR, `cannot create outbox ${this.dir}: ${(err as Error).message}`);
    }
  }

  /**
   * The random id of this outbox's numbering, made on first use. A state
   * directory without it (new, or holding only a copied identity.json)
   * numbers its reports afresh from 1, so the controller must not compare its
   * sequence numbers with those of another outbox (protocol 3).
   */
  epoch(): string {
    if (existsSync(this.epochPath)) {
      const text = readFileSync(this.epochPath, 'utf8').trim();
      if (/^[A-Za-z0-9_-]{8,64}$/.test(text)) return text;
    }
    const epoch = randomBytes(12).toString('base64url');
    writeFileAtomic(this.epochPath, `${epoch}\n`, 0o600);
    return epoch;
  }

  /** Highest sequence number ever assigned (0: none). */
  lastSeq(): number {
    if (!existsSync(this.seqPath)) return 0;
    const n = Number(readFileSync(this.seqPath, 'utf8').trim());
    if (!Number.isSafeInteger(n) || n < 0) throw new PfError(Errors.STATE_DIR, `${this.seqPath} is damaged`);
    return n;
  }

  /** What the controller will hold once everything queued is applied, if known. */
  projected(): Projected | undefined {
    if (!existsSync(this.projectedPath)) return undefined;
    try {
      return JSON.parse(readFileSync(this.projectedPath, 'utf8')) as Projected;
    } catch {
      return undefined; // damaged: the next report will be a full one, which repairs it
    }
  }

  /** Queues a report durably and returns it with its sequence number. */
  enqueue(report: Omit<OutboxReport, 'seq'>, resultingPackages: Package[]): OutboxReport {
    const seq = this.lastSeq() + 1;
    // A numbering that starts afresh gets a fresh epoch, even next to an old epoch file.
    if (seq === 1) rmSync(this.epochPath, { force: true });
    const entry: OutboxReport = { ...report, seq };
    // Order matters for crash safety: the seq counter first, so a number is never reused.
    writeFileAtomic(this.seqPath, `${seq}\n`, 0o600);
    writeFileAtomic(join(this.dir, `${String(seq).padStart(12, '0')}.json`), JSON.stringify(entry), 0o600);
    writeFileAtomic(this.projectedPath, JSON.stringify({ seq, packages: resultingPackages } satisfies Projected), 0o600);
    return entry;
  }

  /** Queued reports, oldest first. A damaged file is dropped (and the next report made full). */
  pending(): OutboxReport[] {
    const out: OutboxReport[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (!FILE_RE.test(name)) continue;
      const path = join(this.dir, name);
      try {
        out.push(JSON.parse(readFileSync(path, 'utf8')) as OutboxReport);
      } catch {
        // A torn write cannot happen (atomic rename), but a damaged disk can: drop it and resync.
        rmSync(path, { force: true });
        rmSync(this.projectedPath, { force: true });
      }
    }
    return out;
  }

  /** Sequence numbers of the queued reports, oldest first (names only: no file is read). */
  queuedSeqs(): number[] {
    return readdirSync(this.dir)
      .map((name) => FILE_RE.exec(name)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** The oldest queued report, reading only its file. */
  oldest(): OutboxReport | undefined {
    // pending() handles a damaged file (drops it and the projection); reuse it only then.
    const [seq] = this.queuedSeqs();
    if (seq === undefined) return undefined;
    try {
      return JSON.parse(readFileSync(join(this.dir, `${String(seq).padStart(12, '0')}.json`), 'utf8')) as OutboxReport;
    } catch {
      return this.pending()[0]; // damaged: let pending() drop it, then take the next
    }
  }

  /** Removes every report up to and including `seq`. */
  ack(seq: number): void {
    for (const name of readdirSync(this.dir)) {
      const m = FILE_RE.exec(name);
      if (m?.[1] && Number(m[1]) <= seq) rmSync(join(this.dir, name), { force: true });
    }
  }

  /**
   * Forgets everything queued and the projection: the next report will be
   * full. Used when the controller's state no longer matches ours.
   * `atLeastSeq` moves the counter past what the controller has seen.
   */
  reset(atLeastSeq = 0): void {
    for (const name of readdirSync(this.dir)) if (FILE_RE.test(name)) rmSync(join(this.dir, name), { force: true });
    rmSync(this.projectedPath, { force: true });
    if (atLeastSeq > this.lastSeq()) writeFileAtomic(this.seqPath, `${atLeastSeq}\n`, 0o600);
  }
}
