import { describe, expect, it } from 'vitest';
import { DEFAULTS, type Config } from '../config';
import { resolveConnectionLimits } from './connection-guard';

const config = (over: Partial<Config> = {}): Config => ({ ...DEFAULTS, dataDir: '/tmp/x', ...over }) as Config;

describe('resolveConnectionLimits', () => {
  it('gives agents the open-file limit less what is open, the reserve, the unauthenticated share and the API reserve', () => {
    const l = resolveConnectionLimits(config(), { limit: 65_536, inUse: 200 });
    expect(l.maxConnections).toBe(65_536 - 200 - 256);
    expect(l.unauthenticated).toBe(2048);
    expect(l.maxAgents).toBe(l.maxConnections - 2048 - 64);
  });

  it('keeps room for the API and unauthenticated clients under a small limit too', () => {
    const l = resolveConnectionLimits(config(), { limit: 1024, inUse: 160 });
    // 1024 - 160 - 256 = 608 connections; half for unauthenticated, a quarter at most for the API reserve (64 here).
    expect(l).toMatchObject({ maxConnections: 608, unauthenticated: 304, maxAgents: 608 - 304 - 64 });
  });

  it('takes a lower configured agent cap, never a higher one', () => {
    expect(resolveConnectionLimits(config({ maxAgents: 3 }), { limit: 65_536, inUse: 200 }).maxAgents).toBe(3);
    const capped = resolveConnectionLimits(config({ maxAgents: 1_000_000 }), { limit: 4096, inUse: 100 });
    expect(capped.maxAgents).toBe(capped.maxConnections - capped.unauthenticated - 64);
  });
});
