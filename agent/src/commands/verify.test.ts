import { describe, expect, it } from 'vitest';
import { nodeEd25519 } from '@patchfleet/shared';
import { AGENT_ID, HOUR, T0, commandKeyPair, makeCommand, signFrame } from './test-support';
import { DEFAULT_MAX_CLOCK_SKEW_MS, verifyCommand, type VerifyContext } from './verify';

const keys = commandKeyPair();
const ctx = (over: Partial<VerifyContext> = {}): VerifyContext => ({ agentId: AGENT_ID, commandKey: keys.publicKey, now: T0 + 1000, maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS, ...over });
const codeOf = (out: ReturnType<typeof verifyCommand>): string | undefined => (out.ok ? undefined : out.error.code);

describe('verifyCommand', () => {
  it('accepts a command signed with the pinned key, for this agent, within its window', () => {
    expect(verifyCommand(signFrame(makeCommand(), keys.secretKey), ctx())).toEqual({ ok: true });
  });

  it('refuses a signature by another key', () => {
    const out = verifyCommand(signFrame(makeCommand(), nodeEd25519.generateKeyPair().secretKey), ctx());
    expect(codeOf(out)).toBe('PF_ERR_COMMAND_BAD_SIGNATURE');
    expect(out.ok === false && out.signatureValid).toBe(false);
  });

  it('refuses a command changed after signing (target, params, notAfter, action)', () => {
    const frame = signFrame(makeCommand(), keys.secretKey);
    const changes = [
      { target: 'USN-0000-1' },
      { params: { packages: [{ name: 'openssl', version: '9.9' }] } },
      { notAfter: T0 + 100 * HOUR },
      { action: 'reboot' as const, params: {} },
    ];
    for (const change of changes) {
      expect(codeOf(verifyCommand({ ...frame, command: { ...frame.command, ...change } }, ctx()))).toBe('PF_ERR_COMMAND_BAD_SIGNATURE');
    }
  });

  it('refuses a malformed signature and a malformed pinned key without throwing', () => {
    const frame = signFrame(makeCommand(), keys.secretKey);
    expect(codeOf(verifyCommand({ ...frame, signature: 'AAAA' }, ctx()))).toBe('PF_ERR_COMMAND_BAD_SIGNATURE');
    expect(codeOf(verifyCommand(frame, ctx({ commandKey: 'not-base64!' })))).toBe('PF_ERR_COMMAND_BAD_SIGNATURE');
  });

  it("refuses another agent's command, with signatureValid so it can be journaled", () => {
    const out = verifyCommand(signFrame(makeCommand({ agentId: 'agent-2' }), keys.secretKey), ctx());
    expect(codeOf(out)).toBe('PF_ERR_COMMAND_WRONG_AGENT');
    expect(out.ok === false && out.signatureValid).toBe(true);
  });

  it('refuses an expired command; notAfter itself is still valid', () => {
    const frame = signFrame(makeCommand(), keys.secretKey);
    expect(verifyCommand(frame, ctx({ now: T0 + HOUR })).ok).toBe(true);
    expect(codeOf(verifyCommand(frame, ctx({ now: T0 + HOUR + 1 })))).toBe('PF_ERR_COMMAND_EXPIRED');
  });

  it('refuses a command issued further in the future than the skew allows', () => {
    const frame = signFrame(makeCommand({ issuedAt: T0 + 60_000, notAfter: T0 + 2 * HOUR }), keys.secretKey);
    expect(verifyCommand(frame, ctx({ now: T0, maxClockSkewMs: 60_000 })).ok).toBe(true);
    expect(codeOf(verifyCommand(frame, ctx({ now: T0, maxClockSkewMs: 59_999 })))).toBe('PF_ERR_COMMAND_NOT_YET_VALID');
  });

  it('checks in order: signature, agent, expiry, not-yet-valid, params', () => {
    const bad = makeCommand({ agentId: 'agent-2', issuedAt: T0 + 10 * HOUR, notAfter: T0, params: {} });
    const other = nodeEd25519.generateKeyPair().secretKey;
    expect(codeOf(verifyCommand(signFrame(bad, other), ctx()))).toBe('PF_ERR_COMMAND_BAD_SIGNATURE');
    expect(codeOf(verifyCommand(signFrame(bad, keys.secretKey), ctx()))).toBe('PF_ERR_COMMAND_WRONG_AGENT');
    expect(codeOf(verifyCommand(signFrame({ ...bad, agentId: AGENT_ID }, keys.secretKey), ctx()))).toBe('PF_ERR_COMMAND_EXPIRED');
    expect(codeOf(verifyCommand(signFrame({ ...bad, agentId: AGENT_ID, notAfter: T0 + 20 * HOUR }, keys.secretKey), ctx()))).toBe('PF_ERR_COMMAND_NOT_YET_VALID');
    expect(codeOf(verifyCommand(signFrame({ ...bad, agentId: AGENT_ID, issuedAt: T0, notAfter: T0 + HOUR }, keys.secretKey), ctx()))).toBe('PF_ERR_COMMAND_BAD_PARAMS');
  });

  it('requires params that fit the action', () => {
    const check = (over: Parameters<typeof makeCommand>[0]) => codeOf(verifyCommand(signFrame(makeCommand(over), keys.secretKey), ctx()));
    const pkgs = [{ name: 'openssl', version: '1' }];
    expect(check({ action: 'install', params: {} })).toBe('PF_ERR_COMMAND_BAD_PARAMS');
    expect(check({ action: 'install', params: { packages: pkgs, kb: 'KB5072033' } })).toBe('PF_ERR_COMMAND_BAD_PARAMS');
    expect(check({ action: 'install', params: { packages: pkgs, msuPath: 'C:\\x.msu' } })).toBe('PF_ERR_COMMAND_BAD_PARAMS');
    expect(check({ action: 'install', params: { kb: 'KB5072033', msuPath: 'C:\\x.msu' } })).toBeUndefined();
    expect(check({ action: 'rollback', params: {} })).toBe('PF_ERR_COMMAND_BAD_PARAMS');
    expect(check({ action: 'rollback', params: { replaced: [{ name: 'openssl', from: '1', to: '2' }] } })).toBeUndefined();
    expect(check({ action: 'rollback', params: { kb: 'KB5072033' } })).toBeUndefined();
    expect(check({ action: 'reboot', params: {} })).toBeUndefined();
    expect(check({ action: 'reboot', params: { reason: 'kernel', delaySec: 60 } })).toBeUndefined();
  });
});
