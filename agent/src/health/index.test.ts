import { describe, expect, it } from 'vitest';
import { healthCollectorFor } from './index';

const opts = { now: () => Date.now(), warn: () => undefined };
const WINDOW = { from: Date.now() - 300_000, to: Date.now() };

describe('healthCollectorFor', () => {
  it('Linux reads journald, units and /var/crash', () => {
    expect(healthCollectorFor('linux', opts).sources).toEqual(['journald', 'units', 'var-crash']);
  });

  it('Windows uses the event-log collector: where PowerShell cannot run, eventlog is unavailable and no counter is made up', async () => {
    const win = healthCollectorFor('win32', opts);
    expect(win.sources).toEqual(['eventlog']);
    if (process.platform !== 'win32') expect(await win.collect(WINDOW)).toEqual({ counters: {}, unavailable: ['eventlog'], events: [] });
  });

  it('another platform has nothing to read: every counter absent, the sources named', async () => {
    expect(await healthCollectorFor('darwin', opts).collect(WINDOW)).toEqual({ counters: {}, unavailable: ['journald', 'units', 'var-crash'], events: [] });
  });
});
