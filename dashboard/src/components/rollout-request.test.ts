import { describe, expect, it } from 'vitest';
import { buildStartRequest, type StartRolloutForm } from './rollout-request';

const RINGS = ['Test', 'First', 'Fast', 'Broad'];
const form = (over: Partial<StartRolloutForm>): StartRolloutForm => ({ name: '', patches: '', packages: '', rings: RINGS, allRings: RINGS, expedite: false, releasedAt: '', ...over });

describe('buildStartRequest', () => {
  it('sends only what differs from the defaults', () => {
    expect(buildStartRequest(form({ patches: 'USN-7604-1' }))).toEqual({ ok: true, body: { patches: ['USN-7604-1'] } });
  });

  it('reads patch ids and package versions separated by spaces, commas or lines, without repeats', () => {
    const built = buildStartRequest(form({ name: ' sudo ', patches: 'usn-7604-1, USN-6756-1\nUSN-7604-1', packages: 'sudo=1.9.15p5-3ubuntu5.24.04.1\nlibfoo=2:1.0-1' }));
    expect(built).toEqual({
      ok: true,
      body: { name: 'sudo', patches: ['USN-7604-1', 'USN-6756-1'], packages: [{ name: 'sudo', version: '1.9.15p5-3ubuntu5.24.04.1' }, { name: 'libfoo', version: '2:1.0-1' }] },
    });
  });

  it('lists the rings only when some are left out, and carries expedite and the release date', () => {
    const built = buildStartRequest(form({ patches: 'KB5034441', rings: ['Broad', 'First'], expedite: true, releasedAt: '2026-01-02T03:04' }));
    expect(built.ok && built.body).toMatchObject({ patches: ['KB5034441'], rings: ['First', 'Broad'], expedite: true });
    expect(built.ok && built.body.releasedAt).toBe(new Date('2026-01-02T03:04').toISOString());
  });

  it('says what is wrong instead of sending', () => {
    expect(buildStartRequest(form({}))).toEqual({ ok: false, problems: ['name at least one patch or package version'] });
    expect(buildStartRequest(form({ patches: 'CVE-2024-1 USN-1-1', packages: 'sudo', rings: [] }))).toEqual({
      ok: false,
      problems: ['not a patch id (USN-1234-5 or KB5034441): CVE-2024-1', 'not name=version: sudo', 'tick at least one ring'],
    });
  });
});
