/**
 * The one real controller of a rollout run: `patchfleet serve --simulation`
 * forked with an IPC channel (test/support/sim-controller.ts), on PGlite in
 * the run's temporary data directory or on a fresh PostgreSQL database, and
 * what the runner does as its admin: read bootstrap.json, set the health
 * sample interval, apply a ring policy, enroll the hosts with the real
 * enrollment route, import catalog batches, order rollouts, read the
 * decisions at the end.
 *
 * Settings and why:
 * - health samples every hour (intervalSec 3600): the coarsest interval the
 *   hourly roll-up counts exactly (it caps a host-hour at 3600 s), so 2,000
 *   hosts x 21 days are 1 million samples, not the 12 million of the
 *   5-minute default; the gates compare rates per online host-hour, which
 *   the interval does not change.
 * - heartbeatSec 3600: a host counts as online when seen within three
 *   heartbeats; the simulated hosts speak once per virtual hour.
 * - per-address limits lifted: every simulated host connects from 127.0.0.1;
 *   and a new connection gets a minute (not 5 s) to finish TLS and send its
 *   first request: thousands of handshakes queue up behind a busy controller.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeEd25519, sha256Hex } from '@patchfleet/shared';
import { uploadFiles } from '@patchfleet/controller/src/client/upload';
import { PinnedClient } from '../../bench/fanout/http';
import { mapLimited } from '../../bench/fanout/limit';
import { agentIdFromKey } from '@patchfleet/controller/src/enrollment/enroll';
import { forkControllerProcess, type ForkedController } from '../../support/sim-controller';
import { rolloutRequest, writeImportBatch, type CatalogSetup, type ImportBatch } from '../catalog-setup';
import type { SimHost as ModelHost } from '../fleet-model';
import { enrollmentTokenRequest } from '../inventory';
import { HOLD_SCORE } from '@patchfleet/controller/src/reliability/decision';
import { heldPatches, type BlockView, type PatchDecisionView, type PatchHalt } from './bookkeeping';
import type { SimIdentity } from './sim-host';

export interface Bootstrap {
  url: string;
  adminToken: string;
  caFingerprint: string;
  commandKey: string;
}

/** Ring settings as the rings API takes them (POST/PATCH /api/v1/rings), with the name that identifies the ring. */
export interface PolicyRing {
  name: string;
  [setting: string]: unknown;
}

/** A ring policy for what-if runs: the rings (replacing the defaults: rings not named are deleted) and optional assignment rules. */
export interface RingPolicy {
  name?: string;
  rings: PolicyRing[];
  rules?: unknown[];
}

export interface SimController {
  fork: ForkedController;
  boot: Bootstrap;
  admin: PinnedClient;
  /** Data directory (PGlite database, bootstrap.json, the import files). */
  dataDir: string;
}

const CPU_PROFILE_PRELOAD = fileURLToPath(new URL('../../bench/fanout/cpu-profile.ts', import.meta.url));

/** Environment of the simulated controller (see the file comment); with `cpuProfDir` it writes a CPU profile there when it stops. */
/**
 * The embedded page cache (MiB) of a simulated controller with `hosts` hosts: thousands of hosts' hourly
 * samples outgrow PGlite's 128 MiB within days (db/index.ts openDatabase); 512 made a 6-day run of 2,000
 * hosts 14 % faster. Small fleets keep the default (512 costs about 400 MB and a second at start).
 */
export const simCacheMb = (hosts: number): number | undefined => (hosts >= 1000 ? 512 : undefined);

