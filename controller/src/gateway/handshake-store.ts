/**
 * What a handshake reads and writes, in batches (micro-batch.ts): the
 * agent's key and host state for `auth`, and its `host_sessions` row when
 * it is in and when it leaves. The handshakes in flight together share one
 * SELECT and one INSERT; the ids and rows travel as one jsonb parameter, in
 * hand-written SQL, because drizzle building a statement per agent was a
 * good part of a handshake's CPU.
 *
 * Nothing of this is cached: the host's status is read in every handshake's
 * batch, so a host revoked on any replica (revoke-host.ts commits before it
 * notifies) is refused at its next handshake everywhere, with or without
 * the notification.
 *
 * Owns `host_sessions` (with last-seen.ts, which moves `last_seen_at`);
 * reads `agent_keys` and `hosts` (enrollment/ owns them).
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '@patchfleet/shared';
import type { Db } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import { MicroBatch } from './micro-batch';

/** What `auth` needs of an enrolled agent with an unrevoked key. */
export interface AgentAuthRow {
  publicKey: string;
  status: string;
  lastSeq: number;
  reportEpoch: string | null;
}

/** A session row as the handshake writes it. */
export interface SessionStart {
  sessionId: string;
  hostId: string;
  controllerId: string;
  remoteAddress: string;
  agentVersion: string;
  at: Date;
}

export interface SessionEnd {
  sessionId: string;
  at: Date;
  reason: string;
}

/** Items per statement: thousands of ids in one jsonb parameter are fine on both engines. */
const MAX_BATCH = 1000;
/**
 * How long a handshake's look-up and session row wait for others to share
 * their statement. Agents of a reconnect storm arrive milliseconds apart; a
 * lone agent's handshake takes this much longer, nothing else.
 */
export const HANDSHAKE_BATCH_WINDOW_MS = 20;

export class HandshakeStore {
  private readonly lookups: MicroBatch<string, AgentAuthRow | undefined>;
  private readonly starts: MicroBatch<SessionStart, void>;
  private readonly ends: MicroBatch<SessionEnd, void>;

  /** `clock` is the one a simulator steps; `timer` real time, for the window. */
  constructor(db: Db, clock: Clock, timer: Clock = clock, windowMs = HANDSHAKE_BATCH_WINDOW_MS) {
    const common = { clock, timer, windowMs, maxBatch: MAX_BATCH };
    this.lookups = new MicroBatch({ ...common, label: 'handshake look-ups', run: (ids) => lookUpAgents(db, ids) });
    // A row the database refuses (its host deleted meanwhile) fails its own handshake only.
    const writes = <T>(label: string, write: (db: Db, rows: readonly T[]) => Promise<void>) =>
      new MicroBatch<T, void>({
        ...common,
        label,
        run: async (rows) => {
          await write(db, rows);
          return rows.map(() => undefined);
        },
        one: (row) => write(db, [row]),
      });
    this.starts = writes('session rows', insertSessions);
    this.ends = writes('session ends', endSessions);
  }

  /** The agent's unrevoked key and its host's state; undefined when it has none (not enrolled here, or its key revoked). */
  lookUp(agentId: string): Promise<AgentAuthRow | undefined> {
    return this.lookups.add(agentId);
  }

  /** Resolves once the session row is committed: nothing may refer to the session before. */
  startSession(row: SessionStart): Promise<void> {
    return this.starts.add(row);
  }

  /** Records when and why the session ended (its row must be committed already). */
  endSession(row: SessionEnd): Promise<void> {
    return this.ends.add(row);
  }

  /** Statements run so far, per kind (tests and diagnostics). */
  get stats() {
    return { lookups: { ...this.lookups.stats }, starts: { ...this.starts.stats }, ends: { ...this.ends.stats } };
  }
}

/**
 * One SELECT for many agents: result i belongs to ids[i]. `= any(array(...))`
 * and not `in (select ...)`: the planner turns the latter into a hash join
 * over every key (a sequential scan of agent_keys per batch), the former
 * into an index scan.
 */
export async function lookUpAgents(db: Db, ids: readonly string[]): Promise<(AgentAuthRow | undefined)[]> {
  const unique = [...new Set(ids)];
  const rows = resultRows<{ host_id: string; public_key: string; status: string; last_seq: string | number; report_epoch: string | null }>(
    await db.execute(sql`
      select k.host_id, k.public_key, h.status, h.last_seq, h.report_epoch
      from agent_keys k join hosts h on h.id = k.host_id
      where k.host_id = any(array(select jsonb_array_elements_text(${JSON.stringify(unique)}::jsonb))) and k.revoked_at is null`),
  );
  const byId = new Map<string, AgentAuthRow>();
  for (const r of rows) {
    // One unrevoked key per host; should there be two, the first found answers, as `limit 1` did.
    if (!byId.has(r.host_id)) byId.set(r.host_id, { publicKey: r.public_key, status: r.status, lastSeq: Number(r.last_seq), reportEpoch: r.report_epoch });
  }
  return ids.map((id) => byId.get(id));
}

/** One multi-row INSERT of session rows (connected and last seen at `at`). */
export async function insertSessions(db: Db, rows: readonly SessionStart[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows.map((r) => ({ id: r.sessionId, host_id: r.hostId, controller_id: r.controllerId, remote_address: r.remoteAddress, agent_version: r.agentVersion, at: r.at.toISOString() })));
  await db.execute(sql`
    insert into host_sessions (id, host_id, controller_id, remote_address, agent_version, connected_at, last_seen_at)
    select r.id, r.host_id, r.controller_id, r.remote_address, r.agent_version, r.at, r.at
    from jsonb_to_recordset(${json}::jsonb) as r(id text, host_id text, controller_id text, remote_address text, agent_version text, at timestamptz)`);
}

/** One UPDATE that closes many sessions. */
export async function endSessions(db: Db, rows: readonly SessionEnd[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows.map((r) => ({ id: r.sessionId, at: r.at.toISOString(), reason: r.reason })));
  await db.execute(sql`
    update host_sessions s set disconnected_at = v.at, close_reason = v.reason
    from jsonb_to_recordset(${json}::jsonb) as v(id text, at timestamptz, reason text)
    where s.id = v.id`);
}
