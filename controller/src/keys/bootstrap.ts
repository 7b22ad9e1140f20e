/**
 * First-start bootstrap: an admin API token, the first user (the same
 * person, `admin`, with a random password) and <data-dir>/bootstrap.json
 * (mode 0600) with what an operator needs to reach the controller, sign in
 * and enroll agents: { url, adminToken, caFingerprint, commandKey, adminUser,
 * adminPassword }. Later starts keep the admin token and refresh the other
 * fields; the initial password leaves the file once it has been changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import type { Db } from '../db/index';
import { createBootstrapToken, lookupApiToken } from './api-tokens';
import { ensureFirstUser, passwordStillValid } from './users';

export interface Bootstrap {
  url: string;
  adminToken: string;
  caFingerprint: string;
  commandKey: string;
  /** The first user's name, for signing in to the dashboard. */
  adminUser?: string | undefined;
  /** The first user's initial password; dropped from the file once the user has changed it. */
  adminPassword?: string | undefined;
}

export function bootstrapPath(dataDir: string): string {
  return join(dataDir, 'bootstrap.json');
}

export async function ensureBootstrap(db: Db, opts: { dataDir: string; url: string; caFingerprint: string; commandKey: string; now: Date }): Promise<Bootstrap> {
  const path = bootstrapPath(opts.dataDir);
  let adminToken: string | undefined;
  let adminPassword: string | undefined;
  if (existsSync(path)) {
    try {
      const old = JSON.parse(readFileSync(path, 'utf8')) as Partial<Bootstrap>;
      adminToken = old.adminToken;
      adminPassword = typeof old.adminPassword === 'string' ? old.adminPassword : undefined;
    } catch (err) {
      throw new PfError(Errors.CONFIG, `${path} is damaged: ${(err as Error).message}`);
    }
    // A data directory pointed at a fresh database: the old token is unknown there, so make a new one.
    // A revoked bootstrap token is known: it is never replaced by a restart (that would undo the revocation).
    if (adminToken) {
      const found = await lookupApiToken(db, adminToken, opts.now);
      if ('refused' in found && found.refused === 'unknown') adminToken = undefined;
    }
  }
  if (!adminToken) {
    adminToken = await db.transaction(async (tx) => {
      const created = await createBootstrapToken(tx, opts.now);
      await audit(tx, opts.now, { actor: 'system', action: 'api-token.create', targetType: 'api-token', targetId: created.id, details: { role: 'admin', name: 'bootstrap admin', person: created.personId, expiresAt: null } });
      return created.token;
    });
  }
  const firstUser = await ensureFirstUser(db, opts.now);
  if (firstUser?.password) adminPassword = firstUser.password;
  else if (adminPassword && (!firstUser || !(await passwordStillValid(db, firstUser.id, adminPassword)))) adminPassword = undefined;
  const boot: Bootstrap = { url: opts.url, adminToken, caFingerprint: opts.caFingerprint, commandKey: opts.commandKey, adminUser: firstUser?.name, adminPassword };
  writeFileAtomic(path, `${JSON.stringify(boot, null, 2)}\n`, 0o600);
  return boot;
}
