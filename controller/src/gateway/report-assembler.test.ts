import { describe, it, expect } from 'vitest';
import { isPfError, makeFrame, type InventoryFrame, type Package, type PackageKey, type PfError } from '@patchfleet/shared';
import { sampleHost, samplePackages } from '@patchfleet/test/support/inventory';
import { ReportAssembler } from './report-assembler';

const NOW = 1_764_000_000_000;
const BIG = 64 * 1024 * 1024;

interface Opts {
  seq?: number;
  kind?: 'full' | 'delta';
  baseSeq?: number;
  packageCount?: number;
  removed?: PackageKey[][];
  withHost?: boolean;
}

/** Splits `groups` of packages into the frames of one report, as an agent would. */
function framesOf(groups: Package[][], opts: Opts = {}): InventoryFrame[] {
  const seq = opts.seq ?? 1;
  const kind = opts.kind ?? 'full';
  const packageCount = opts.packageCount ?? groups.reduce((n, g) => n + g.length, 0);
  return groups.map((packages, part) =>
    makeFrame(
      'inventory',
      {
        seq,
        kind,
        ...(opts.baseSeq !== undefined ? { baseSeq: opts.baseSeq } : {}),
        part,
        parts: groups.length,
        packageCount,
        collectedAt: NOW,
        ...(part === 0 && opts.withHost !== false ? { host: sampleHost() } : {}),
        packages,
        ...(opts.removed ? { removed: opts.removed[part] ?? [] } : {}),
      },
      NOW,
      `f-${seq}-${part}`,
    ),
  );
}

const size = (f: InventoryFrame): number => Buffer.byteLength(JSON.stringify(f));

function refusal(fn: () => unknown): PfError {
  try {
    fn();
  } catch (err) {
    if (isPfError(err)) return err;
    throw err;
  }
  throw new Error('no error was thrown');
}

