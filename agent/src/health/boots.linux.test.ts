import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootEndedCleanly, bootsBegunIn, parseListBootsJson, parseListBootsText, unexpectedShutdownEvent } from './boots.linux';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('journal boots', () => {
  it('reads --list-boots as JSON and as the older text table (TZ=UTC) alike', () => {
    const json = parseListBootsJson(fixture('list-boots.json'));
    const text = parseListBootsText(fixture('list-boots.txt'));
    expect(json?.map((b) => b.bootId)).toEqual(['0a1b2c3d4e5f60718293a4b5c6d7e8f9', '1b2c3d4e5f60718293a4b5c6d7e8f90a', '6f3c1d2e9a8b4c7d8e9f0a1b2c3d4e5f']);
    // The table has whole seconds.
    const seconds = (bs: typeof text) => bs.map((b) => ({ ...b, lastUs: Math.floor(b.lastUs / 1e6) * 1e6 }));
    expect(text).toEqual(seconds(json ?? []));
    expect(parseListBootsJson(fixture('list-boots.txt'))).toBeUndefined();
  });

  it('recognizes a boot that ended with systemd shutting down, and one that just stopped', () => {
    expect(bootEndedCleanly(fixture('journal-boot-tail-clean.jsonl'))).toBe(true);
    expect(bootEndedCleanly(fixture('journal-boot-tail-crashed.jsonl'))).toBe(false);
  });

  it('pairs each boot begun in the window with the boot before it', () => {
    const boots = parseListBootsJson(fixture('list-boots.json')) ?? [];
    const begun = bootsBegunIn(boots, { from: 1_764_986_300_000, to: 1_764_986_700_000 });
    expect(begun).toHaveLength(1);
    expect(begun[0]?.previous?.bootId).toBe('1b2c3d4e5f60718293a4b5c6d7e8f90a');
    // A day-long window holds two boots; the first boot in the journal has no predecessor to judge.
    expect(bootsBegunIn(boots, { from: 1_764_800_000_000, to: 1_764_986_700_000 }).map((t) => t.previous?.bootId)).toEqual([undefined, '0a1b2c3d4e5f60718293a4b5c6d7e8f9', '1b2c3d4e5f60718293a4b5c6d7e8f90a']);
    const first = begun[0];
    if (!first?.previous) throw new Error('expected a previous boot');
    const event = unexpectedShutdownEvent({ boot: first.boot, previous: first.previous });
    expect(event).toMatchObject({ kind: 'unexpected-shutdown', at: 1_764_986_400_000, subject: 'boot 1b2c3d4e5f60718293a4b5c6d7e8f90a' });
    expect(event.message).toContain('2025-12-05T15:53:50.000Z');
  });
});
