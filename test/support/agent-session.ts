/**
 * An enrolled agent's session spoken by the test itself (hello, signed
 * challenge, welcome) over a raw WebSocket: the test then sends exactly the
 * inventory frames it wants the controller to assess.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authChallengePayload, canonicalBytes, makeFrame, nodeEd25519, type Package } from '@patchfleet/shared';
import type { Bootstrap } from './api';
import { connectRaw, type RawClient } from './ws-client';

/** Opens an authenticated session for the agent enrolled into `stateDir` (its identity.json), announcing `capabilities` (none by default). */
export async function agentSession(boot: Bootstrap, stateDir: string, capabilities: string[] = []): Promise<{ c: RawClient; agentId: string }> {
  const id = JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string; secretKey: string };
  const c = await connectRaw(boot.url, boot.caFingerprint);
  c.send(makeFrame('hello', { agentId: id.agentId, agentVersion: 'test', platform: 'linux', capabilities }, Date.now()));
  const ch = await c.next();
  if (ch.type !== 'challenge') throw new Error(`expected challenge, got ${ch.type}`);
  c.send(makeFrame('auth', { agentId: id.agentId, sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload(id.agentId, ch.sessionId, ch.nonce)), id.secretKey) }, Date.now()));
  const welcome = await c.next();
  if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  return { c, agentId: id.agentId };
}

/** The small Ubuntu 24.04 package list of test/fixtures/assess (it misses USN-6756-1 and USN-7604-1 of the bundled advisories). */
export function ubuntuPackages(): Package[] {
  return readFileSync(new URL('../fixtures/assess/dpkg-ubuntu-24.04-small.tsv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [bin, version, sourceName, sourceVersion] = line.split('\t') as [string, string, string, string];
      const [name, arch = 'amd64'] = bin.split(':') as [string, string?];
      return { name, version, sourceName, sourceVersion, arch, manager: 'dpkg' as const };
    });
}
