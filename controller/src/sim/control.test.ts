import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Errors, ManualClock, SteppedClock } from '@patchfleet/shared';
import { attachSimulationControl, type SimAdvanced, type SimError } from './control';

/** The parent's end of an IPC channel: what it sends in, what the controller answers. */
function channel() {
  const emitter = new EventEmitter();
  const answers: (SimAdvanced | SimError)[] = [];
  let wake: (() => void) | undefined;
  return {
    end: {
      on: (event: 'message', listener: (m: unknown) => void) => emitter.on(event, listener),
      send: (m: unknown) => {
        answers.push(m as SimAdvanced | SimError);
        wake?.();
        return true;
      },
    },
    ask: (m: unknown) => emitter.emit('message', m),
    answers,
    /** Resolves once `n` answers are in. */
    async until(n: number): Promise<(SimAdvanced | SimError)[]> {
      while (answers.length < n) await new Promise<void>((r) => (wake = r));
      return answers;
    },
  };
}

const log = pino({ level: 'silent' });
const START = Date.parse('2026-03-02T00:00:00Z');

describe('simulator control channel', () => {
  it('advances and settles in order, answering with the clock and the counters', async () => {
    const clock = new SteppedClock(START);
    const ch = channel();
    let sent = 0;
    attachSimulationControl(ch.end, { clock, counters: () => ({ commandsSent: sent, healthConfigsSent: 2 }) }, { log, realClock: new ManualClock(0) });
    clock.after(60_000, () => new Promise<void>((r) => setImmediate(() => ((sent += 3), r()))));
    clock.after(7_200_000, () => undefined);
    ch.ask({ type: 'sim.advance', to: START + 3_600_000, id: 'a' });
    ch.ask({ type: 'sim.settle', id: 'b' });
    ch.ask({ type: 'something.else', to: 1 }); // not ours: no answer
    const answers = await ch.until(2);
    expect(answers).toEqual([
      { type: 'sim.advanced', id: 'a', now: START + 3_600_000, commandsSent: 3, healthConfigsSent: 2, timersFired: 1, pendingTimers: 1, nextTimerAt: START + 7_200_000, wallMs: 0 },
      { type: 'sim.advanced', id: 'b', now: START + 3_600_000, commandsSent: 3, healthConfigsSent: 2, timersFired: 1, pendingTimers: 1, nextTimerAt: START + 7_200_000, wallMs: 0 },
    ]);
    await new Promise((r) => setImmediate(r));
    expect(ch.answers).toHaveLength(2);
  });

  it('refuses malformed requests and times in the past with PF_ERR_VALIDATION, and names what looped with PF_ERR_SIMULATION_UNSETTLED', async () => {
    const clock = new SteppedClock(START, { maxStepsPerInstant: 20 });
    const ch = channel();
    attachSimulationControl(ch.end, { clock, counters: () => ({ commandsSent: 0, healthConfigsSent: 0 }) }, { log, realClock: new ManualClock(0) });
    ch.ask({ type: 'sim.advance', to: 'tomorrow', id: 'x' });
    ch.ask({ type: 'sim.advance', to: START - 1, id: 'y' });
    ch.ask({ type: 'sim.jump', id: 'z' });
    const loop = () => {
      clock.after(0, loop);
    };
    clock.after(1000, loop);
    ch.ask({ type: 'sim.advance', to: START + 5000, id: 'w' });
    const answers = await ch.until(4);
    expect(answers.map((a) => [a.id, a.type === 'sim.error' ? a.code : a.type])).toEqual([
      ['x', Errors.VALIDATION.code],
      ['z', Errors.VALIDATION.code],
      ['y', Errors.VALIDATION.code],
      ['w', Errors.SIMULATION_UNSETTLED.code],
    ]);
    expect((answers[2] as SimError).message).toMatch(/does not go back/);
    expect((answers[3] as SimError).message).toMatch(/loop \(\d+x\)/);
  });

  it('without simulation mode refuses every sim.* message with PF_ERR_SIMULATION_DISABLED', async () => {
    const ch = channel();
    attachSimulationControl(ch.end, undefined, { log, realClock: new ManualClock(0) });
    ch.ask({ type: 'sim.advance', to: START, id: 'a' });
    ch.ask({ type: 'sim.settle' });
    ch.ask('sim.advance');
    const answers = await ch.until(2);
    expect(answers).toEqual([
      { type: 'sim.error', id: 'a', code: Errors.SIMULATION_DISABLED.code, message: expect.stringMatching(/--simulation/) },
      { type: 'sim.error', code: Errors.SIMULATION_DISABLED.code, message: expect.stringMatching(/--simulation/) },
    ]);
  });
});
