/**
 * The update-agent executor against a real HTTPS server (certificate pinned
 * as enrollment would) serving /downloads/<name> from a folder, with shell
 * scripts standing in for executables: the release checks refuse and leave
 * the "executable" alone; a new one that exits is reverted; one that writes
 * the confirmation is kept and the old process is told to exit. The real
 * executables are exercised in test/e2e/agent-update.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { certFingerprint, nodeEd25519, systemClock, type SignedCommand } from '@patchfleet/shared';
import { isPfError } from '@patchfleet/shared/errors';
import { RELEASE_PURPOSE, signRelease, type ReleaseSigned } from '@patchfleet/shared/release';
import { makeCommand, memoryLog } from '../commands/test-support';
import type { ExecOutcome } from '../commands/executors';
import { updateAgentExecutor } from './executor';
import { readPending } from './pending';

const OLD = '#!/bin/sh\necho old agent\n';
let dir: string;
let served: string;
let server: Server;
let serverUrl: string;
let fingerprint: string;
const key = nodeEd25519.generateKeyPair();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-update-exec-'));
  served = join(dir, 'served');
  execFileSync('mkdir', ['-p', served]);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=pf-update-test'], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  fingerprint = certFingerprint(new X509Certificate(cert).raw);
  server = createServer({ cert, key: readFileSync(join(dir, 'key.pem')) }, (req, res) => {
    const name = decodeURIComponent((req.url ?? '').replace(/^\/downloads\//, ''));
    const path = join(served, name);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(path).size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Publishes `body` as release `version` (file patchfleet-agent-<version>) with metadata `manifest`; `after` may change things after signing. */
function publish(version: string, body: string, opts: { manifest?: string; expires?: string; signWith?: string; tamper?: (meta: { signed: ReleaseSigned }) => void; changeFile?: boolean } = {}): string {
  const name = `patchfleet-agent-${version}`;
  writeFileSync(join(served, name), body);
  const signed: ReleaseSigned = {
    purpose: RELEASE_PURPOSE,
    version,
    expires: opts.expires ?? new Date(Date.now() + 86_400_000).toISOString(),
    files: [{ platform: 'linux-x64', name, sha256: createHash('sha256').update(body).digest('hex'), size: Buffer.byteLength(body) }],
  };
  const meta = signRelease(signed, opts.signWith ?? key.secretKey);
  opts.tamper?.(meta);
  if (opts.changeFile) writeFileSync(join(served, name), body.replace('0', '1'));
  const manifest = opts.manifest ?? `agent-release-${version}.json`;
  writeFileSync(join(served, manifest), JSON.stringify(meta));
  return manifest;
}

