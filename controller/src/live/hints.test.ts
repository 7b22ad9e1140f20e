import { describe, expect, it } from 'vitest';
import { parseHint } from './hints';

describe('live hints on the bus', () => {
  it('reads a well-formed hint and ignores anything else', () => {
    expect(parseHint('{"kind":"rollout","id":"ro_1"}')).toEqual({ kind: 'rollout', id: 'ro_1' });
    expect(parseHint('{"kind":"host","id":"h-1.example"}')).toEqual({ kind: 'host', id: 'h-1.example' });
    for (const bad of ['', 'ro_1', 'null', '[]', '{"kind":"secret","id":"x"}', '{"kind":"rollout"}', '{"kind":"rollout","id":"a\\nevent: x"}', `{"kind":"block","id":"${'a'.repeat(200)}"}`]) {
      expect(parseHint(bad), bad).toBeUndefined();
    }
  });
});
