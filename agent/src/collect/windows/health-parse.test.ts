import { describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { MAX_HEALTH_EVENTS_PER_SAMPLE, type HealthEvent } from '@patchfleet/shared/protocol';
import { BOOT_GROUP_MS, parseHealthJson, parseHealthOutput, serviceKeyName, summarizeHealth, WER_PAIR_MS, type HealthScriptOutput, type RawHealthEvent } from './health-parse';
import { HEALTH_LOOKBACK_MS } from './health-script';
import { fixture } from './test-fixtures';

const FROM = Date.parse('2026-12-06T02:00:00.000Z');
const TO = Date.parse('2026-12-06T02:05:00.000Z');
const W = { from: FROM, to: TO };
const at = (hms: string): number => Date.parse(`2026-12-06T${hms}Z`);

/** What every locale and shell must give for the main fixtures, messages aside. */
const EXPECTED_EVENTS: Array<Omit<HealthEvent, 'message'>> = [
  { kind: 'app-crash', at: at('02:04:30.219'), subject: 'contoso-agent.exe' },
  { kind: 'kernel-crash', at: at('02:03:58.204'), subject: 'BugCheck 0x0000009F' },
  { kind: 'app-crash', at: at('02:03:12.440'), subject: 'EXCEL.EXE' },
  { kind: 'service-failure', at: at('02:02:30.778'), subject: 'WSearch' },
  { kind: 'app-crash', at: at('02:02:05.003'), subject: 'LegacyApp.exe' },
  { kind: 'service-failure', at: at('02:01:55.112'), subject: 'Spooler' },
  { kind: 'app-crash', at: at('02:01:33.123'), subject: 'contoso-agent.exe' },
  { kind: 'service-failure', at: at('02:01:10.445'), subject: 'ContosoAgent' },
  { kind: 'unexpected-shutdown', at: at('02:00:41.501'), subject: 'Microsoft-Windows-Kernel-Power/41' },
];
const EXPECTED_COUNTERS = { appCrashes: 4, kernelCrashes: 1, serviceFailures: 3, unexpectedShutdowns: 1 };

const withoutMessages = (evs: HealthEvent[]): Array<Omit<HealthEvent, 'message'>> => evs.map(({ message: _m, ...rest }) => rest);

describe('summarizeHealth on the script output fixtures', () => {
  it('5.1 en-US: counts, pairs and lists the events newest first', () => {
    const out = parseHealthJson(fixture('health.ps51.en-US.json'));
    expect(out.psVersion).toBe('5.1.26100.7019');
    const h = summarizeHealth(out, W);
    expect(h.counters).toEqual(EXPECTED_COUNTERS);
    expect(h.unavailable).toEqual([]);
    expect(withoutMessages(h.events)).toEqual(EXPECTED_EVENTS);
    const msg = (subject: string, kind: string): string | undefined => h.events.find((e) => e.subject === subject && e.kind === kind)?.message;
    expect(msg('EXCEL.EXE', 'app-crash')).toMatch(/^hang: The program EXCEL\.EXE version 16\.0\.18129\.20158 stopped interacting with Windows and was closed\. /);
    expect(msg('LegacyApp.exe', 'app-crash')).toMatch(/^WER BEX64: Fault bucket 1692458731208452611, type 4 Event Name: BEX64 Response: Not available /);
    expect(msg('ContosoAgent', 'service-failure')).toBe(
      'The Contoso Agent service terminated unexpectedly. It has done this 1 time(s). The following corrective action will be taken in 60000 milliseconds: Restart the service.',
    );
    expect(msg('BugCheck 0x0000009F', 'kernel-crash')).toBe(
      'The computer has rebooted from a bugcheck. The bugcheck was: 0x0000009f (0x0000000000000003, 0xffffc40a1b2c3d40, 0xfffff80712345678, 0xffffc40a1b2c4e50). A dump was saved in: C:\\Windows\\MEMORY.DMP. Report Id: f0a9b8c7-d6e5-4f43-a2b1-c0d9e8f7a6b5.',
    );
    for (const e of h.events) expect(e.message?.length ?? 0).toBeLessThanOrEqual(512);
  });

  it.each(['health.ps7.en-US.json', 'health.ps51.de-DE.json', 'health.ps7.fr-FR.json', 'health.ps51.ja-JP.json'])(
    '%s: the same counts, times and subjects as 5.1 en-US, whatever the language',
    (name) => {
      const h = summarizeHealth(parseHealthJson(fixture(name)), W);
      expect(h.counters).toEqual(EXPECTED_COUNTERS);
      expect(h.unavailable).toEqual([]);
      expect(withoutMessages(h.events)).toEqual(EXPECTED_EVENTS);
    },
  );

  it('keeps the localized message for display, folded to one line', () => {
    const de = summarizeHealth(parseHealthJson(fixture('health.ps51.de-DE.json')), W);
    expect(de.events.find((e) => e.subject === 'Spooler')?.message).toBe('Der Dienst "Druckwarteschlange" wurde unerwartet beendet. Dies ist bereits 1 Mal passiert.');
    const ja = summarizeHealth(parseHealthJson(fixture('health.ps51.ja-JP.json')), W);
    expect(ja.events.find((e) => e.subject === 'EXCEL.EXE')?.message).toMatch(/^hang: プログラム EXCEL\.EXE バージョン/);
  });

  it('no events: every counter 0, nothing unavailable', () => {
    expect(summarizeHealth(parseHealthJson(fixture('health.ps51.en-US.empty.json')), W)).toEqual({
      counters: { appCrashes: 0, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0 },
      unavailable: [],
      events: [],
    });
  });

  it('System log unreadable (access denied, de-DE): its counters absent, eventlog unavailable, app crashes still counted', () => {
    const out = parseHealthJson(fixture('health.ps51.de-DE.unreadable.json'));
    expect(out.logs[1]).toEqual({
      log: 'System',
      ok: false,
      errorId: 'System.UnauthorizedAccessException,Microsoft.PowerShell.Commands.GetWinEventCommand',
      error: 'Es wurde versucht, einen nicht autorisierten Vorgang auszuführen.',
    });
    const h = summarizeHealth(out, W);
    expect(h.counters).toEqual({ appCrashes: 4 });
    expect(h.unavailable).toEqual(['eventlog']);
    expect(h.events.map((e) => e.kind)).toEqual(['app-crash', 'app-crash', 'app-crash', 'app-crash']);
  });

  it('Application log missing (PowerShell 7, ja-JP): app crashes absent, System counted', () => {
    const h = summarizeHealth(parseHealthJson(fixture('health.ps7.ja-JP.missing-log.json')), W);
    expect(h.counters).toEqual({ kernelCrashes: 1, serviceFailures: 3, unexpectedShutdowns: 1 });
    expect(h.unavailable).toEqual(['eventlog']);
  });

  it('5.1 single event: a bare object for the list, PSObject-wrapped insertion strings, a \\/Date()\\/ time', () => {
    const h = summarizeHealth(parseHealthJson(fixture('health.ps51.en-US.single.json')), W);
    expect(h.counters).toEqual({ appCrashes: 1, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0 });
    expect(withoutMessages(h.events)).toEqual([{ kind: 'app-crash', at: at('02:01:33.123'), subject: 'contoso-agent.exe' }]);
  });
});

describe('parseHealthOutput', () => {
  it('refuses what is not the script output, and other schema versions', () => {
    for (const bad of [[], null, { logs: [] }, { schema: 2, logs: [] }]) {
      let err: unknown;
      try {
        parseHealthOutput(bad);
      } catch (e) {
        err = e;
      }
      expect(isPfError(err) && err.code, JSON.stringify(bad)).toBe('PF_ERR_BAD_INPUT');
    }
  });

  it('refuses an event without provider or id, and leaves out one without a time', () => {
    expect(() => parseHealthOutput({ schema: 1, logs: [{ log: 'System', ok: true, events: [{ id: 41, time: '2026-12-06T02:00:00Z' }] }] })).toThrow(/lacks a provider/);
    const out = parseHealthOutput({ schema: 1, logs: [{ log: 'System', ok: true, events: [{ provider: 'EventLog', id: 6008, time: null }] }] });
    expect(out.logs[0]).toMatchObject({ ok: true, events: [] });
  });
});

function ev(provider: string, id: number, time: string, data: string[] = [], extra: Partial<RawHealthEvent> = {}): RawHealthEvent {
  return { provider, id, at: at(time), data, binary: null, message: null, ...extra };
}
function output(app: RawHealthEvent[], sys: RawHealthEvent[]): HealthScriptOutput {
  return {
    psVersion: '5.1',
    logs: [
      { log: 'Application', ok: true, truncated: false, readErrors: 0, events: app },
      { log: 'System', ok: true, truncated: false, readErrors: 0, events: sys },
    ],
  };
}
const crash = (time: string, app: string, rid = ''): RawHealthEvent => ev('Application Error', 1000, time, [app, '1.0', '', '', '', '', '', '', '', '', '', '', rid]);
const wer = (time: string, name: string, app: string, rid = ''): RawHealthEvent => {
  const d = Array<string>(23).fill('');
  d[2] = name;
  d[5] = app;
  d[19] = rid;
  return ev('Windows Error Reporting', 1001, time, d);
};
const GUID_A = '11111111-2222-4333-8444-555555555555';

describe('summarizeHealth rules', () => {
  it('reads back far enough to see the partner of every pair and the start of every boot', () => {
    expect(HEALTH_LOOKBACK_MS).toBeGreaterThanOrEqual(WER_PAIR_MS);
    expect(HEALTH_LOOKBACK_MS).toBeGreaterThanOrEqual(BOOT_GROUP_MS);
  });

  it('a WER report whose crash lies in the lookback pairs with it: one crash over two windows', () => {
    const evs = [crash('01:59:50', 'x.exe'), wer('02:00:10', 'APPCRASH', 'x.exe')];
    const before = summarizeHealth(output(evs.filter((e) => e.at < at('02:00:00')), []), { from: at('01:55:00'), to: at('02:00:00') });
    const now = summarizeHealth(output(evs, []), W);
    expect((before.counters.appCrashes ?? 0) + (now.counters.appCrashes ?? 0)).toBe(1);
  });

  it('counts [from, to): an event at from counts, one at to does not, lookback events only pair', () => {
    const h = summarizeHealth(output([crash('02:00:00.000', 'a.exe'), crash('02:05:00.000', 'b.exe'), crash('01:59:59.999', 'c.exe')], []), W);
    expect(h.counters.appCrashes).toBe(1);
    expect(h.events.map((e) => e.subject)).toEqual(['a.exe']);
  });

  it('WER crash report: paired by Report Id, else by application within 10 minutes; alone it counts', () => {
    const byId = summarizeHealth(output([crash('02:01:00', 'x.exe', GUID_A), wer('02:04:00', 'APPCRASH', 'other-name.exe', `{${GUID_A.toUpperCase()}}`)], []), W);
    expect(byId.counters.appCrashes).toBe(1);
    const byApp = summarizeHealth(output([crash('01:52:00', 'X.EXE'), wer('02:01:00', 'APPCRASH', 'x.exe')], []), W);
    expect(byApp.counters.appCrashes).toBe(0);
    const tooFar = summarizeHealth(output([crash('01:49:00', 'x.exe'), wer('02:01:00', 'APPCRASH', 'x.exe')], []), W);
    expect(tooFar.counters.appCrashes).toBe(1);
    expect(tooFar.events[0]).toMatchObject({ subject: 'x.exe', message: 'WER APPCRASH' });
  });

  it('each 1000 absorbs one WER report: a crash loop counts every crash', () => {
    const h = summarizeHealth(
      output([crash('02:01:00', 'loop.exe'), wer('02:01:05', 'APPCRASH', 'loop.exe'), wer('02:01:30', 'APPCRASH', 'loop.exe'), crash('02:02:00', 'loop.exe')], []),
      W,
    );
    expect(h.counters.appCrashes).toBe(2);
  });

  it('hangs: 1002 counts as an app crash with a "hang" message; its AppHangB1 report pairs with it, not with a 1000', () => {
    const hang = ev('Application Hang', 1002, '02:02:00', ['slow.exe', '2.0', '1a2b', '', '', '', GUID_A]);
    const h = summarizeHealth(output([hang, wer('02:02:10', 'AppHangB1', 'slow.exe', GUID_A), crash('02:02:20', 'slow.exe')], []), W);
    expect(h.counters.appCrashes).toBe(2);
    expect(h.events.map((e) => e.message)).toEqual([undefined, 'hang']);
    const onlyCrash = summarizeHealth(output([crash('02:02:20', 'slow.exe'), wer('02:02:30', 'AppHangB1', 'slow.exe')], []), W);
    expect(onlyCrash.counters.appCrashes).toBe(2);
  });

  it('WER reports that are not application crashes are not counted', () => {
    const names = ['BlueScreen', 'LiveKernelEvent', 'WindowsUpdateFailure3', 'AppHangTransient', 'StoreAgentInstallFailure1'];
    const h = summarizeHealth(output(names.map((n, i) => wer(`02:0${i}:00`, n, 'x.exe')), []), W);
    expect(h.counters.appCrashes).toBe(0);
    const counted = ['APPCRASH', 'BEX', 'BEX64', 'MoAppCrash', 'CLR20r3', 'appcrash', 'AppHangXProcB1'];
    expect(summarizeHealth(output(counted.map((n, i) => wer(`02:0${i % 5}:0${i}`, n, `${i}.exe`)), []), W).counters.appCrashes).toBe(counted.length);
  });

  it('one boot is one count: 41 + 6008 an unexpected shutdown, with a bugcheck a kernel crash', () => {
    const power = summarizeHealth(output([], [ev('Microsoft-Windows-Kernel-Power', 41, '02:01:00', ['0']), ev('EventLog', 6008, '02:01:06')]), W);
    expect(power.counters).toMatchObject({ kernelCrashes: 0, unexpectedShutdowns: 1 });
    const only6008 = summarizeHealth(output([], [ev('EventLog', 6008, '02:01:06')]), W);
    expect(only6008.counters).toMatchObject({ kernelCrashes: 0, unexpectedShutdowns: 1 });
    expect(only6008.events[0]!.subject).toBe('EventLog/6008');
    const code41 = summarizeHealth(output([], [ev('Microsoft-Windows-Kernel-Power', 41, '02:01:00', ['209']), ev('EventLog', 6008, '02:01:06')]), W);
    expect(code41.counters).toMatchObject({ kernelCrashes: 1, unexpectedShutdowns: 0 });
    expect(code41.events[0]!.subject).toBe('BugCheck 0x000000D1');
    const bugcheckOnly = summarizeHealth(output([], [ev('BugCheck', 1001, '02:03:00', ['0x0000007e (0xffffffffc0000005, 0x0, 0x0, 0x0)'])]), W);
    expect(bugcheckOnly.counters).toMatchObject({ kernelCrashes: 1, unexpectedShutdowns: 0 });
    expect(bugcheckOnly.events[0]!.subject).toBe('BugCheck 0x0000007E');
  });

  it('a boot whose first event fell before from was counted in the window before', () => {
    const h = summarizeHealth(output([], [ev('Microsoft-Windows-Kernel-Power', 41, '01:59:59.900', ['0']), ev('EventLog', 6008, '02:00:04')]), W);
    expect(h.counters).toMatchObject({ kernelCrashes: 0, unexpectedShutdowns: 0 });
    expect(h.events).toEqual([]);
  });

  it('a boot loop: a second 41 starts a new boot even within 10 minutes', () => {
    const h = summarizeHealth(
      output([], [ev('Microsoft-Windows-Kernel-Power', 41, '02:00:30', ['0']), ev('EventLog', 6008, '02:00:36'), ev('Microsoft-Windows-Kernel-Power', 41, '02:03:00', ['0']), ev('EventLog', 6008, '02:03:05')]),
      W,
    );
    expect(h.counters.unexpectedShutdowns).toBe(2);
  });

  it('services: 7031, 7034 and 7023 each count; the key name from the binary data, else the display name', () => {
    const scm = (id: number, time: string, name: string, binary: string | null): RawHealthEvent => ev('Service Control Manager', id, time, [name, '1'], { binary });
    const h = summarizeHealth(
      output([], [scm(7031, '02:01:00', 'Windows Update', '770075006100750073006500720076000000'), scm(7034, '02:02:00', 'Druckwarteschlange', null), scm(7023, '02:03:00', 'Foo', 'zz'), scm(7036, '02:04:00', 'Bar', null)]),
      W,
    );
    expect(h.counters.serviceFailures).toBe(3);
    expect(h.events.map((e) => e.subject)).toEqual(['Foo', 'Druckwarteschlange', 'wuauserv']);
  });

  it('lists at most MAX_HEALTH_EVENTS_PER_SAMPLE events, the newest, but counts them all', () => {
    const many = Array.from({ length: 30 }, (_, i) => crash(`02:0${Math.floor(i / 10)}:${String(10 + i).padStart(2, '0')}`, `app${i}.exe`));
    const h = summarizeHealth(output(many, []), W);
    expect(h.counters.appCrashes).toBe(30);
    expect(h.events).toHaveLength(MAX_HEALTH_EVENTS_PER_SAMPLE);
    expect(h.events[0]!.subject).toBe('app29.exe');
    expect(h.events.at(-1)!.subject).toBe('app10.exe');
  });

  it('clips subjects to 256 and messages to 512 characters', () => {
    const long = crash('02:01:00', 'a'.repeat(300));
    long.message = 'm'.repeat(600);
    const [e] = summarizeHealth(output([long], []), W).events;
    expect(e!.subject).toHaveLength(256);
    expect(e!.message).toHaveLength(512);
  });
});

describe('serviceKeyName', () => {
  it('reads the UTF-16LE, NUL-terminated service name', () => {
    expect(serviceKeyName('530070006F006F006C00650072000000')).toBe('Spooler');
    expect(serviceKeyName('770075006100750073006500720076002F0034000000')).toBe('wuauserv');
    expect(serviceKeyName(null)).toBeUndefined();
    expect(serviceKeyName('0000')).toBeUndefined();
    expect(serviceKeyName('41')).toBeUndefined();
  });
});
