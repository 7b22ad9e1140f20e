/**
 * Enrolls the simulated agents exactly as `patchfleet-agent enroll` does:
 * a fresh Ed25519 key pair per agent, presented with an enrollment token
 * over the pinned TLS channel (POST /api/v1/agents/enroll).
 */
import { nodeEd25519 } from '@patchfleet/shared';
import type { PinnedClient } from './http';
import { mapLimited } from './limit';

/** What a simulated agent keeps after enrollment (its identity file, in memory). */
export interface SimIdentity {
  agentId: string;
  secretKey: string;
}

/** Creates one enrollment token good for `uses` enrollments (admin API). */
export async function createEnrollmentToken(admin: PinnedClient, uses: number): Promise<string> {
  const made = await admin.call<{ token: string }>('POST', '/api/v1/enrollment-tokens', { uses, ttl: '2h', description: 'bench:fanout' });
  return made.token;
}

/** Enrolls `count` agents with at most `concurrency` requests in flight; reports progress every 10%. */
export async function enrollAgents(
  client: PinnedClient,
  opts: { token: string; count: number; concurrency: number; commandKey: string },
  progress: (done: number) => void,
): Promise<SimIdentity[]> {
  const { token, count, concurrency } = opts;
  let done = 0;
  const step = Math.max(1, Math.floor(count / 10));
  return mapLimited(Array.from({ length: count }, (_, i) => i), concurrency, async (i) => {
    const keys = nodeEd25519.generateKeyPair();
    const res = await client.call<{ agentId: string; commandKey: string }>(
      'POST',
      '/api/v1/agents/enroll',
      { token, publicKey: keys.publicKey, hostname: `bench-${String(i).padStart(5, '0')}`, platform: 'linux', agentVersion: 'bench-fanout' },
      { auth: false },
    );
    // A real agent pins the key it is given here; the bench verifies with bootstrap.json's, so they must agree.
    if (res.commandKey !== opts.commandKey) throw new Error(`enrollment returned command key ${res.commandKey}, bootstrap.json has ${opts.commandKey}`);
    done += 1;
    if (done % step === 0) progress(done);
    return { agentId: res.agentId, secretKey: keys.secretKey };
  });
}
