/**
 * deploy/compose/compose.yaml, parsed and checked (no compose engine runs here): PostgreSQL with a health check, a
 * one-shot migrate service, the controller after both, named volumes, and secrets that deploy/make-secrets.sh makes
 * and the controller accepts (the command key by its loader, the certificate by its TLS loader).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadOrCreateCommandKey } from '@patchfleet/controller/src/keys/command-key';
import { ensureTlsMaterial } from '@patchfleet/controller/src/tls/certificate';
import { REPO_ROOT } from '../support/processes';
import { envOf, execForm, healthcheckCommand, readDockerfile } from './dockerfile';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  entrypoint?: string[];
  environment?: Record<string, string>;
  secrets?: (string | { source: string; target: string })[];
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

const COMPOSE_DIR = join(REPO_ROOT, 'deploy/compose');
const compose = parse(readFileSync(join(COMPOSE_DIR, 'compose.yaml'), 'utf8')) as Compose;
const runtime = readDockerfile().stages.at(-1)!;
const imageEnv = envOf(runtime);
const entrypoint = execForm(runtime.instructions.find((i) => i.op === 'ENTRYPOINT')!.args);
const secretsDir = mkdtempSync(join(tmpdir(), 'pf-compose-secrets-'));
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

const secretNames = (s: Service) => (s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source));

describe('deploy/compose/compose.yaml', () => {
  const { postgres, migrate, controller } = compose.services;

  it('has PostgreSQL, migrate and the controller, on one image built from the Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['controller', 'migrate', 'postgres']);
    expect(migrate?.image).toBe(controller?.image);
    expect(migrate?.build).toEqual({ context: '../..', dockerfile: 'deploy/container/Dockerfile' });
    expect(existsSync(join(COMPOSE_DIR, migrate!.build!.context, migrate!.build!.dockerfile))).toBe(true);
  });

  it('starts the controller only after PostgreSQL is healthy and the migrations have run', () => {
    expect(postgres?.healthcheck?.test.join(' ')).toContain('pg_isready -U patchfleet -d patchfleet');
    expect(migrate?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(controller?.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
    // Both run the image's bundle with DATABASE_URL read from the secret file: migrate, then serve.
    // Compose interpolates `$$` to a literal `$` for the shell in the container.
    const script = (s: Service) => (s.entrypoint?.[2] ?? '').replaceAll('$$', '$');
    expect(migrate?.entrypoint?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(script(migrate!)).toBe(`DATABASE_URL="$(cat /run/secrets/database_url)" exec ${entrypoint.join(' ')} migrate`);
    expect(script(controller!)).toBe(`DATABASE_URL="$(cat /run/secrets/database_url)" exec ${entrypoint.join(' ')} serve`);
  });

  it('checks the controller\'s health with the image\'s own HEALTHCHECK command on the port it publishes', () => {
    const [cmdForm, ...cmd] = controller?.healthcheck?.test ?? [];
    expect(cmdForm).toBe('CMD');
    const fromImage = healthcheckCommand(runtime);
    expect(cmd.slice(0, 2)).toEqual(fromImage.slice(0, 2));
    expect(cmd[2]).toBe(fromImage[2]?.replace('process.env.PATCHFLEET_PORT||8443', imageEnv.PATCHFLEET_PORT!));
    expect(controller?.ports).toEqual([`\${PATCHFLEET_PORT:-8443}:${imageEnv.PATCHFLEET_PORT}`]);
  });

  it('keeps data in named volumes, declared at the top level', () => {
    expect(postgres?.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(controller?.volumes).toEqual([`controller-data:${imageEnv.PATCHFLEET_DATA_DIR}`]);
    expect(Object.keys(compose.volumes).sort()).toEqual(['controller-data', 'pgdata']);
  });

  it('gives the certificate, the command key and the database URL as secrets, each declared, none committed', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const s of secretNames(service)) expect(compose.secrets[s], `${name} uses secret ${s}`).toBeDefined();
    }
    expect(secretNames(controller!).sort()).toEqual(['command_key', 'database_url', 'tls_cert', 'tls_key']);
    expect(controller?.environment?.PATCHFLEET_TLS_CERT).toBe('/run/secrets/tls_cert');
    expect(controller?.environment?.PATCHFLEET_TLS_KEY).toBe('/run/secrets/tls_key');
    expect(controller?.secrets).toContainEqual({ source: 'command_key', target: `${imageEnv.PATCHFLEET_DATA_DIR}/keys/command-key.json` });
    expect(postgres?.environment?.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_password');
    expect(secretNames(postgres!)).toEqual(['postgres_password']);
    for (const { file } of Object.values(compose.secrets)) expect(file).toMatch(/^\.\/secrets\/[\w.-]+$/);
    expect(readFileSync(join(COMPOSE_DIR, '.gitignore'), 'utf8')).toMatch(/^secrets\/$/m);
    const tracked = spawnSync('git', ['ls-files', 'deploy/compose', 'deploy/k8s'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout;
    expect(tracked).not.toMatch(/secrets\//);
  });

  it('make-secrets.sh makes every secret file, in forms the controller and PostgreSQL accept', async () => {
    const r = spawnSync('bash', [join(REPO_ROOT, 'deploy/make-secrets.sh'), secretsDir, 'controller.example.org'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const { file } of Object.values(compose.secrets)) expect(existsSync(join(secretsDir, file.replace('./secrets/', ''))), file).toBe(true);
    // The command key, where the controller looks for it in its data directory.
    const dataDir = mkdtempSync(join(tmpdir(), 'pf-compose-data-'));
    try {
      const { cpSync } = await import('node:fs');
      cpSync(join(secretsDir, 'command-key.json'), join(dataDir, 'keys/command-key.json'));
      const key = loadOrCreateCommandKey(dataDir);
      expect(key).toEqual(JSON.parse(readFileSync(join(secretsDir, 'command-key.json'), 'utf8')));
      const tls = await ensureTlsMaterial({ dataDir, certFile: join(secretsDir, 'tls.crt'), keyFile: join(secretsDir, 'tls.key'), now: Date.now() });
      expect(r.stdout).toContain(`CA fingerprint (agents pin it): ${tls.fingerprint}`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    const password = readFileSync(join(secretsDir, 'postgres-password'), 'utf8');
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    expect(readFileSync(join(secretsDir, 'database-url'), 'utf8')).toBe(`postgres://patchfleet:${password}@postgres:5432/patchfleet`);
    // A second run keeps every key agents may already pin.
    const before = readFileSync(join(secretsDir, 'command-key.json'), 'utf8');
    expect(spawnSync('bash', [join(REPO_ROOT, 'deploy/make-secrets.sh'), secretsDir], { timeout: 60_000 }).status).toBe(0);
    expect(readFileSync(join(secretsDir, 'command-key.json'), 'utf8')).toBe(before);
  });
});
