import { describe, expect, it } from 'vitest';
import { decide, isUrgent, type DecisionInput } from './decision';

const base: DecisionInput = { patchId: 'KB1', tier: 'medium', kevCves: [], score: 90, confidence: 0.8, fleetTrials: 100, confirmedIssues: 0, blocks: { fleetWide: false, classes: [] }, vendorMitigations: 0 };
const d = (over: Partial<DecisionInput>) => decide({ ...base, ...over });

describe('decision table', () => {
  it('blocks on a fleet-wide block whatever the score and urgency', () => {
    expect(d({ blocks: { fleetWide: true, classes: [] }, tier: 'critical', kevCves: ['CVE-1'] }).decision).toBe('block');
  });
  it('blocks a very low score only with good confidence; holds it otherwise', () => {
    expect(d({ score: 10, confidence: 0.6 }).decision).toBe('block');
    expect(d({ score: 10, confidence: 0.2 }).decision).toBe('hold');
  });
  it('holds on a class block, a low score, or a confirmed issue the fleet has not tried', () => {
    expect(d({ blocks: { fleetWide: false, classes: ['["ubuntu"]'] } }).decision).toBe('hold');
    expect(d({ score: 45 }).decision).toBe('hold');
    expect(d({ confirmedIssues: 1, fleetTrials: 0, score: 60 }).decision).toBe('hold');
    expect(d({ confirmedIssues: 1, fleetTrials: 30, score: 60 }).decision).toBe('stage');
  });
  it('deploys now an urgent patch (critical or KEV) with a high score; stages the rest', () => {
    expect(d({ tier: 'critical', score: 85 }).decision).toBe('deploy-now');
    expect(d({ tier: 'medium', kevCves: ['CVE-2025-1'], score: 80 }).decision).toBe('deploy-now');
    expect(d({ tier: 'critical', score: 70 }).decision).toBe('stage');
    expect(d({ tier: 'high', score: 99 }).decision).toBe('stage');
    expect(d({ score: null, confidence: 0 }).decision).toBe('stage');
  });
  it('is cautious with low confidence and points an urgent held patch at mitigations', () => {
    const r = d({ tier: 'critical', score: 40, confidence: 0.1, vendorMitigations: 2 });
    expect(r.decision).toBe('hold');
    expect(r.cautious).toBe(true);
    expect(r.reasons).toContain('urgent but held: 2 vendor workarounds and mitigations listed; an admin may record an accepted mitigation');
    expect(d({ confidence: 0.1 }).cautious).toBe(true);
    expect(d({ confidence: 0.5 }).cautious).toBe(false);
    expect(d({ blocks: { fleetWide: true, classes: [] }, confidence: 0.1 }).cautious).toBe(false);
  });
  it('calls critical, high and KEV urgent', () => {
    expect(isUrgent('high', [])).toBe(true);
    expect(isUrgent('medium', ['CVE-1'])).toBe(true);
    expect(isUrgent('medium', [])).toBe(false);
    expect(isUrgent(null, [])).toBe(false);
  });
});
