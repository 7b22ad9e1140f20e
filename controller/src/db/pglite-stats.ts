/**
 * Diagnostics for simulations on the embedded database: with PATCHFLEET_PGLITE_STATS=FILE the controller times
 * every statement PGlite runs (wall time from the call to its answer, so time queued behind another statement
 * counts too) and writes the totals per statement text to FILE when the database closes: count, total and
 * largest ms, and `selfMs`, the time the statement itself held the database (PGlite runs one statement at a
 * time, so from the later of its call and the previous statement's answer to its own answer), most selfMs first. PostgreSQL has log_min_duration_statement for the same question (bench:rollout's
 * PF_SIM_PG_LOG_MS); PGlite logs nothing. Parameters are never recorded, only the statement's text.
 */
import { writeFileSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';

interface Stat {
  n: number;
  ms: number;
  self: number;
  max: number;
}

/** Wraps `client.query` and `client.exec` to time them; returns a function that writes the totals to `file`. */
export function timePgliteStatements(client: PGlite, file: string): () => void {
  const stats = new Map<string, Stat>();
  let lastAnswer = 0;
  const add = (text: string, t0: number) => {
    const t1 = performance.now();
    const ms = t1 - t0;
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 300);
    const s = stats.get(key) ?? { n: 0, ms: 0, self: 0, max: 0 };
    s.n += 1;
    s.ms += ms;
    s.self += t1 - Math.max(t0, lastAnswer);
    lastAnswer = t1;
    s.max = Math.max(s.max, ms);
    stats.set(key, s);
  };
  const wrap = <F extends (text: string, ...rest: never[]) => Promise<unknown>>(fn: F): F =>
    (async (text: string, ...rest: never[]) => {
      const t0 = performance.now();
      try {
        return await fn(text, ...rest);
      } finally {
        add(text, t0);
      }
    }) as F;
  client.query = wrap(client.query.bind(client)) as typeof client.query;
  client.exec = wrap(client.exec.bind(client)) as typeof client.exec;
  // Statements inside a transaction go through its own object.
  const transaction = client.transaction.bind(client);
  client.transaction = ((fn: Parameters<typeof client.transaction>[0]) =>
    transaction((tx) => {
      tx.query = wrap(tx.query.bind(tx)) as typeof tx.query;
      tx.exec = wrap(tx.exec.bind(tx)) as typeof tx.exec;
      return fn(tx);
    })) as typeof client.transaction;
  return () => {
    const rows = [...stats].sort((a, b) => b[1].self - a[1].self).map(([sql, s]) => ({ selfMs: Math.round(s.self), ms: Math.round(s.ms), n: s.n, maxMs: Math.round(s.max), sql }));
    writeFileSync(file, `${JSON.stringify(rows, null, 1)}\n`);
  };
}
