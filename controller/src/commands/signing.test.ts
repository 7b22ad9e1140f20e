/** The command signature's canonical JSON, written out by hand on the hot path, against the general encoder agents verify with. */
import { describe, expect, it } from 'vitest';
import { canonicalJson, commandSigningPayload, nodeEd25519, verifyCanonical, type CommandParams } from '@patchfleet/shared';
import { commandPayloadJson, signCommands, signedCommandOf, type CommandFields } from './signing';

const keys = nodeEd25519.generateKeyPair();
const fields = (over: Partial<CommandFields> = {}): CommandFields => ({
  id: 'cmd_0123456789abcdef0123',
  hostId: 'ag_1',
  action: 'install',
  target: 'openssl',
  params: { packages: [{ name: 'openssl', version: '1.1-1' }] },
  issuedAt: new Date(Date.UTC(2026, 0, 5)),
  notAfter: new Date(Date.UTC(2026, 0, 5, 1)),
  ...over,
});

const cases: CommandFields[] = [
  fields(),
  fields({ action: 'reboot', params: { reason: 'patch "now"\n', delaySec: 60 } as CommandParams }),
  fields({ hostId: 'h\u00e9\u2028\ud83d\ude00', target: 'x\\y</script>', params: { z: 1, a: [true, null, 1.5, -0], m: { b: 'é', a: {} } } as unknown as CommandParams }),
  fields({ action: 'update-agent', issuedAt: new Date(0), notAfter: new Date(8.64e15) }),
];

describe('commandPayloadJson', () => {
  it('writes exactly the canonical JSON of the signing payload', () => {
    for (const f of cases) expect(commandPayloadJson(f)).toBe(canonicalJson(commandSigningPayload(signedCommandOf(f))));
  });

  it('refuses an invalid date, as the canonical encoder does', () => {
    const bad = fields({ notAfter: new Date(Number.NaN) });
    expect(() => canonicalJson(commandSigningPayload(signedCommandOf(bad)))).toThrow(/non-finite/);
    expect(() => commandPayloadJson(bad)).toThrow(/non-finite/);
  });
});

describe('signCommands', () => {
  it('signs each command so that it verifies against the general canonical form, and only that command', () => {
    const shared = { reason: 'wave', delaySec: 5 } as CommandParams;
    const batch = [...cases, fields({ id: 'cmd_a', params: shared }), fields({ id: 'cmd_b', hostId: 'ag_2', params: shared })];
    const signatures = signCommands(batch, keys.secretKey);
    expect(signatures).toHaveLength(batch.length);
    for (const [i, f] of batch.entries()) {
      expect(verifyCanonical(commandSigningPayload(signedCommandOf(f)), signatures[i] as string, keys.publicKey)).toBe(true);
      expect(verifyCanonical(commandSigningPayload(signedCommandOf({ ...f, hostId: `${f.hostId}x` })), signatures[i] as string, keys.publicKey)).toBe(false);
    }
  });
});
