/**
 * Reassembles an inventory report sent as several `inventory` frames. One
 * report is assembled at a time per session, within a byte budget and a time
 * limit, so a misbehaving or stalled agent cannot make the controller hold
 * unbounded data for unbounded time.
 */
import { PfError, Errors, type InventoryFrame, type HostFacts, type Package, type PackageKey } from '@patchfleet/shared';

export interface Report {
  seq: number;
  kind: 'full' | 'delta';
  baseSeq: number | undefined;
  /** Outbox epoch (protocol 3); undefined from older agents. */
  epoch?: string | undefined;
  collectedAt: number;
  host: HostFacts;
  packages: Package[];
  removed: PackageKey[];
  /** id of the frame that completed the report */
  lastFrameId: string;
}

export interface AssemblerLimits {
  /** Bytes of frames one unfinished report may hold. */
  maxReportBytes: number;
  /** Milliseconds an unfinished report may wait for its remaining parts. */
  timeoutMs: number;
}

/** The report being assembled, as far as a caller needs to know it. */
export interface PartialReport {
  seq: number;
  /** id of its part 0 frame (what a refusal replies to) */
  firstFrameId: string;
  startedAt: number;
  bytes: number;
}

interface Current extends PartialReport {
  first: InventoryFrame;
  parts: (InventoryFrame | undefined)[];
  received: number;
}

export class ReportAssembler {
  private current: Current | undefined;
  /**
   * A report refused: its remaining parts are dropped without another
   * refusal. `final`: refused for good; otherwise (a timeout) a new part 0
   * starts it again.
   */
  private refused: { seq: number; final: boolean } | undefined;
  private readonly limits: AssemblerLimits;

  constructor(
    limits: number | AssemblerLimits,
    /** ms clock (the controller's injected clock) */
    private readonly now: () => number = () => 0,
  ) {
    this.limits = typeof limits === 'number' ? { maxReportBytes: limits, timeoutMs: Number.POSITIVE_INFINITY } : limits;
  }

  /** The unfinished report, if any. */
  pending(): PartialReport | undefined {
    const c = this.current;
    return c ? { seq: c.seq, firstFrameId: c.firstFrameId, startedAt: c.startedAt, bytes: c.bytes } : undefined;
  }

  /** Drops the unfinished report (memory freed at once). */
  discard(): void {
    this.current = undefined;
  }

  /** Drops report `seq`: what is held of it now, and its parts still to come (until a new part 0, unless `final`). */
  refuse(seq: number, final = true): void {
    if (this.current?.seq === seq) this.current = undefined;
    this.refused = { seq, final };
  }

  /**
   * Adds a frame; returns the report when its last part arrived. Throws
   * INCOMPLETE_REPORT on inconsistent parts, REPORT_TOO_LARGE past the byte
   * budget and REPORT_TIMEOUT for a part arriving after the time limit; each
   * drops the partial report.
   */
  add(frame: InventoryFrame, frameBytes: number): Report | undefined {
    if (this.refused) {
      const again = !this.refused.final && frame.part === 0;
      if (frame.seq === this.refused.seq && !again) return undefined; // the rest of a refused report: already answered
      this.refused = undefined;
    }
    if (frame.part >= frame.parts) throw new PfError(Errors.INCOMPLETE_REPORT, `part ${frame.part} of ${frame.parts} is out of range`);
    if (this.current && this.current.seq !== frame.seq) {
      // The agent gave up on the earlier report (it restarts from part 0 after a reconnect); so do we.
      this.current = undefined;
    }
    const now = this.now();
    if (this.current && now - this.current.startedAt > this.limits.timeoutMs) {
      const seq = this.current.seq;
      this.refuse(seq, false);
      throw new PfError(Errors.REPORT_TIMEOUT, `report ${seq} was not completed within ${Math.round(this.limits.timeoutMs / 1000)} s; send it again`);
    }
    if (!this.current) {
      if (frame.part !== 0) throw new PfError(Errors.INCOMPLETE_REPORT, `report ${frame.seq} must start with part 0, got part ${frame.part}`);
      this.current = { seq: frame.seq, firstFrameId: frame.id, startedAt: now, bytes: 0, first: frame, parts: new Array<InventoryFrame | undefined>(frame.parts), received: 0 };
    }
    const cur = this.current;
    const f = cur.first;
    if (frame.parts !== f.parts || frame.kind !== f.kind || frame.baseSeq !== f.baseSeq || frame.packageCount !== f.packageCount || frame.epoch !== f.epoch) {
      this.current = undefined;
      throw new PfError(Errors.INCOMPLETE_REPORT, `part ${frame.part} of report ${frame.seq} disagrees with part 0`);
    }
    if (cur.parts[frame.part]) {
      this.current = undefined;
      throw new PfError(Errors.INCOMPLETE_REPORT, `part ${frame.part} of report ${frame.seq} sent twice`);
    }
    cur.bytes += frameBytes;
    if (cur.bytes > this.limits.maxReportBytes) {
      this.refuse(frame.seq);
      throw new PfError(Errors.REPORT_TOO_LARGE, `report ${frame.seq} exceeds ${this.limits.maxReportBytes} bytes (maxReportBytes)`);
    }
    cur.parts[frame.part] = frame;
    cur.received += 1;
    if (cur.received < f.parts) return undefined;
    this.current = undefined;
    if (!f.host) throw new PfError(Errors.INCOMPLETE_REPORT, `report ${frame.seq} has no host facts in part 0`);
    const packages: Package[] = [];
    const removed: PackageKey[] = [];
    for (const p of cur.parts as InventoryFrame[]) {
      for (const pkg of p.packages) packages.push(pkg);
      for (const key of p.removed ?? []) removed.push(key);
    }
    if (packages.length !== f.packageCount) {
      throw new PfError(Errors.INCOMPLETE_REPORT, `report ${frame.seq} announced ${f.packageCount} packages but carried ${packages.length}`);
    }
    return { seq: f.seq, kind: f.kind, baseSeq: f.baseSeq, epoch: f.epoch, collectedAt: f.collectedAt, host: f.host, packages, removed, lastFrameId: frame.id };
  }
}
