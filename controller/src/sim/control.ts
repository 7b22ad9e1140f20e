/**
 * The simulator's control channel (issue 11). A controller started with
 * `--simulation` (PATCHFLEET_SIMULATION=1) by a process that gave it a Node
 * IPC channel (child_process.fork, or spawn with stdio 'ipc') takes:
 *
 *   { type: 'sim.advance', to: <ms since the epoch>, id?: string }
 *       moves the stepped clock to `to` (never back), firing every timer due
 *       on the way in order and waiting after each until the work it started
 *       is done (planner rounds, the commands they announce, roll-ups), then
 *   { type: 'sim.settle', id?: string }
 *       only waits until the process is quiet at the current time (after the
 *       simulated hosts answered commands: their statuses can start more work);
 *
 * and answers each, in order, with
 *
 *   { type: 'sim.advanced', id?, now, commandsSent, healthConfigsSent,
 *     timersFired, pendingTimers, nextTimerAt, wallMs }
 *
 * (`commandsSent` and `healthConfigsSent`: frames this process wrote to
 * agents since it started; `timersFired`: since it started; `nextTimerAt`:
 * the earliest pending timer or null; `wallMs`: real time the request took),
 * or with { type: 'sim.error', id?, code, message }: PF_ERR_VALIDATION for a
 * malformed request or a time in the past, PF_ERR_SIMULATION_UNSETTLED when
 * the clock could not settle (the message names what looped), and
 * PF_ERR_SIMULATION_DISABLED for every `sim.*` message when the controller
 * is not in simulation mode. Messages of other types are ignored.
 *
 * Frames that agents send while a step runs are handled at whichever virtual
 * instant the clock is at: a deterministic simulator lets its hosts speak
 * only between steps and waits for their acknowledgements before the next.
 */
import { Errors, isPfError, type Clock, type TimerHandle } from '@patchfleet/shared';
import type { Logger } from '../logger';
import type { Simulation } from '../server';

/** The side of an IPC channel the controller holds (`process` when it was forked). */
export interface ControlChannel {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  send?: ((message: unknown) => boolean) | undefined;
}

export interface SimAdvanced {
  type: 'sim.advanced';
  id?: string;
  now: number;
  commandsSent: number;
  healthConfigsSent: number;
  timersFired: number;
  pendingTimers: number;
  nextTimerAt: number | null;
  wallMs: number;
}

export interface SimError {
  type: 'sim.error';
  id?: string;
  code: string;
  message: string;
}

/** How often a step that is still running is reported in the log (real time). */
const STALL_REPORT_MS = 30_000;

type Request = { type: 'sim.advance'; to: number; id?: string } | { type: 'sim.settle'; id?: string };

/** Reads a `sim.*` message; a string is the reason it is malformed, undefined a message of another kind. */
function parse(message: unknown): Request | string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Record<string, unknown>;
  if (typeof m.type !== 'string' || !m.type.startsWith('sim.')) return undefined;
  if (m.id !== undefined && typeof m.id !== 'string') return 'id must be a string';
  const id = m.id === undefined ? {} : { id: m.id };
  if (m.type === 'sim.settle') return { type: 'sim.settle', ...id };
  if (m.type === 'sim.advance') {
    if (typeof m.to !== 'number' || !Number.isSafeInteger(m.to)) return 'sim.advance needs `to`: an integer number of ms since the epoch';
    return { type: 'sim.advance', to: m.to, ...id };
  }
  return `unknown message type ${m.type} (expected sim.advance or sim.settle)`;
}

/**
 * Answers `sim.*` messages on `channel`: moves `simulation`'s clock, or, when
 * the controller is not in simulation mode (`simulation` undefined), refuses
 * each with PF_ERR_SIMULATION_DISABLED. Requests run one at a time, in order.
 * `realClock` times the answers and the stall reports.
 */
export function attachSimulationControl(channel: ControlChannel, simulation: Simulation | undefined, deps: { log: Logger; realClock: Clock }): void {
  let queue: Promise<void> = Promise.resolve();
  const reply = (message: SimAdvanced | SimError) => {
    try {
      channel.send?.(message);
    } catch (err) {
      deps.log.warn({ err, type: message.type }, 'simulator control answer not sent (channel closed?)');
    }
  };
  const refuse = (id: string | undefined, code: string, message: string) => reply({ type: 'sim.error', ...(id === undefined ? {} : { id }), code, message });

  channel.on('message', (message) => {
    const request = parse(message);
    if (request === undefined) return;
    const id = typeof request === 'string' ? (message as { id?: unknown }).id : request.id;
    const replyId = typeof id === 'string' ? id : undefined;
    if (!simulation) {
      refuse(replyId, Errors.SIMULATION_DISABLED.code, 'this controller runs on the system clock: start it with --simulation (PATCHFLEET_SIMULATION=1) to drive its clock');
      return;
    }
    if (typeof request === 'string') {
      refuse(replyId, Errors.VALIDATION.code, request);
      return;
    }
    queue = queue.then(() => run(simulation, request));
  });

  async function run(sim: Simulation, request: Request): Promise<void> {
    const clock = sim.clock;
    const id = request.id === undefined ? {} : { id: request.id };
    if (request.type === 'sim.advance' && request.to < clock.now()) {
      refuse(request.id, Errors.VALIDATION.code, `sim.advance to ${new Date(request.to).toISOString()} is before the clock (${new Date(clock.now()).toISOString()}): the clock does not go back`);
      return;
    }
    const started = deps.realClock.now();
    let stall: TimerHandle | undefined;
    const watch = () => {
      stall = deps.realClock.after(STALL_REPORT_MS, () => {
        deps.log.warn({ request: request.type, virtualNow: new Date(clock.now()).toISOString(), realMs: deps.realClock.now() - started, waitingFor: clock.inflightLabels() }, 'simulation step still running');
        watch();
      });
    };
    watch();
    try {
      if (request.type === 'sim.advance') await clock.advanceTo(request.to);
      else await clock.settled();
      const next = clock.nextTimerAt();
      reply({
        type: 'sim.advanced',
        ...id,
        now: clock.now(),
        ...sim.counters(),
        timersFired: clock.firedTotal,
        pendingTimers: clock.pendingTimers,
        nextTimerAt: next ?? null,
        wallMs: deps.realClock.now() - started,
      });
    } catch (err) {
      deps.log.error({ err, request: request.type }, 'simulation step failed');
      if (isPfError(err)) refuse(request.id, err.code, err.message);
      else refuse(request.id, Errors.INTERNAL.code, err instanceof Error ? err.message : String(err));
    } finally {
      stall?.cancel();
    }
  }
}
