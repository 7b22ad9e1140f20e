/**
 * Entry of an agent worker process: holds a share of the simulated agents
 * so that TLS, JSON and signature checks of 10,000 agents are not all on
 * the bench's one thread. Driven by the bench over IPC (see ipc.ts).
 */
import { Fleet } from './fleet';
import type { FromWorker, ToWorker } from './ipc';
import { peakRssBytes } from './stats';

let fleet: Fleet | undefined;

/** Sends to the bench; resolves once the message is handed to the channel (so a disconnect after it does not drop it). */
function tell(msg: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'connect': {
      fleet = new Fleet(msg.identities, msg.target);
      const stats = await fleet.connect(msg.concurrency, (connected) => void tell({ type: 'progress', connected }), msg.oneTry);
      return tell({ type: 'connected', stats });
    }
    case 'keepHeld':
      return tell({ type: 'held', agentIds: fleet ? fleet.keepHeld() : [] });
    case 'collect':
      return tell({ type: 'timings', timings: fleet ? await fleet.timings(msg.timeoutMs) : [] });
    case 'mark':
      return tell({ type: 'marked', count: fleet ? fleet.mark(msg.url) : 0 });
    case 'storm':
      return tell({ type: 'stormed', result: fleet ? await fleet.storm(msg.killAt, msg.timeoutMs) : { agents: [], othersLost: 0, endedBeforeKill: 0 } });
    case 'close':
      fleet?.close();
      await tell({ type: 'closed', peakRssBytes: peakRssBytes() });
      process.disconnect();
      return;
  }
}

if (!process.send) {
  process.stderr.write('worker.ts is started by `pnpm bench:fanout`, not by hand\n');
  process.exit(2);
}
process.on('message', (msg: ToWorker) => {
  handle(msg).catch((err: unknown) => void tell({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
});
// The bench going away (even by SIGKILL) closes the IPC channel: leave with it, never linger holding sockets.
process.on('disconnect', () => process.exit(0));
