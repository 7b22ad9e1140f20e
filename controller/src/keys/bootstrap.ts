/**
 * First-start bootstrap: an admin API token and <data-dir>/bootstrap.json
 * (mode 0600) with what an operator needs to reach the controller and enroll
 * agents: { url, adminToken, caFingerprint, commandKey }. Later starts keep
 * the admin token and refresh the other fields.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import type { Db } from '../db/index';
import { createBootstrapToken, lookupApiToken } from './api-tokens';

export interface Bootstrap {
  url: string;
  adminToken: string;
  caFingerprint: string;
  commandKey: string;
}

export function bootstrapPath(dataDir: string): string {
  return join(dataDir, 'bootstrap.json');
}

export async function ensureBootstrap(db: Db, opts: { dataDir: string; url: string; caFingerprint: string; commandKey: string; now: Date }): Promise<Bootstrap> {
  const path = bootstrapPath(opts.dataDir);
  let adminToken: string | undefined;
  if (existsSync(path)) {
    try {
      adminToken = (JSON.parse(readFileSync(path, 'utf8')) as Partial<Bootstrap>).adminToken;
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
  const boot: Bootstrap = { url: opts.url, adminToken, caFingerprint: opts.caFingerprint, commandKey: opts.commandKey };
  writeFileAtomic(path, `${JSON.stringify(boot, null, 2)}\n`, 0o600);
  return boot;
}