describe('update-agent executor', () => {
  let stateDir: string;
  let exe: string;
  let exited: number[];
  let link: string[];

  const executor = () =>
    updateAgentExecutor({
      stateDir,
      source: { serverUrl, caFingerprint: fingerprint },
      releaseKey: key.publicKey,
      runningVersion: '0.1.0',
      platform: 'linux-x64',
      exePath: exe,
      args: ['run', '--state-dir', stateDir],
      clock: systemClock,
      log: memoryLog().log,
      suspend: async () => void link.push('suspend'),
      resume: () => void link.push('resume'),
      exit: (code) => void exited.push(code),
    });
  const command = (version: string, manifest: string, over: Partial<SignedCommand['params']> = {}): SignedCommand =>
    makeCommand({ commandId: `cmd-${version}-${Math.random().toString(36).slice(2, 8)}`, action: 'update-agent', target: `agent ${version}`, params: { version, manifest, confirmWithinSec: 10, ...over } });
  const codeOf = async (p: Promise<ExecOutcome>): Promise<string> =>
    p.then(
      (o) => (o.ok ? 'ok' : (o.error?.code ?? 'failed')),
      (err: unknown) => (isPfError(err) ? err.code : String(err)),
    );

  beforeEach(() => {
    stateDir = mkdtempSync(join(dir, 'state-'));
    exe = join(stateDir, 'patchfleet-agent');
    writeFileSync(exe, OLD);
    chmodSync(exe, 0o755);
    exited = [];
    link = [];
  });

  it('refuses tampered metadata, another key, expired metadata, a downgrade and a changed file, touching nothing', async () => {
    const cases: [string, string, Partial<SignedCommand['params']>?][] = [
      ['PF_ERR_RELEASE_SIGNATURE', publish('0.2.0', '#!/bin/sh\nexit 0\n', { tamper: (m) => void (m.signed.expires = '2099-01-01T00:00:00.000Z') })],
      ['PF_ERR_RELEASE_SIGNATURE', publish('0.2.1', '#!/bin/sh\nexit 0\n', { signWith: nodeEd25519.generateKeyPair().secretKey })],
      ['PF_ERR_RELEASE_EXPIRED', publish('0.2.2', '#!/bin/sh\nexit 0\n', { expires: new Date(Date.now() - 1000).toISOString() })],
      ['PF_ERR_RELEASE_HASH', publish('0.2.3', '#!/bin/sh\nexit 0\n', { changeFile: true })],
      // Metadata of 0.0.9 served under a command asking for 0.2.4: the signed version is what counts.
      ['PF_ERR_RELEASE_DOWNGRADE', publish('0.0.9', '#!/bin/sh\nexit 0\n'), { version: '0.2.4' }],
    ];
    for (const [want, manifest, over] of cases) {
      const version = over?.version ?? manifest.replace(/^agent-release-|\.json$/g, '');
      expect(await codeOf(executor()(command(version, manifest, over))), manifest).toBe(want);
      expect(readFileSync(exe, 'utf8')).toBe(OLD);
      expect(existsSync(`${exe}.prev`)).toBe(false);
    }
    // The command itself naming an older version is refused before anything is fetched.
    expect(await codeOf(executor()(command('0.1.0', 'agent-release-none.json')))).toBe('PF_ERR_RELEASE_DOWNGRADE');
    expect(link).toEqual([]);
  });

  it('reverts a new executable that exits before confirming, and reconnects', async () => {
    const manifest = publish('0.3.0', '#!/bin/sh\necho crashing >&2\nexit 3\n');
    const out = await executor()(command('0.3.0', manifest));
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe('PF_ERR_UPDATE_REVERTED');
    expect(out.error?.message).toMatch(/exited with code 3/);
    expect(readFileSync(exe, 'utf8')).toBe(OLD);
    expect(existsSync(`${exe}.prev`)).toBe(false);
    expect(readPending(stateDir)).toBeUndefined();
    expect(link).toEqual(['suspend', 'resume']);
    expect(exited).toEqual([]);
  });

  it('keeps a new executable that confirms, started with the same arguments, and tells the old process to exit 0', async () => {
    // The stand-in agent confirms the command pending.json names, with the arguments it was given.
    const body = [
      '#!/bin/sh',
      '# 0.4.0',
      'dir="$3/update"',
      'id=$(sed -n \'s/.*"commandId":"\\([^"]*\\)".*/\\1/p\' "$dir/pending.json")',
      'printf \'{"commandId":"%s","version":"0.4.0","at":1}\' "$id" > "$dir/confirmed.json"',
      'echo $$ > "$dir/stand-in.pid"',
      'exec sleep 30 >/dev/null 2>&1',
    ].join('\n');
    const manifest = publish('0.4.0', `${body}\n`);
    const cmd = command('0.4.0', manifest);
    void executor()(cmd);
    await expect.poll(() => exited, { timeout: 15_000 }).toEqual([0]);
    expect(readFileSync(exe, 'utf8')).toBe(`${body}\n`);
    expect(statSync(exe).mode & 0o777).toBe(0o755);
    expect(readFileSync(`${exe}.prev`, 'utf8')).toBe(OLD);
    expect(readPending(stateDir)).toMatchObject({ from: '0.1.0', to: '0.4.0', commandId: cmd.commandId, exe });
    expect(link).toEqual(['suspend']);
    const pidFile = join(stateDir, 'update', 'stand-in.pid');
    await expect.poll(() => existsSync(pidFile)).toBe(true);
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
  });
});
