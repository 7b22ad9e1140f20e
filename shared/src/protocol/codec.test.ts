import { describe, it, expect } from 'vitest';
import { sampleHost, samplePackages } from '@patchfleet/test/support/inventory';
import { isPfError, type PfError } from '../errors';
import { decodeFrame, encodeFrame, frameId, makeFrame, validatorOf } from './codec';
import { type Body, type Message, type MessageType } from './messages';
import { Limits, PROTOCOL_VERSION } from './version';

const NOW = 1_764_000_000_000;

/** A valid body of every message type. */
const bodies: { [K in MessageType]: Body<K> } = {
  hello: { agentId: 'a1b2c3', agentVersion: '0.1.0', platform: 'linux', capabilities: ['inventory.delta/1', 'inventory.chunked/1'] },
  challenge: { sessionId: 'sess-1', nonce: Buffer.alloc(32, 7).toString('base64'), capabilities: [] },
  auth: { agentId: 'a1b2c3', sessionId: 'sess-1', signature: Buffer.alloc(64, 1).toString('base64') },
  welcome: { agentId: 'a1b2c3', sessionId: 'sess-1', heartbeatSec: 30, lastAckedSeq: 0, maxFrameBytes: 1024 * 1024, capabilities: ['inventory.delta/1'] },
  inventory: {
    seq: 3,
    kind: 'delta',
    baseSeq: 2,
    part: 0,
    parts: 1,
    packageCount: 2,
    collectedAt: NOW,
    host: sampleHost(),
    packages: samplePackages(2),
    removed: [{ name: 'old', arch: 'amd64', manager: 'dpkg' }],
  },
  heartbeat: { uptimeSec: 12, bootId: 'b-1' },
  ack: { seq: 3, replyTo: 'frame-9' },
  error: { code: 'PF_ERR_RATE_LIMITED', message: 'too many frames', retryable: true, replyTo: 'frame-9' },
  command: {
    command: {
      commandId: 'cmd_1',
      agentId: 'a1b2c3',
      action: 'install',
      target: 'USN-7604-1',
      params: { packages: [{ name: 'sudo', version: '1.9.15p5-3ubuntu5.24.04.1' }] },
      issuedAt: NOW,
      notAfter: NOW + 3_600_000,
    },
    signature: Buffer.alloc(64, 2).toString('base64'),
  },
  commandStatus: { commandId: 'cmd_1', state: 'succeeded', at: NOW, result: { replaced: [{ name: 'sudo', from: '1.9.15p5-3ubuntu5', to: '1.9.15p5-3ubuntu5.24.04.1' }], rebootRequired: false, exitCode: 0, durationMs: 1200 } },
  commandReceipt: { commandId: 'cmd_1' },
  health: {
    epoch: 'h-epoch-1',
    samples: [
      {
        seq: 1,
        periodStart: NOW - 300_000,
        periodEnd: NOW,
        bootId: 'b-1',
        uptimeSec: 3600,
        counters: { appCrashes: 1, kernelCrashes: 0, serviceFailures: 0, probeFailures: 0, probeRuns: 2 },
        unavailable: ['eventlog'],
        events: [{ kind: 'app-crash', at: NOW - 1000, subject: 'nginx', message: 'SIGSEGV' }],
      },
    ],
  },
  healthAck: { epoch: 'h-epoch-1', seq: 1, replyTo: 'frame-9' },
  healthConfig: { intervalSec: 300, probes: [{ id: 'p1', name: 'web', kind: 'http', timeoutMs: 2000, url: 'http://127.0.0.1:8080/health', expectStatus: 200 }], issuedAt: NOW, signature: 'c2lnbmF0dXJl' },
};

function frameOf<K extends MessageType>(type: K, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(makeFrame(type, bodies[type], NOW, 'id-1') as unknown as Record<string, unknown>), ...patch };
}

/** Runs decodeFrame and returns the PfError it threw. */
function refusal(data: string | Buffer, maxBytes?: number): PfError {
  try {
    decodeFrame(data, maxBytes);
  } catch (err) {
    if (isPfError(err)) return err;
    throw err;
  }
  throw new Error('decodeFrame accepted the frame');
}

