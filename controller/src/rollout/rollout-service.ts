/**
 * Runs the rollout planner every `rolloutTickSec` seconds (node-cron) on
 * whichever replica gets the job lock, and announces the commands a round
 * created, and the rollouts it changed (live hints for the dashboard), once
 * its transaction has committed. In simulation mode the rounds
 * follow the stepped virtual clock instead (every `simulationTickSec`, default
 * `rolloutTickSec`, of virtual time), and the clock waits for each round.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { repeatOnClock, trackWork } from '@patchfleet/shared';
import type { CommandWriter } from './ports';
import type { EventSink } from '../events/ports';
import type { ControllerContext } from '../context';
import { JobLocks, runAsLeader } from '../jobs/leader';
import type { RolloutClock } from './rollout-clock';
import { tickRollouts, WATCH_JUDGE_EVERY_MS } from './rollout-tick';
import { onlineStaleMs } from '../hosts/queries';
import type { SafetyPorts } from '../safety/gates';
import { announceHint } from '../live/hints';

export class RolloutService {
  private task: ScheduledTask | undefined;
  private repeat: { stop(): void } | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Rollout clock of each watched rollout's last watch judgment (rollout-tick.ts WATCH_JUDGE_EVERY_MS); a new leader judges at once. */
  private readonly watchJudged = new Map<string, number>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly commands: CommandWriter,
    readonly rolloutClock: RolloutClock,
    private readonly events: EventSink,
    /** The gate judge and reliability decisions (default: safety/stats and reliability/; server.ts adds gate metrics). */
    private readonly safety?: SafetyPorts,
  ) {}

  start(): void {
    const sec = this.ctx.config.rolloutTickSec;
    if (this.ctx.config.simulation === true) {
      this.repeat = repeatOnClock(this.rolloutClock.clock, { everyMs: (this.ctx.config.simulationTickSec ?? sec) * 1000, label: 'rollout planner' }, () => this.kick());
      return;
    }
    this.task = cron.schedule(`*/${sec} * * * * *`, () => void this.kick(), { name: 'rollout-planner', noOverlap: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.repeat?.stop();
    await this.task?.destroy();
    await this.running;
  }

  /** Runs a round now (or right after the current one); resolves when that round is done. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    // Tracked: a stepped (simulated) clock waits for the round, and for the one it asks for after it.
    const running = trackWork(
      this.ctx.clock,
      this.round()
        .then(() => undefined)
        .catch((err: unknown) => this.ctx.log.error({ err }, 'rollout planner round failed; retried next round'))
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            void this.kick();
          }
        }),
      'rollout planner round',
    );
    this.running = running;
    return running;
  }

  /** One round, for tests: resolves once it has run (or found another replica leading). */
  async round(): Promise<boolean> {
    const judged = new Map<string, number>();
    const changed = new Set<string>();
    const outcome = await runAsLeader(this.ctx.db, JobLocks.rolloutTick, (tx) =>
      tickRollouts({
        tx,
        now: this.rolloutClock.clock.now(),
        realNow: this.ctx.clock.now(),
        speed: this.rolloutClock.speed,
        staleMs: onlineStaleMs(this.ctx.config.heartbeatSec),
        commands: this.commands,
        events: this.events,
        log: this.ctx.log,
        watch: { everyMs: WATCH_JUDGE_EVERY_MS, lastJudged: this.watchJudged, judged },
        safety: this.safety,
        changed,
      }),
    );
    // Only a committed round's watch judgments count (a failed round judges again next time).
    if (outcome.ran) for (const [id, at] of judged) this.watchJudged.set(id, at);
    if (outcome.ran && outcome.value.length > 0) await this.commands.announce(outcome.value);
    // A round that failed rolled back: its changes never happened, so nothing to announce.
    if (outcome.ran) for (const id of changed) await announceHint(this.ctx.bus, this.ctx.log, { kind: 'rollout', id });
    return outcome.ran;
  }
}
