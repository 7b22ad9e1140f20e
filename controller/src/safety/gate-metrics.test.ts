/** withGateMetrics: every signal the judge returns is counted once, by kind and outcome; the verdict passes through unchanged. */
import { describe, expect, it } from 'vitest';
import type { CohortEvidence, GateVerdict } from './gate-types';
import { withGateMetrics, type SafetyPorts } from './gates';

describe('withGateMetrics', () => {
  it('counts each judged signal and returns the judge\'s verdict', () => {
    const verdict: GateVerdict = {
      tripped: true,
      verdicts: [
        { gate: 'app-crash', tripped: false, statistic: 1, threshold: 100, estimate: 1, summary: '' },
        { gate: 'install-failure', tripped: true, statistic: 0.999, threshold: 0.99, estimate: 0.5, summary: '' },
      ],
    };
    const counted: string[] = [];
    const base = { evaluate: () => verdict } as unknown as SafetyPorts;
    const metered = withGateMetrics(base, { gateEvaluated: (kind, outcome) => counted.push(`${kind}:${outcome}`) });
    expect(metered.evaluate({} as CohortEvidence, { alpha: 0.01 })).toBe(verdict);
    expect(counted).toEqual(['app-crash:passed', 'install-failure:tripped']);
    expect(metered.decisionsFor).toBe(base.decisionsFor);
  });
});
