import { describe, expect, it } from 'vitest';
import {
  buildPowerShellInvocation,
  compactScript,
  encodeCommand,
  MAX_ENCODED_COMMAND_CHARS,
  nodeExec,
  powerShellPath,
  runPowerShell,
  runPowerShellJson,
  wrapScriptForJson,
  type ExecFn,
  type ExecOutcome,
} from './powershell';
import { rejection } from '@patchfleet/test/support/errors';

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf16le');
const env = { SystemRoot: 'C:\\Windows' };

describe('buildPowerShellInvocation', () => {
  it('runs Windows PowerShell 5.1 by full path with the exact switches and the script as -EncodedCommand', () => {
    const script = "Get-Item -LiteralPath 'HKLM:\\SOFTWARE' | Select-Object Name";
    const inv = buildPowerShellInvocation(script, { env, processArch: 'x64' });
    expect(inv.file).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(inv.args.slice(0, 7)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-OutputFormat', 'Text', '-EncodedCommand']);
    expect(inv.args).toHaveLength(8);
    expect(decode(inv.args[7]!)).toBe(script);
  });

  it('encodes the script as UTF-16LE base64, non-ASCII and quotes included', () => {
    expect(encodeCommand('dir')).toBe('ZABpAHIA');
    const script = `Write-Output "NT-AUTORITÄT\\SYSTEM" 'it''s' $env:TEMP & | %`;
    const b64 = buildPowerShellInvocation(script, { env }).args[7]!;
    expect(b64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decode(b64)).toBe(script);
  });

  it('takes the Windows directory from SystemRoot, without a trailing backslash', () => {
    expect(powerShellPath({ env: { SystemRoot: 'D:\\WINNT\\' }, processArch: 'x64' })).toBe('D:\\WINNT\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(powerShellPath({ env: {}, processArch: 'x64' })).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
  });

  it('uses Sysnative from a 32-bit agent on 64-bit Windows, System32 otherwise', () => {
    const wow = { SystemRoot: 'C:\\Windows', PROCESSOR_ARCHITEW6432: 'AMD64' };
    expect(powerShellPath({ env: wow, processArch: 'ia32' })).toBe('C:\\Windows\\Sysnative\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(powerShellPath({ env: { SystemRoot: 'C:\\Windows' }, processArch: 'ia32' })).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(powerShellPath({ env: wow, processArch: 'arm64' })).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
  });

  it('refuses a script whose encoding would not fit a Windows command line', () => {
    const big = 'x'.repeat(Math.ceil((MAX_ENCODED_COMMAND_CHARS * 3) / 8) + 10);
    expect(() => buildPowerShellInvocation(big, { env })).toThrow(/too long for -EncodedCommand/);
    expect(() => buildPowerShellInvocation('x'.repeat(11_000), { env })).not.toThrow();
  });
});

describe('wrapScriptForJson', () => {
  it('adds the UTF-8, Stop and progress prologue and prints the result with ConvertTo-Json -InputObject -Compress', () => {
    expect(wrapScriptForJson("  ,@(Get-HotFix)\n\n  # a comment\n", 3)).toBe(
      [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
        '$pfResult = & {',
        ',@(Get-HotFix)',
        '}',
        'ConvertTo-Json -InputObject $pfResult -Depth 3 -Compress',
      ].join('\n'),
    );
  });

  it('defaults to depth 8', () => {
    expect(wrapScriptForJson('1').split('\n').at(-1)).toBe('ConvertTo-Json -InputObject $pfResult -Depth 8 -Compress');
  });
});

describe('compactScript', () => {
  it('drops indentation, blank lines and whole-line comments, keeping # inside code', () => {
    expect(compactScript("\r\n    # why\r\n    $a = '#1'   \r\n\r\n\t$b = 2 # trailing\r\n")).toBe("$a = '#1'\n$b = 2 # trailing");
  });
});

function fakeExec(outcome: Partial<ExecOutcome>, calls: { file: string; args: readonly string[]; env: NodeJS.ProcessEnv; timeoutMs: number }[] = []): ExecFn {
  return async (file, args, opts) => {
    calls.push({ file, args, env: opts.env, timeoutMs: opts.timeoutMs });
    return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, timedOut: false, ...outcome };
  };
}

describe('runPowerShell', () => {
  it('passes the built command line, drops an inherited PSModulePath and decodes stdout', async () => {
    const calls: Parameters<typeof fakeExec>[1] = [];
    const stdout = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"ä"}\r\n', 'utf8')]);
    const text = await runPowerShell('1', {
      env: { SystemRoot: 'C:\\Windows', PSModulePath: 'C:\\Program Files\\PowerShell\\7\\Modules', Path: 'C:\\Windows' },
      processArch: 'x64',
      timeoutMs: 5000,
      exec: fakeExec({ stdout }, calls),
    });
    expect(text).toBe('{"a":"ä"}\r\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.file).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(calls[0]!.args).toEqual(buildPowerShellInvocation('1', { env }).args);
    expect(calls[0]!.timeoutMs).toBe(5000);
    expect(calls[0]!.env).toEqual({ SystemRoot: 'C:\\Windows', Path: 'C:\\Windows' });
  });

  it('fails with PF_ERR_POWERSHELL_FAILED and the decoded CLIXML error on a non-zero exit', async () => {
    const stderr = Buffer.from(
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">Get-HotFix : Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))_x000D__x000A_</S><S S="Error">At line:5 char:3_x000D__x000A_</S></Objs>',
    );
    const err = await rejection(runPowerShell('Get-HotFix', { env, exec: fakeExec({ exitCode: 1, stderr }) }));
    expect(err.code).toBe('PF_ERR_POWERSHELL_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(
      'powershell.exe exited with code 1: Get-HotFix : Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED)) At line:5 char:3',
    );
    expect(err.details).toMatchObject({ exitCode: 1, timedOut: false });
  });

  it('says so when a non-zero exit printed nothing on stderr', async () => {
    const err = await rejection(runPowerShell('exit 3', { env, exec: fakeExec({ exitCode: 3 }) }));
    expect(err.message).toBe('powershell.exe exited with code 3 (no error output)');
  });

  it('reports a timeout and a start failure', async () => {
    const timeout = await rejection(runPowerShell('1', { env, timeoutMs: 250, exec: fakeExec({ exitCode: null, timedOut: true }) }));
    expect(timeout.message).toBe('powershell.exe did not finish within 250 ms');
    const enoent = await rejection(runPowerShell('1', { env, exec: fakeExec({ exitCode: null, failure: 'spawn C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe ENOENT' }) }));
    expect(enoent.code).toBe('PF_ERR_POWERSHELL_FAILED');
    expect(enoent.message).toMatch(/^powershell.exe failed: spawn .* ENOENT$/);
  });
});

describe('runPowerShellJson', () => {
  it('runs the wrapped body and parses the JSON it prints', async () => {
    const calls: Parameters<typeof fakeExec>[1] = [];
    const value = await runPowerShellJson(',@(1)', 'test JSON', { env, depth: 2, exec: fakeExec({ stdout: Buffer.from('[1]\r\n') }, calls) });
    expect(value).toEqual([1]);
    expect(decode(calls[0]!.args[7]!)).toBe(wrapScriptForJson(',@(1)', 2));
  });

  it('fails with PF_ERR_BAD_INPUT when stdout is not JSON', async () => {
    const err = await rejection(runPowerShellJson('1', 'test JSON', { env, exec: fakeExec({ stdout: Buffer.from('oops') }) }));
    expect(err.code).toBe('PF_ERR_BAD_INPUT');
    expect(err.message).toMatch(/^test JSON: invalid JSON at line 1 column 1/);
  });
});

// nodeExec is exercised with real processes (Node itself stands in for powershell.exe).
describe('nodeExec', () => {
  const node = process.execPath;
  const opts = { timeoutMs: 10_000, maxBufferBytes: 1024 * 1024, env: process.env };

  it('returns stdout, stderr and the exit code', async () => {
    const r = await nodeExec(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exitCode = 3'], opts);
    expect(Buffer.from(r.stdout).toString()).toBe('out');
    expect(Buffer.from(r.stderr).toString()).toBe('err');
    expect(r).toMatchObject({ exitCode: 3, timedOut: false });
    expect(r.failure).toBeUndefined();
  });

  it('closes stdin so a program reading it does not wait', async () => {
    const r = await nodeExec(node, ['-e', 'process.stdin.resume(); process.stdin.on("end", () => process.stdout.write("eof"))'], opts);
    expect(Buffer.from(r.stdout).toString()).toBe('eof');
  });

  it('kills a process that runs too long', async () => {
    const r = await nodeExec(node, ['-e', 'setTimeout(() => {}, 20000)'], { ...opts, timeoutMs: 300 });
    expect(r).toMatchObject({ exitCode: null, timedOut: true });
  });

  it('reports a program that cannot start and output over the limit', async () => {
    const missing = await nodeExec('/nonexistent/powershell.exe', [], opts);
    expect(missing.exitCode).toBeNull();
    expect(missing.failure).toMatch(/ENOENT/);
    const big = await nodeExec(node, ['-e', 'process.stdout.write("x".repeat(5000))'], { ...opts, maxBufferBytes: 100 });
    expect(big.failure).toMatch(/maxBuffer/);
    expect(big.timedOut).toBe(false);
  });
});