describe('makeFrame / encodeFrame / decodeFrame', () => {
  it.each(Object.keys(bodies) as MessageType[])('a valid %s frame round-trips', (type) => {
    const frame = makeFrame(type, bodies[type] as never, NOW + 0.7);
    expect(frame).toMatchObject({ v: PROTOCOL_VERSION, type, ts: NOW });
    const decoded = decodeFrame(encodeFrame(frame as Message));
    expect(decoded).toEqual(frame);
    expect(decodeFrame(Buffer.from(encodeFrame(frame as Message)))).toEqual(frame);
  });

  it('compiles a type\'s validator on first use and keeps it', () => {
    const first = validatorOf('ack');
    expect(validatorOf('ack')).toBe(first);
    expect(validatorOf('heartbeat')).not.toBe(first);
  });

  it('accepts frames without their optional fields', () => {
    expect(decodeFrame(JSON.stringify(makeFrame('heartbeat', {}, NOW)))).toMatchObject({ type: 'heartbeat' });
    const { host: _host, removed: _removed, baseSeq: _baseSeq, ...bare } = bodies.inventory;
    expect(decodeFrame(JSON.stringify(makeFrame('inventory', { ...bare, kind: 'full', part: 1, parts: 2 }, NOW)))).toMatchObject({ part: 1 });
  });

  it('makes short, distinct frame ids that pass the id pattern', () => {
    // 3,000: past the pooled random buffer's refills (1,024 ids each), which must not repeat ids.
    const ids = new Set(Array.from({ length: 3000 }, () => frameId()));
    expect(ids.size).toBe(3000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});

describe('decodeFrame refusals', () => {
  it('refuses a frame over the byte limit, counting UTF-8 bytes', () => {
    const big = JSON.stringify(frameOf('heartbeat', { bootId: 'é'.repeat(100) }));
    expect(big.length).toBeLessThan(300);
    const err = refusal(big, 250);
    expect(err.code).toBe('PF_ERR_FRAME_TOO_LARGE');
    expect(err.message).toMatch(/exceeds the limit of 250/);
    expect(refusal(Buffer.from(big), 250).code).toBe('PF_ERR_FRAME_TOO_LARGE');
    expect(decodeFrame(big, Buffer.byteLength(big))).toMatchObject({ type: 'heartbeat' });
  });

  it('applies the default limit of Limits.maxFrameBytes', () => {
    const big = JSON.stringify(frameOf('heartbeat', { bootId: 'x'.repeat(Limits.maxFrameBytes) }));
    expect(refusal(big).code).toBe('PF_ERR_FRAME_TOO_LARGE');
  });

  it('refuses text that is not JSON', () => {
    const err = refusal('{"v":1,"type":"hello"');
    expect(err.code).toBe('PF_ERR_BAD_FRAME');
    expect(err.message).toMatch(/not valid JSON/);
    expect(refusal(Buffer.from([0xff, 0xfe, 0x00])).code).toBe('PF_ERR_BAD_FRAME');
  });

  it.each(['[]', '[{"v":1,"type":"hello"}]', 'null', '42', '"hello"'])('refuses JSON that is not an object: %s', (text) => {
    const err = refusal(text);
    expect(err.code).toBe('PF_ERR_BAD_FRAME');
    expect(err.message).toMatch(/not a JSON object/);
  });

  it('refuses an unknown or missing type, including inherited property names', () => {
    for (const type of ['launch', 'toString', '__proto__', 7, undefined]) {
      const err = refusal(JSON.stringify({ ...frameOf('hello'), type }));
      expect(err.code).toBe('PF_ERR_BAD_FRAME');
      expect(err.message).toMatch(/unknown frame type/);
    }
  });

  it.each([0, PROTOCOL_VERSION + 1, 1.5, '1', null])('refuses protocol version %j with PF_ERR_UNSUPPORTED_VERSION', (v) => {
    const err = refusal(JSON.stringify(frameOf('hello', { v })));
    expect(err.code).toBe('PF_ERR_UNSUPPORTED_VERSION');
    expect(err.retryable).toBe(false);
  });

  it('still accepts version-1, -2 and -3 frames from agents built before signed commands, outbox epochs and health', () => {
    expect(PROTOCOL_VERSION).toBe(4);
    for (const v of [1, 2, 3]) {
      expect(decodeFrame(JSON.stringify(frameOf('hello', { v }))).type).toBe('hello');
      expect(decodeFrame(JSON.stringify(frameOf('inventory', { v }))).type).toBe('inventory');
    }
  });

  it('carries the outbox epoch in inventory and welcome frames (protocol 3) and refuses a malformed one', () => {
    expect(decodeFrame(JSON.stringify(frameOf('inventory', { epoch: 'Zk3_a-9QmW1xYb2c' })))).toMatchObject({ epoch: 'Zk3_a-9QmW1xYb2c' });
    expect(decodeFrame(JSON.stringify(frameOf('welcome', { epoch: 'Zk3_a-9QmW1xYb2c' })))).toMatchObject({ epoch: 'Zk3_a-9QmW1xYb2c' });
    expect(refusal(JSON.stringify(frameOf('inventory', { epoch: 'bad epoch' }))).message).toContain('/epoch');
  });

  it('bounds times to the year 9999 and sequence numbers to 2^53-1, which the database can hold', () => {
    expect(decodeFrame(JSON.stringify(frameOf('inventory', { collectedAt: Limits.maxTimeMs, seq: Number.MAX_SAFE_INTEGER })))).toMatchObject({ type: 'inventory' });
    expect(refusal(JSON.stringify(frameOf('inventory', { collectedAt: Limits.maxTimeMs + 1 }))).message).toContain('/collectedAt');
    expect(refusal(JSON.stringify(frameOf('inventory', { seq: 1e20 }))).message).toContain('/seq');
    expect(refusal(JSON.stringify(frameOf('heartbeat', { ts: 1e16 }))).message).toContain('/ts');
    expect(refusal(JSON.stringify(frameOf('commandStatus', { at: 1e300 }))).message).toContain('/at');
    expect(refusal(JSON.stringify(frameOf('inventory', { host: { ...sampleHost(), bootTime: 1e17 } }))).message).toContain('/host/bootTime');
  });

  it('refuses a frame without a version', () => {
    const { v: _v, ...rest } = frameOf('hello');
    expect(refusal(JSON.stringify(rest)).code).toBe('PF_ERR_UNSUPPORTED_VERSION');
  });

  it.each([
    ['hello', 'agentId'],
    ['challenge', 'nonce'],
    ['auth', 'signature'],
    ['welcome', 'lastAckedSeq'],
    ['inventory', 'packages'],
    ['ack', 'replyTo'],
    ['error', 'code'],
  ] as [MessageType, string][])('refuses a %s frame missing %s, naming the field', (type, field) => {
    const frame = frameOf(type);
    delete frame[field];
    const err = refusal(JSON.stringify(frame));
    expect(err.code).toBe('PF_ERR_BAD_FRAME');
    expect(err.message).toContain(`invalid ${type} frame`);
    expect(err.message).toContain(field);
  });

  it('refuses a frame missing an envelope field', () => {
    for (const field of ['id', 'ts']) {
      const frame = frameOf('heartbeat');
      delete frame[field];
      expect(refusal(JSON.stringify(frame)).message).toContain(field);
    }
  });

  it('refuses a healthConfig without its signature or issuedAt (command probes run as root: no unsigned config)', () => {
    for (const field of ['signature', 'issuedAt']) {
      const frame = frameOf('healthConfig');
      delete frame[field];
      const err = refusal(JSON.stringify(frame));
      expect(err.code).toBe('PF_ERR_BAD_FRAME');
      expect(err.message).toContain(field);
    }
  });

  it('refuses additional properties on the frame and on a package, naming them', () => {
    const err = refusal(JSON.stringify(frameOf('hello', { sneaky: true })));
    expect(err.code).toBe('PF_ERR_BAD_FRAME');
    expect(err.message).toContain('sneaky');

    const pkg = { ...samplePackages(1)[0], epoch: '1' };
    const inv = refusal(JSON.stringify(frameOf('inventory', { packages: [pkg] })));
    expect(inv.code).toBe('PF_ERR_BAD_FRAME');
    expect(inv.message).toContain('/packages/0');
    expect(inv.message).toContain('epoch');
  });

  it('lets host facts carry fields newer agents add', () => {
    const frame = frameOf('inventory', { host: { ...sampleHost(), tpm: { present: true } } });
    expect(decodeFrame(JSON.stringify(frame))).toMatchObject({ host: { tpm: { present: true } } });
  });

  it('enforces string length limits', () => {
    expect(decodeFrame(JSON.stringify(frameOf('hello', { agentVersion: 'v'.repeat(64) })))).toMatchObject({ type: 'hello' });
    expect(refusal(JSON.stringify(frameOf('hello', { agentVersion: 'v'.repeat(65) }))).message).toContain('/agentVersion');
    expect(refusal(JSON.stringify(frameOf('hello', { agentId: 'a'.repeat(65) }))).message).toContain('/agentId');
    expect(refusal(JSON.stringify(frameOf('error', { message: 'm'.repeat(1025) }))).message).toContain('/message');
    const longName = { ...samplePackages(1)[0], name: 'n'.repeat(257) };
    expect(refusal(JSON.stringify(frameOf('inventory', { packages: [longName] }))).message).toContain('/packages/0/name');
    const longHost = { ...sampleHost(), hostname: 'h'.repeat(256) };
    expect(refusal(JSON.stringify(frameOf('inventory', { host: longHost }))).message).toContain('/host/hostname');
  });

  it('enforces patterns and ranges', () => {
    expect(refusal(JSON.stringify(frameOf('hello', { agentId: 'bad id' }))).message).toContain('/agentId');
    expect(refusal(JSON.stringify(frameOf('hello', { id: '' }))).message).toContain('/id');
    expect(refusal(JSON.stringify(frameOf('auth', { signature: 'not base64!' }))).message).toContain('/signature');
    expect(refusal(JSON.stringify(frameOf('error', { code: 'E_NOPE' }))).message).toContain('/code');
    expect(refusal(JSON.stringify(frameOf('inventory', { seq: 0 }))).message).toContain('/seq');
    expect(refusal(JSON.stringify(frameOf('inventory', { parts: Limits.maxParts + 1 }))).message).toContain('/parts');
    expect(refusal(JSON.stringify(frameOf('inventory', { kind: 'partial' }))).message).toContain('/kind');
    expect(refusal(JSON.stringify(frameOf('welcome', { heartbeatSec: 0 }))).message).toContain('/heartbeatSec');
    expect(refusal(JSON.stringify(frameOf('heartbeat', { ts: -1 }))).message).toContain('/ts');
    expect(refusal(JSON.stringify(frameOf('ack', { seq: 1.5 }))).message).toContain('/seq');
  });

  it('refuses more than 5000 packages in one frame', () => {
    const packages = samplePackages(5001);
    expect(refusal(JSON.stringify(frameOf('inventory', { packages, packageCount: 5001 }))).message).toContain('/packages');
  });
});
