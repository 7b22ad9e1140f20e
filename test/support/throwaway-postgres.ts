/**
 * A PostgreSQL cluster of its own for a test that stops and starts the
 * database (an outage): initdb in a temporary directory owned by the
 * `postgres` user, on a free port of 127.0.0.1, trust authentication. Never
 * the shared server on 5432. The caller must call destroy() (afterAll): it
 * stops the cluster and deletes its directory.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface ThrowawayPostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** Stops the server (fast shutdown: open sessions are terminated with 57P01), waiting until it is down. */
  stop(): void;
  /** Starts it again on the same port and data directory, waiting until it accepts connections. */
  start(): void;
  destroy(): void;
}

function asPostgres(args: string[], timeoutMs = 60_000): string {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  const [cmd, ...rest] = args;
  if (!cmd) throw new Error('no command');
  // As root: run as postgres (initdb and the server refuse to run as root).
  const asUser = process.getuid?.() === 0 ? { uid, gid } : {};
  return execFileSync(cmd, rest, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/tmp', ...asUser, env: { PATH: `${PG_BIN}:/usr/bin:/bin`, LANG: 'C.UTF-8' } });
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'pf-pg-outage-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  const data = join(root, 'data');
  const port = await freePort();
  asPostgres([`${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=off -c max_connections=50`;
  let running = false;
  const pg: ThrowawayPostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start() {
      asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-o', opts, '-l', join(root, 'server.log'), '-w', '-t', '60', 'start']);
      running = true;
    },
    stop() {
      asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      running = false;
    },
    destroy() {
      try {
        if (running && existsSync(join(data, 'postmaster.pid'))) pg.stop();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  pg.start();
  return pg;
}
