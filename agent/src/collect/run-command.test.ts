import { describe, it, expect } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { findExecutable } from './find-executable';
import { runCommand } from './run-command';

describe('runCommand', () => {
  it('passes arguments without a shell and resolves non-zero exits with their code', async () => {
    const r = await runCommand('/bin/sh', ['-c', 'printf "%s" "$1"; exit 3', 'sh', '$HOME; echo no'], { timeoutMs: 5000 });
    expect(r).toEqual({ stdout: '$HOME; echo no', stderr: '', code: 3 });
  });

  it('runs in the C locale', async () => {
    expect((await runCommand('/bin/sh', ['-c', 'printf "%s" "$LC_ALL"'], { timeoutMs: 5000 })).stdout).toBe('C');
  });

  it('fails with PF_ERR_COLLECT_FAILED for a missing program, a timeout and too much output', async () => {
    const calls = [
      () => runCommand('/nonexistent/pf-no-such-tool', [], { timeoutMs: 5000 }),
      () => runCommand('/bin/sh', ['-c', 'sleep 5'], { timeoutMs: 100 }),
      () => runCommand('/bin/sh', ['-c', 'head -c 5000 /dev/zero'], { timeoutMs: 5000, maxBuffer: 1000 }),
    ];
    const messages: string[] = [];
    for (const call of calls) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(isPfError(err) && err.code).toBe('PF_ERR_COLLECT_FAILED');
      messages.push((err as Error).message);
    }
    expect(messages[1]).toMatch(/timed out after 100 ms/);
    expect(messages[2]).toMatch(/maxBuffer/);
  });
});

describe('findExecutable', () => {
  it('finds programs on PATH or in the standard directories, and nothing for unknown names', async () => {
    expect(await findExecutable('sh', '')).toMatch(/^\/(usr\/)?s?bin\/sh$/);
    expect(await findExecutable('pf-no-such-tool-4711')).toBeUndefined();
  });
});
