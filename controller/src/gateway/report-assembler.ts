/**
 * Reassembles an inventory report sent as several `inventory` frames. One
 * report is assembled at a time per session, with a byte budget, so a
 * misbehaving agent cannot make the controller hold unbounded data.
 */
import { PfError, Errors, type InventoryFrame, type HostFacts, type Package, type PackageKey } from '@patchfleet/shared';

export interface Report {
  seq: number;
  kind: 'full' | 'delta';
  baseSeq: number | undefined;
  collectedAt: number;
  host: HostFacts;
  packages: Package[];
  removed: PackageKey[];
  /** id of the frame that completed the report */
  lastFrameId: string;
}

export class ReportAssembler {
  private current: { first: InventoryFrame; parts: (InventoryFrame | undefined)[]; received: number; bytes: number } | undefined;

  constructor(private readonly maxReportBytes: number) {}

  /** Adds a frame; returns the report when its last part arrived. Throws INCOMPLETE_REPORT on inconsistent parts. */
  add(frame: InventoryFrame, frameBytes: number): Report | undefined {
    if (frame.part >= frame.parts) throw new PfError(Errors.INCOMPLETE_REPORT, `part ${frame.part} of ${frame.parts} is out of range`);
    if (this.current && this.current.first.seq !== frame.seq) {
      // The agent gave up on the earlier report (it restarts from part 0 after a reconnect); so do we.
      this.current = undefined;
    }
    if (!this.current) {
      if (frame.part !== 0) throw new PfError(Errors.INCOMPLETE_REPORT, `report ${frame.seq} must start with part 0, got part ${frame.part}`);
      this.current = { first: frame, parts: new Array<InventoryFrame | undefined>(frame.parts), received: 0, bytes: 0 };
    }
    const cur = this.current;
    const f = cur.first;
    if (frame.parts !== f.parts || frame.kind !== f.kind || frame.baseSeq !== f.baseSeq || frame.packageCount !== f.packageCount) {
      this.current = undefined;
      throw new PfError(Errors.INCOMPLETE_REPORT, `part ${frame.part} of report ${frame.seq} disagrees with part 0`);
    }
    if (cur.parts[frame.part]) {
      this.current = undefined;
      throw new PfError(Errors.INCOMPLETE_REPORT, `part ${frame.part} of report ${frame.seq} sent twice`);
    }
    cur.bytes += frameBytes;
    if (cur.bytes > this.maxReportBytes) {
      this.current = undefined;
      throw new PfError(Errors.FRAME_TOO_LARGE, `report ${frame.seq} exceeds ${this.maxReportBytes} bytes`);
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
    return { seq: f.seq, kind: f.kind, baseSeq: f.baseSeq, collectedAt: f.collectedAt, host: f.host, packages, removed, lastFrameId: frame.id };
  }
}