export function controllerEnv(cpuProfDir?: string, cacheMb?: number): NodeJS.ProcessEnv {
  const profile: NodeJS.ProcessEnv = cpuProfDir
    ? { PF_BENCH_CPU_PROF_DIR: resolve(cpuProfDir), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import tsx --import ${JSON.stringify(CPU_PROFILE_PRELOAD)}`.trim() }
    : {};
  return {
    ...profile,
    PATCHFLEET_LOG_LEVEL: 'warn',
    PATCHFLEET_HEARTBEAT_SEC: '3600',
    PATCHFLEET_ENROLL_RATE_PER_MIN: '1000000',
    PATCHFLEET_API_RATE_PER_MIN: '1000000',
    PATCHFLEET_MAX_CONNECTIONS_PER_ADDRESS: '100000',
    PATCHFLEET_MAX_UNAUTH_CONNECTIONS: '100000',
    PATCHFLEET_CONNECT_IDLE_SEC: '60',
    ...(cacheMb === undefined ? {} : { PATCHFLEET_EMBEDDED_CACHE_MB: String(cacheMb) }),
  };
}

/** Forks the controller on 127.0.0.1, on `port` when given (a later `--port` overrides the free port the fork helper asks for). */
export async function startSimController(opts: { dataDir: string; databaseUrl: string | undefined; startMs: number; tickSec: number; cpuProfDir?: string | undefined; port?: number | undefined; cacheMb?: number | undefined }): Promise<SimController> {
  const fork = await forkControllerProcess({
    dataDir: opts.dataDir,
    databaseUrl: opts.databaseUrl,
    simulation: { start: new Date(opts.startMs).toISOString(), tickSec: opts.tickSec },
    env: controllerEnv(opts.cpuProfDir, opts.cacheMb),
    ...(opts.port === undefined ? {} : { extraArgs: ['--port', String(opts.port)] }),
  });
  const boot = JSON.parse(readFileSync(join(opts.dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
  return { fork, boot, admin: new PinnedClient(boot.url, boot.caFingerprint, boot.adminToken, 8), dataDir: opts.dataDir };
}

/** Sets the health sample interval pushed to every agent. */
export async function setHealthInterval(c: SimController, intervalSec: number): Promise<void> {
  await c.admin.call('PUT', '/api/v1/settings/health', { intervalSec });
}

/** Replaces the rings with the policy's (PATCH the ones that exist by name, POST the others, DELETE the rest), then its rules. */
export async function applyPolicy(c: SimController, policy: RingPolicy): Promise<void> {
  const existing = (await c.admin.call<{ items: { id: string; name: string }[] }>('GET', '/api/v1/rings')).items;
  for (const ring of policy.rings) {
    const found = existing.find((r) => r.name === ring.name);
    if (found) {
      const { name: _name, ...settings } = ring;
      if (Object.keys(settings).length > 0) await c.admin.call('PATCH', `/api/v1/rings/${found.id}`, settings);
    } else await c.admin.call('POST', '/api/v1/rings', ring);
  }
  for (const r of existing) if (!policy.rings.some((p) => p.name === r.name)) await c.admin.call('DELETE', `/api/v1/rings/${r.id}`);
  if (policy.rules) await c.admin.call('PUT', '/api/v1/ring-rules', { items: policy.rules });
}

/** The key pair of host `index` of a scenario: derived from the seed, so a run's hosts are the same hosts every time. */
export function hostSecretKey(seed: number, index: number): string {
  return Buffer.from(sha256Hex(`patchfleet-sim/host-key/${seed}/${index}`), 'hex').toString('base64');
}

/** Network errors after which an enrollment is tried again (a connection the busy controller dropped). */
const TRANSIENT = /ECONNRESET|EPIPE|socket hang up|got no answer in time/;
const ENROLL_ATTEMPTS = 4;

/** Hosts enrolled with one token: concurrent enrollments with one token queue on its row (its use count). */
const HOSTS_PER_TOKEN = 50;

/**
 * Enrolls every host with the real enrollment route: tokens carrying the
 * class's labels (role, criticality), one per HOSTS_PER_TOKEN hosts of a
 * class, each host its own key. Resolves with the identities in fleet order.
 */
export async function enrollHosts(c: SimController, setup: CatalogSetup, seed: number, hosts: readonly ModelHost[], concurrency: number, progress: (n: number) => void): Promise<SimIdentity[]> {
  const tokenOf = new Map<number, string>();
  for (const cls of setup.classes) {
    const members = hosts.filter((h) => h.className === cls.name);
    for (let i = 0; i < members.length; i += HOSTS_PER_TOKEN) {
      const chunk = members.slice(i, i + HOSTS_PER_TOKEN);
      const made = await c.admin.call<{ token: string }>('POST', '/api/v1/enrollment-tokens', enrollmentTokenRequest(setup, cls.name, chunk.length));
      for (const h of chunk) tokenOf.set(h.index, made.token);
    }
  }
  const enroller = new PinnedClient(c.boot.url, c.boot.caFingerprint, undefined, concurrency);
  let done = 0;
  const step = Math.max(1, Math.floor(hosts.length / 10));
  try {
    return await mapLimited(hosts, concurrency, async (h) => {
      const secretKey = hostSecretKey(seed, h.index);
      const publicKey = nodeEd25519.publicKeyOf(secretKey);
      const platform = setup.classes.find((x) => x.name === h.className)!.os.platform;
      const body = { token: tokenOf.get(h.index), publicKey, hostname: h.hostname, platform, agentVersion: 'sim-1' };
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await enroller.call<{ agentId: string; commandKey: string }>('POST', '/api/v1/agents/enroll', body, { auth: false });
          // A real agent pins the key it is given here; the hosts verify with bootstrap.json's, so they must agree.
          if (res.commandKey !== c.boot.commandKey) throw new Error(`enrollment returned command key ${res.commandKey}, bootstrap.json has ${c.boot.commandKey}`);
          if (++done % step === 0) progress(done);
          return { index: h.index, agentId: res.agentId, secretKey };
        } catch (err) {
          const message = (err as Error).message;
          // The answer to an earlier attempt was lost, not the enrollment: in simulation mode the id follows from the key.
          if (attempt > 1 && /PF_ERR_AGENT_KEY_IN_USE/.test(message)) return { index: h.index, agentId: agentIdFromKey(publicKey), secretKey };
          if (attempt >= ENROLL_ATTEMPTS || !TRANSIENT.test(message)) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    });
  } finally {
    enroller.close();
  }
}

/** Imports one release's feed files through the catalog import route (nothing to do for bundled patches). */
export async function importBatch(c: SimController, batch: ImportBatch): Promise<void> {
  if (batch.files.length === 0) return;
  const files = await writeImportBatch(batch, join(c.dataDir, 'sim-imports'));
  await uploadFiles({ server: c.boot.url, token: c.boot.adminToken, caFingerprint: c.boot.caFingerprint }, '/api/v1/catalog/imports', files);
}

/** Orders the rollout of one patch as an operator would (the catalog's release date; never expedited). Undefined when no host needs it. */
export async function orderRollout(c: SimController, setup: CatalogSetup, patchId: string): Promise<string | undefined> {
  try {
    const made = await c.admin.call<{ id: string }>('POST', '/api/v1/rollouts', rolloutRequest(setup, patchId));
    return made.id;
  } catch (err) {
    if (/PF_ERR_NOTHING_TO_ROLL_OUT/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** A rollout as GET /api/v1/rollouts/:id shows it (the fields read here). */
export interface RolloutState {
  id: string;
  name: string;
  state: string;
  stateReason: string | null;
  updatedAt: string;
  content: { patches: string[] };
}

/** Blocks in force and the runner's rollouts that halted: what keeps patches from hosts at the end. */
export async function readDecisions(c: SimController, rolloutIds: readonly string[]): Promise<{ blocks: BlockView[]; halts: PatchHalt[]; rollouts: RolloutState[] }> {
  const blocks = (await c.admin.call<{ items: BlockView[] }>('GET', '/api/v1/blocks?state=active&limit=500')).items;
  const rollouts: RolloutState[] = [];
  for (const id of rolloutIds) rollouts.push(await c.admin.call<RolloutState>('GET', `/api/v1/rollouts/${id}`));
  const halts: PatchHalt[] = rollouts
    .filter((r) => r.state === 'halted')
    .flatMap((r) => r.content.patches.map((patchId) => ({ patchId, at: Date.parse(r.updatedAt), reason: r.stateReason ?? 'halted' })));
  // Active rollouts the reliability decision holds at their first ring (or blocks) keep the patch from every class too.
  const carried = [...new Set(rollouts.filter((r) => r.state === 'active').flatMap((r) => r.content.patches))];
  const decisions: PatchDecisionView[] = [];
  for (const patchId of carried) decisions.push({ patchId, ...(await c.admin.call<Omit<PatchDecisionView, 'patchId'>>('GET', `/api/v1/patches/${encodeURIComponent(patchId)}/reliability`)) });
  halts.push(...heldPatches(rollouts, decisions, blocks, HOLD_SCORE));
  return { blocks, halts, rollouts };
}
