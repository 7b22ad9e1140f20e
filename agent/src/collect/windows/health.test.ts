import { describe, expect, it } from 'vitest';
import { Errors, PfError } from '@patchfleet/shared/errors';
import type { HealthCollector } from '../../health/types';
import { collectWindowsHealth } from './health';
import { runPowerShell, type ExecFn } from './powershell';
import { fixture } from './test-fixtures';

const W = { from: Date.parse('2026-12-06T02:00:00.000Z'), to: Date.parse('2026-12-06T02:05:00.000Z') };

describe('collectWindowsHealth', () => {
  it('runs the health script for the window and counts its output', async () => {
    const scripts: string[] = [];
    const collect: HealthCollector = collectWindowsHealth({
      run: async (s) => {
        scripts.push(s);
        return fixture('health.ps51.ja-JP.json');
      },
    });
    const h = await collect(W);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toContain("@SystemTime>=''2026-12-06T01:45:00.000Z'' and @SystemTime<''2026-12-06T02:05:00.000Z''");
    expect(h.counters).toEqual({ appCrashes: 4, kernelCrashes: 1, serviceFailures: 3, unexpectedShutdowns: 1 });
    expect(h.unavailable).toEqual([]);
    expect(h.events).toHaveLength(9);
  });

  it('PowerShell failing: every counter absent, eventlog unavailable, the reason told', async () => {
    const warnings: string[] = [];
    const failingExec: ExecFn = async () => ({ stdout: new Uint8Array(), stderr: Buffer.from('Zugriff verweigert'), exitCode: 1, timedOut: false });
    const collect = collectWindowsHealth({ run: (s) => runPowerShell(s, { exec: failingExec, env: { SystemRoot: 'C:\\Windows' } }), onWarning: (m) => warnings.push(m) });
    expect(await collect(W)).toEqual({ counters: {}, unavailable: ['eventlog'], events: [] });
    expect(warnings).toEqual(['Windows event log not read: powershell.exe exited with code 1: Zugriff verweigert']);
  });

  it('output that is not the script JSON: eventlog unavailable', async () => {
    const warnings: string[] = [];
    const collect = collectWindowsHealth({ run: async () => 'Get-WinEvent : ...', onWarning: (m) => warnings.push(m) });
    expect(await collect(W)).toEqual({ counters: {}, unavailable: ['eventlog'], events: [] });
    expect(warnings[0]).toMatch(/^Windows event log not read: health JSON: invalid JSON/);
  });

  it('tells which log could not be read', async () => {
    const warnings: string[] = [];
    const collect = collectWindowsHealth({ run: async () => fixture('health.ps51.de-DE.unreadable.json'), onWarning: (m) => warnings.push(m) });
    expect((await collect(W)).counters).toEqual({ appCrashes: 4 });
    expect(warnings).toEqual([
      'Windows event log System not readable (System.UnauthorizedAccessException,Microsoft.PowerShell.Commands.GetWinEventCommand): Es wurde versucht, einen nicht autorisierten Vorgang auszuführen.',
    ]);
  });

  it('tells when a log hit the event limit', async () => {
    const warnings: string[] = [];
    const out = JSON.parse(fixture('health.ps51.en-US.empty.json').toString('utf8')) as { logs: Array<{ truncated: boolean }> };
    out.logs[0]!.truncated = true;
    const collect = collectWindowsHealth({ run: async () => JSON.stringify(out), onWarning: (m) => warnings.push(m) });
    await collect(W);
    expect(warnings).toEqual(['Windows event log Application: more than the event limit in one window; counts are lower bounds']);
  });

  it('does not hide a programming error as an unavailable source', async () => {
    const collect = collectWindowsHealth({
      run: async () => {
        throw new TypeError('boom');
      },
    });
    await expect(collect(W)).rejects.toThrow('boom');
    const pf = collectWindowsHealth({
      run: async () => {
        throw new PfError(Errors.POWERSHELL_FAILED, 'timed out');
      },
    });
    await expect(pf(W)).resolves.toMatchObject({ unavailable: ['eventlog'] });
  });
});