describe('ReportAssembler', () => {
  const pkgs = samplePackages(9);
  const groups = [pkgs.slice(0, 3), pkgs.slice(3, 6), pkgs.slice(6)];

  it('returns a one-frame report at once', () => {
    const a = new ReportAssembler(BIG);
    const [f] = framesOf([pkgs]);
    expect(a.add(f!, size(f!))).toEqual({ seq: 1, kind: 'full', baseSeq: undefined, collectedAt: NOW, host: sampleHost(), packages: pkgs, removed: [], lastFrameId: 'f-1-0' });
  });

  it('assembles parts sent in order, returning only on the last', () => {
    const a = new ReportAssembler(BIG);
    const frames = framesOf(groups);
    expect(a.add(frames[0]!, size(frames[0]!))).toBeUndefined();
    expect(a.add(frames[1]!, size(frames[1]!))).toBeUndefined();
    const report = a.add(frames[2]!, size(frames[2]!));
    expect(report?.packages).toEqual(pkgs);
    expect(report?.lastFrameId).toBe('f-1-2');
  });

  it('assembles parts that arrive out of order after part 0, in part order', () => {
    const a = new ReportAssembler(BIG);
    const frames = framesOf(groups);
    expect(a.add(frames[0]!, 1)).toBeUndefined();
    expect(a.add(frames[2]!, 1)).toBeUndefined();
    const report = a.add(frames[1]!, 1);
    expect(report?.packages).toEqual(pkgs);
    expect(report?.lastFrameId).toBe('f-1-1');
  });

  it('collects removals of a delta and keeps baseSeq', () => {
    const a = new ReportAssembler(BIG);
    const removed = [[{ name: 'x', arch: 'amd64', manager: 'dpkg' as const }], [], [{ name: 'y', arch: '', manager: 'windows' as const }]];
    const frames = framesOf(groups, { seq: 8, kind: 'delta', baseSeq: 7, removed });
    let report;
    for (const f of frames) report = a.add(f, 1);
    expect(report).toMatchObject({ seq: 8, kind: 'delta', baseSeq: 7, packages: pkgs, removed: removed.flat() });
  });

  it('refuses a part sent twice, and forgets the report', () => {
    const a = new ReportAssembler(BIG);
    const frames = framesOf(groups);
    a.add(frames[0]!, 1);
    a.add(frames[1]!, 1);
    const err = refusal(() => a.add(frames[1]!, 1));
    expect(err.code).toBe('PF_ERR_INCOMPLETE_REPORT');
    expect(err.message).toMatch(/sent twice/);
    expect(refusal(() => a.add(frames[2]!, 1)).message).toMatch(/must start with part 0/);
  });

  it('refuses a report that does not start with part 0', () => {
    const a = new ReportAssembler(BIG);
    const frames = framesOf(groups);
    const err = refusal(() => a.add(frames[1]!, 1));
    expect(err.code).toBe('PF_ERR_INCOMPLETE_REPORT');
    expect(err.message).toMatch(/must start with part 0/);
  });

  it('refuses a part number outside the announced count', () => {
    const a = new ReportAssembler(BIG);
    const [f] = framesOf([pkgs]);
    expect(refusal(() => a.add({ ...f!, part: 1 }, 1)).message).toMatch(/out of range/);
  });

  it.each([
    ['parts', { parts: 4 }],
    ['kind', { kind: 'delta' as const }],
    ['baseSeq', { baseSeq: 3 }],
    ['packageCount', { packageCount: 99 }],
  ])('refuses a part whose %s disagrees with part 0, and forgets the report', (_field, patch) => {
    const a = new ReportAssembler(BIG);
    const frames = framesOf(groups);
    a.add(frames[0]!, 1);
    const err = refusal(() => a.add({ ...frames[1]!, ...patch }, 1));
    expect(err.code).toBe('PF_ERR_INCOMPLETE_REPORT');
    expect(err.message).toMatch(/disagrees with part 0/);
    expect(refusal(() => a.add(frames[2]!, 1)).message).toMatch(/must start with part 0/);
  });

  it('refuses a report without host facts in part 0', () => {
    const a = new ReportAssembler(BIG);
    const [f] = framesOf([pkgs], { withHost: false });
    expect(refusal(() => a.add(f!, 1)).message).toMatch(/no host facts/);
  });

  it('refuses a report carrying another number of packages than announced', () => {
    const fewer = new ReportAssembler(BIG);
    const frames = framesOf(groups, { packageCount: 10 });
    fewer.add(frames[0]!, 1);
    fewer.add(frames[1]!, 1);
    const err = refusal(() => fewer.add(frames[2]!, 1));
    expect(err.code).toBe('PF_ERR_INCOMPLETE_REPORT');
    expect(err.message).toMatch(/announced 10 packages but carried 9/);

    const more = new ReportAssembler(BIG);
    expect(refusal(() => more.add(framesOf([pkgs], { packageCount: 3 })[0]!, 1)).message).toMatch(/announced 3/);
  });

  it('drops an unfinished report when part 0 of a newer one arrives', () => {
    const a = new ReportAssembler(BIG);
    const old = framesOf(groups, { seq: 1 });
    a.add(old[0]!, 1);
    a.add(old[1]!, 1);
    const fresh = framesOf([pkgs.slice(0, 2)], { seq: 2 });
    expect(a.add(fresh[0]!, 1)).toMatchObject({ seq: 2, packages: pkgs.slice(0, 2) });
    expect(refusal(() => a.add(old[2]!, 1)).message).toMatch(/must start with part 0/);
  });

  it('refuses a report over its byte budget, counting every part', () => {
    const frames = framesOf(groups);
    const total = frames.reduce((n, f) => n + size(f), 0);
    const exact = new ReportAssembler(total);
    let report;
    for (const f of frames) report = exact.add(f, size(f));
    expect(report?.packages).toHaveLength(9);

    const tight = new ReportAssembler(total - 1);
    tight.add(frames[0]!, size(frames[0]!));
    tight.add(frames[1]!, size(frames[1]!));
    const err = refusal(() => tight.add(frames[2]!, size(frames[2]!)));
    expect(err.code).toBe('PF_ERR_REPORT_TOO_LARGE');
    expect(err.message).toMatch(/maxReportBytes/);
    expect(tight.pending()).toBeUndefined(); // the partial report is dropped at once
    // and it is forgotten: the budget starts afresh with the next report
    const next = framesOf([pkgs.slice(0, 1)], { seq: 2 });
    expect(tight.add(next[0]!, size(next[0]!))).toMatchObject({ seq: 2 });
  });

  it('assembles the next report after one completed', () => {
    const a = new ReportAssembler(BIG);
    for (const f of framesOf(groups, { seq: 1 })) a.add(f, 1);
    const second = framesOf([pkgs.slice(0, 1), pkgs.slice(1, 2)], { seq: 2, kind: 'delta', baseSeq: 1, removed: [[], []] });
    expect(a.add(second[0]!, 1)).toBeUndefined();
    expect(a.add(second[1]!, 1)).toMatchObject({ seq: 2, kind: 'delta', packages: pkgs.slice(0, 2) });
  });

  it('refuses a report growing past maxReportBytes, drops what it held and ignores its remaining parts', () => {
    const many = samplePackages(3000);
    const frames = framesOf([many.slice(0, 1000), many.slice(1000, 2000), many.slice(2000)], { seq: 5 });
    const a = new ReportAssembler({ maxReportBytes: size(frames[0]!) + 1000, timeoutMs: 60_000 }, () => NOW);
    expect(a.add(frames[0]!, size(frames[0]!))).toBeUndefined();
    expect(a.pending()).toMatchObject({ seq: 5, firstFrameId: 'f-5-0', bytes: size(frames[0]!) });
    const err = refusal(() => a.add(frames[1]!, size(frames[1]!)));
    expect(err.code).toBe('PF_ERR_REPORT_TOO_LARGE');
    expect(err.retryable).toBe(false);
    expect(a.pending()).toBeUndefined();
    // The last part of the refused report is dropped quietly (no INCOMPLETE_REPORT that would make the agent resend).
    expect(a.add(frames[2]!, size(frames[2]!))).toBeUndefined();
    expect(a.pending()).toBeUndefined();
    // The next report goes through.
    const next = framesOf([many.slice(0, 2)], { seq: 6 });
    expect(a.add(next[0]!, size(next[0]!))).toMatchObject({ seq: 6 });
  });

  it('drops an unfinished report older than the time limit: a late part gets PF_ERR_REPORT_TIMEOUT, a new part 0 starts it again', () => {
    let now = NOW;
    const a = new ReportAssembler({ maxReportBytes: BIG, timeoutMs: 120_000 }, () => now);
    const frames = framesOf(groups, { seq: 3 });
    a.add(frames[0]!, 1);
    now += 60_000;
    a.add(frames[1]!, 1);
    now += 60_001; // 120.001 s after part 0
    const err = refusal(() => a.add(frames[2]!, 1));
    expect(err.code).toBe('PF_ERR_REPORT_TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(a.pending()).toBeUndefined();
    // the agent sends it again from part 0: accepted in full
    const again = framesOf(groups, { seq: 3 });
    expect(a.add(again[0]!, 1)).toBeUndefined();
    expect(a.add(again[1]!, 1)).toBeUndefined();
    expect(a.add(again[2]!, 1)).toMatchObject({ seq: 3, packages: pkgs });
  });

  it('keeps the epoch of part 0 and refuses a part of another epoch', () => {
    const a = new ReportAssembler(BIG);
    const frames = framesOf(groups, { seq: 1 }).map((f) => ({ ...f, epoch: 'epoch-A1' }));
    a.add(frames[0]!, 1);
    expect(refusal(() => a.add({ ...frames[1]!, epoch: 'epoch-B2' }, 1)).code).toBe('PF_ERR_INCOMPLETE_REPORT');
    const b = new ReportAssembler(BIG);
    for (const f of frames.slice(0, 2)) b.add(f, 1);
    expect(b.add(frames[2]!, 1)).toMatchObject({ epoch: 'epoch-A1' });
  });
});
