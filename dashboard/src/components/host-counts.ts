/** Rollout host counts (by rollout-host state) summed into what a progress bar shows. */

/** States of a host whose install is over, either way (controller: INSTALL_FINISHED_STATES, plus skipped). */
const FINISHED = ['succeeded', 'failed', 'skipped', 'rolling-back', 'rolled-back', 'rollback-failed'];

export function progressOf(hosts: Record<string, number>): { total: number; finished: number; succeeded: number; failed: number } {
  const n = (s: string) => hosts[s] ?? 0;
  const total = Object.values(hosts).reduce((a, b) => a + b, 0);
  return { total, finished: FINISHED.reduce((a, s) => a + n(s), 0), succeeded: n('succeeded'), failed: n('failed') + n('rollback-failed') };
}

/** `{ pending: 3, succeeded: 2 }` -> `succeeded 2 · pending 3` (largest first). */
export function countsText(hosts: Record<string, number>): string {
  const parts = Object.entries(hosts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  return parts.length ? parts.map(([s, n]) => `${s} ${n}`).join(' · ') : 'no hosts';
}
