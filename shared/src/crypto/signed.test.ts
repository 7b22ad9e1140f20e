import { describe, it, expect } from 'vitest';
import { naclEd25519, nodeEd25519 } from './ed25519';
import { authChallengePayload, signCanonical, verifyCanonical } from './signed';

const command = {
  commandId: 'c-42',
  agentId: 'a-1',
  action: 'install',
  target: { name: 'openssl', version: '3.0.13-0ubuntu3.4' },
  params: { reboot: false },
  issuedAt: 1_700_000_000_000,
  notAfter: 1_700_000_600_000,
};

describe('signCanonical / verifyCanonical', () => {
  const pair = nodeEd25519.generateKeyPair();

  it('verifies a value whose keys were written in another order', () => {
    const sig = signCanonical(command, pair.secretKey);
    const reordered = { notAfter: command.notAfter, params: command.params, target: { version: command.target.version, name: command.target.name }, issuedAt: command.issuedAt, action: command.action, agentId: command.agentId, commandId: command.commandId };
    expect(verifyCanonical(reordered, sig, pair.publicKey)).toBe(true);
  });

  it('refuses a value with any field changed', () => {
    const sig = signCanonical(command, pair.secretKey);
    expect(verifyCanonical({ ...command, agentId: 'a-2' }, sig, pair.publicKey)).toBe(false);
    expect(verifyCanonical({ ...command, notAfter: command.notAfter + 1 }, sig, pair.publicKey)).toBe(false);
    expect(verifyCanonical({ ...command, target: { ...command.target, version: '3.0.14' } }, sig, pair.publicKey)).toBe(false);
    expect(verifyCanonical({ ...command, extra: 1 }, sig, pair.publicKey)).toBe(false);
  });

  it('works across implementations in both directions', () => {
    const byNacl = signCanonical(command, pair.secretKey, naclEd25519);
    const byNode = signCanonical(command, pair.secretKey, nodeEd25519);
    expect(byNacl).toBe(byNode);
    expect(verifyCanonical(command, byNacl, pair.publicKey, nodeEd25519)).toBe(true);
    expect(verifyCanonical(command, byNode, pair.publicKey, naclEd25519)).toBe(true);
  });

  it('refuses to sign what has no canonical form', () => {
    expect(() => signCanonical({ n: Number.NaN }, pair.secretKey)).toThrow(TypeError);
  });
});

describe('authChallengePayload', () => {
  it('binds purpose, agent, session and nonce', () => {
    expect(authChallengePayload('a', 's', 'n')).toEqual({ purpose: 'patchfleet/agent-auth/1', agentId: 'a', sessionId: 's', nonce: 'n' });
    const pair = naclEd25519.generateKeyPair();
    const sig = signCanonical(authChallengePayload('a', 's1', 'n'), pair.secretKey);
    expect(verifyCanonical(authChallengePayload('a', 's2', 'n'), sig, pair.publicKey)).toBe(false);
    expect(verifyCanonical(authChallengePayload('b', 's1', 'n'), sig, pair.publicKey)).toBe(false);
  });
});
