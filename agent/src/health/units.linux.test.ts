import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HealthEvent } from '@patchfleet/shared';
import { mergeServiceFailures, parseRestartCounts, parseUnitList, UnitTracker } from './units.linux';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('systemctl parsers', () => {
  it('reads unit names from list-units, a status bullet skipped', () => {
    expect(parseUnitList(fixture('systemctl-failed.txt'))).toEqual(['nginx.service', 'postgresql@15-main.service']);
    expect(parseUnitList(fixture('systemctl-services.txt'))).toEqual(['cron.service', 'display-manager.service', 'nginx.service', 'postgresql@15-main.service', 'ssh.service']);
    expect(parseUnitList('')).toEqual([]);
  });

  it('reads NRestarts per unit from systemctl show', () => {
    expect([...parseRestartCounts(fixture('systemctl-show-nrestarts.txt'))]).toEqual([
      ['cron.service', 0],
      ['nginx.service', 3],
      ['postgresql@15-main.service', 0],
      ['ssh.service', 1],
    ]);
  });
});

describe('UnitTracker', () => {
  it('sets a baseline first, then counts restarts that increased and units newly failed; a reboot starts over', () => {
    const t = new UnitTracker();
    expect(t.observe('boot-a', new Map([['nginx.service', 3], ['ssh.service', 1]]), ['nginx.service'])).toBeUndefined();
    const next = t.observe('boot-a', new Map([['nginx.service', 5], ['ssh.service', 0], ['new.service', 2]]), ['nginx.service', 'postgresql@15-main.service']);
    expect([...(next?.restarts ?? [])]).toEqual([['nginx.service', 2], ['new.service', 2]]);
    expect(next?.newlyFailed).toEqual(['postgresql@15-main.service']);
    expect(t.observe('boot-b', new Map([['nginx.service', 0]]), [])).toBeUndefined();
  });
});

describe('mergeServiceFailures', () => {
  const journal: HealthEvent[] = [{ kind: 'service-failure', at: 10, subject: 'nginx.service', message: "nginx.service: Failed with result 'exit-code'." }];

  it('does not count a failure the journal saw and NRestarts counted again', () => {
    expect(mergeServiceFailures(journal, { restarts: new Map([['nginx.service', 1]]), newlyFailed: [] }, 99)).toHaveLength(1);
  });

  it('adds what only the units saw (journal unavailable or cut)', () => {
    const merged = mergeServiceFailures(journal, { restarts: new Map([['nginx.service', 3]]), newlyFailed: ['db.service'] }, 99);
    expect(merged.map((e) => e.subject)).toEqual(['nginx.service', 'nginx.service', 'nginx.service', 'db.service']);
    expect(mergeServiceFailures(undefined, { restarts: new Map(), newlyFailed: ['db.service'] }, 99)).toEqual([{ kind: 'service-failure', at: 99, subject: 'db.service', message: 'db.service entered the failed state (systemctl)' }]);
  });
});
