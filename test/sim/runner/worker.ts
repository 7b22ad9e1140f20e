/**
 * A host worker process of the rollout runner: plays a share of the
 * scenario's hosts (sim-host.ts) so that TLS, JSON and signature checks of
 * thousands of hosts do not all run on the runner's thread. Driven over IPC
 * (ipc.ts); every request is answered once all its hosts are done.
 *
 * Inside a request the hosts work concurrently (their order does not change
 * what the controller decides: each host's frames are handled in order, and
 * the clock does not move until the runner moves it), with a bound on
 * handshakes in flight.
 */
import { PinnedAgent } from '@patchfleet/shared';
import { mapLimited } from '../../bench/fanout/limit';
import { createFleetModel } from '../fleet-model';
import type { FromWorker, ToWorker, WorkerInit } from './ipc';
import { emptyCounts, SimHost, type HostContext, type StepCounts } from './sim-host';

let hosts: SimHost[] = [];
let init: WorkerInit | undefined;
let tls: PinnedAgent | undefined;
let received = 0;
let reportScheduled = false;

function tell(msg: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

/** Command frames arriving in one turn of the event loop are reported together. */
function countCommand(): void {
  received++;
  if (reportScheduled) return;
  reportScheduled = true;
  setImmediate(() => {
    reportScheduled = false;
    void tell({ type: 'received', total: received });
  });
}

async function eachHost(fn: (h: SimHost, counts: StepCounts) => Promise<void>, lanes: number): Promise<StepCounts> {
  const perHost = hosts.map(() => emptyCounts());
  await mapLimited(hosts, lanes, (h, i) => fn(h, perHost[i]!));
  const total = perHost.reduce((a, c) => {
    for (const k of Object.keys(a) as (keyof StepCounts)[]) a[k] += c[k];
    return a;
  }, emptyCounts());
  total.online = hosts.filter((h) => h.isConnected).length;
  return total;
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init': {
      init = msg.init;
      tls = new PinnedAgent(init.target.fingerprint);
      const model = createFleetModel(init.scenario);
      const ctx: HostContext = { model, setup: init.setup, target: init.target, tls, startMs: init.startMs, waitMs: init.waitMs, onCommandFrame: countCommand };
      hosts = init.identities.map((id) => new SimHost(ctx, id, model.hosts[id.index]!));
      return tell({ type: 'ready' });
    }
    case 'connect': {
      const counts = await eachHost(async (h, c) => {
        await h.connect(msg.t);
        c.connects++;
      }, init?.concurrency ?? 50);
      return tell({ type: 'connected', counts });
    }
    case 'boundary': {
      // All at once: few hosts reconnect at one boundary, and the controller stores samples that arrive together in fewer statements.
      const counts = await eachHost((h, c) => h.boundary(msg.t, msg.prev, c), hosts.length);
      return tell({ type: 'boundaryDone', counts });
    }
    case 'execute': {
      const counts = await eachHost((h, c) => h.execute(msg.t, c), hosts.length);
      return tell({ type: 'executed', counts });
    }
    case 'finish':
      return tell({ type: 'finished', records: hosts.map((h) => h.record()) });
    case 'close':
      for (const h of hosts) h.close();
      tls?.destroy();
      await tell({ type: 'closed' });
      process.disconnect();
      return;
  }
}

if (!process.send) {
  process.stderr.write('worker.ts is started by `pnpm bench:rollout`, not by hand\n');
  process.exit(2);
}
let queue: Promise<void> = Promise.resolve();
process.on('message', (msg: ToWorker) => {
  // One request at a time, in order.
  queue = queue.then(() => handle(msg)).catch((err: unknown) => tell({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
});
// The runner going away (even by SIGKILL) closes the IPC channel: leave with it, never linger holding sockets.
process.on('disconnect', () => process.exit(0));
