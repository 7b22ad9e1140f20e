import { describe, expect, it } from 'vitest';
import { describeExitCode, EXIT_CODES, exitCodeLabel, outcomeError, unsignedCode, type ServicingOutcome } from './exit-codes';
import { fixture } from './test-fixtures';

interface Case {
  tool: string;
  operation: string;
  exitCode: number;
  outcome: ServicingOutcome;
  ok: boolean;
  error: string | null;
}

const cases = JSON.parse(fixture('exit-codes.json').toString('utf8')) as Case[];

describe('exit code table', () => {
  it.each(cases.map((c) => [`${c.tool} ${c.operation} ${c.exitCode}`, c] as const))('%s', (_name, c) => {
    const info = describeExitCode(c.exitCode);
    expect(info.outcome).toBe(c.outcome);
    expect(info.ok).toBe(c.ok);
    expect(outcomeError(info.outcome)?.code ?? null).toBe(c.error);
  });

  it('reads signed and unsigned HRESULTs alike', () => {
    expect(unsignedCode(-2145124329)).toBe(0x80240017);
    expect(unsignedCode(2149842967)).toBe(0x80240017);
    expect(unsignedCode(-2146498530)).toBe(2148468766);
    expect(describeExitCode(-2146498530)).toEqual(describeExitCode(2148468766));
    expect(describeExitCode(-2146498530).name).toBe('CBS_E_NOT_APPLICABLE');
  });

  it('does not take the magnitude of a signed HRESULT for the code', () => {
    // 2145124329 is -(0x80240017) without its sign: 0x7FDBFFE9, no known code.
    expect(describeExitCode(2145124329).outcome).toBe('failed');
  });

  it('refuses values that are no 32-bit code', () => {
    expect(unsignedCode(2 ** 32)).toBeUndefined();
    expect(unsignedCode(-(2 ** 31) - 1)).toBeUndefined();
    expect(unsignedCode(1.5)).toBeUndefined();
    expect(describeExitCode(null)).toMatchObject({ code: null, outcome: 'failed', ok: false });
  });

  it('flags restarts', () => {
    expect(describeExitCode(3010)).toMatchObject({ ok: true, rebootRequired: true, rebootInitiated: false });
    expect(describeExitCode(1641)).toMatchObject({ ok: true, rebootRequired: true, rebootInitiated: true });
    expect(describeExitCode(0)).toMatchObject({ ok: true, rebootRequired: false, rebootInitiated: false });
  });

  it('labels codes as Windows documents them', () => {
    expect(exitCodeLabel(describeExitCode(3010))).toBe('3010 (ERROR_SUCCESS_REBOOT_REQUIRED)');
    expect(exitCodeLabel(describeExitCode(-2145124329))).toBe('0x80240017 (WU_E_NOT_APPLICABLE)');
    expect(exitCodeLabel(describeExitCode(2359302))).toBe('0x00240006 (WU_S_ALREADY_INSTALLED)');
    expect(exitCodeLabel(describeExitCode(0x80004005))).toBe('0x80004005');
  });

  it('holds each code once, every entry with a source', () => {
    const codes = EXIT_CODES.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const e of EXIT_CODES) expect(e.source.length).toBeGreaterThan(10);
  });
});
