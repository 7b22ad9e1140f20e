/**
 * Admission of TCP connections, before TLS and before HTTP. Every new
 * connection is unauthenticated until an agent session authenticates on it
 * or an API request on it carries a valid token. Unauthenticated connections
 * are bounded per source address and in total, and one that has not sent a
 * complete first request (HTTP or WebSocket upgrade) within `idleMs` is
 * closed. After an upgrade, the agent session's own handshake timeout
 * (PF_ERR_HANDSHAKE_TIMEOUT) closes a WebSocket that never authenticates.
 * All connections together stay under `maxConnections`, below the process's
 * open-file limit, so a flood can never take the descriptors the database
 * and the API need.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Server, Socket } from 'node:net';
import { normalizeIP } from '@fastify/rate-limit';
import type { Clock, TimerHandle } from '@patchfleet/shared';
import type { Config } from '../config';
import type { Logger } from '../logger';

/** Why a connection was refused or closed (the codes of `connection.refused` audit rows). */
export type ConnectionRefusal = 'per-address-limit' | 'unauthenticated-limit' | 'connection-limit' | 'idle-timeout' | 'evicted-idle';

export interface ConnectionLimits {
  /** A new connection must send a complete first request within this. */
  idleMs: number;
  /** Unauthenticated connections per source address. */
  perAddress: number;
  /** Unauthenticated connections in total. */
  unauthenticated: number;
  /** All connections, authenticated or not (net.Server maxConnections). */
  maxConnections: number;
  /** Agent sessions held at once; past it an agent is refused with PF_ERR_CONTROLLER_FULL (gateway/gateway.ts). */
  maxAgents: number;
}

/** The soft RLIMIT_NOFILE of this process and how many descriptors it has open now (Linux /proc), or undefined elsewhere. */
export function fileDescriptors(): { limit: number; inUse: number } | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line?.[1] || line[1] === 'unlimited') return undefined;
    return { limit: Number(line[1]), inUse: readdirSync('/proc/self/fd').length };
  } catch {
    return undefined; // not Linux: the configured caps apply as they are
  }
}

/**
 * The limits for this process. The connection cap leaves what is open now
 * (the database: PGlite keeps a descriptor per relation file it touched) and
 * a reserve (`fdReserve`, at most a quarter of the limit) for what opens
 * later; unless configured lower. Unauthenticated connections get at most
 * half of the cap, so agents and API clients always find room.
 */
export function resolveConnectionLimits(config: Config, fds: { limit: number; inUse: number } | undefined): ConnectionLimits {
  const fromFds = fds === undefined ? Number.POSITIVE_INFINITY : fds.limit - fds.inUse - Math.min(config.fdReserve, Math.floor(fds.limit / 4));
  const maxConnections = Math.max(16, Math.min(config.maxConnections ?? Number.POSITIVE_INFINITY, fromFds, 10_000_000));
  const unauthenticated = Math.max(1, Math.min(config.maxUnauthConnections, Math.floor(maxConnections / 2)));
  // Agents get what is left after the unauthenticated share and a reserve for API clients, so a full
  // controller still answers the API (and refuses agents with a frame, not a reset at accept).
  const apiReserve = Math.min(config.apiConnectionReserve, Math.floor(maxConnections / 4));
  const maxAgents = Math.max(1, Math.min(config.maxAgents ?? Number.POSITIVE_INFINITY, maxConnections - unauthenticated - apiReserve));
  return {
    idleMs: config.connectIdleSec * 1000,
    perAddress: config.maxConnectionsPerAddress,
    unauthenticated,
    maxConnections,
    maxAgents,
  };
}

interface Entry {
  key: string;
  address: string;
  socket: Socket;
  awaitingRequest: boolean;
  timer: TimerHandle | undefined;
}

/** The key of a connection: the same for the raw TCP socket and the TLS socket over it. */
function keyOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string | undefined {
  if (!socket.remoteAddress || socket.remotePort === undefined) return undefined;
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

/** The source address a limit applies to: IPv4 as is (mapped IPv4 unwrapped), IPv6 by its /64. */
export function sourceAddress(remote: string | undefined): string {
  return remote ? normalizeIP(remote, 64) : 'unknown';
}

export class ConnectionGuard {
  /** Unauthenticated connections by key. */
  private readonly entries = new Map<string, Entry>();
  /** Those that have not sent a request yet, oldest first (Map keeps insertion order). */
  private readonly awaiting = new Map<string, Entry>();
  private readonly perAddress = new Map<string, number>();

  constructor(
    readonly limits: ConnectionLimits,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Told of every refused or closed connection (aggregated into the audit log). */
    private readonly onRefused: (address: string, reason: ConnectionRefusal) => void = () => undefined,
  ) {}

  /** Unauthenticated connections now held, in total and from one address. */
  unauthenticatedCount(address?: string): number {
    return address === undefined ? this.entries.size : (this.perAddress.get(sourceAddress(address)) ?? 0);
  }

  /** Starts guarding `server`: call before it listens, before other connection listeners see sockets. */
  attach(server: Server): void {
    server.maxConnections = this.limits.maxConnections;
    server.on('drop', (data?: { remoteAddress?: string }) => this.refused(sourceAddress(data?.remoteAddress), 'connection-limit'));
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
    const started = (req: IncomingMessage) => this.requestStarted(req.socket);
    server.prependListener('request', started);
    server.prependListener('upgrade', started);
  }

  /** The connection under `socket` authenticated (agent session or API token): it no longer counts against the limits. */
  authenticated(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): void {
    const key = keyOf(socket);
    const entry = key === undefined ? undefined : this.entries.get(key);
    if (entry) this.release(entry);
  }

  private admit(socket: Socket): void {
    const key = keyOf(socket);
    const address = sourceAddress(socket.remoteAddress);
    if (key === undefined) {
      socket.destroy(); // already gone
      return;
    }
    if ((this.perAddress.get(address) ?? 0) >= this.limits.perAddress) {
      socket.destroy();
      this.refused(address, 'per-address-limit');
      return;
    }
    if (this.entries.size >= this.limits.unauthenticated) {
      // Full: make room by closing the oldest connection that has sent nothing, so a
      // client that speaks at once still gets in; refuse only when every slot is in use.
      const oldest = this.awaiting.values().next().value;
      if (!oldest) {
        socket.destroy();
        this.refused(address, 'unauthenticated-limit');
        return;
      }
      this.release(oldest);
      oldest.socket.destroy();
      this.refused(oldest.address, 'evicted-idle');
    }
    const entry: Entry = { key, address, socket, awaitingRequest: true, timer: undefined };
    entry.timer = this.clock.after(this.limits.idleMs, () => {
      entry.timer = undefined;
      if (!entry.awaitingRequest || this.entries.get(key) !== entry) return;
      this.release(entry);
      socket.destroy();
      this.refused(address, 'idle-timeout');
    });
    this.entries.set(key, entry);
    this.awaiting.set(key, entry);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => {
      if (this.entries.get(key) === entry) this.release(entry);
    });
  }

  private requestStarted(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): void {
    const key = keyOf(socket);
    const entry = key === undefined ? undefined : this.awaiting.get(key);
    if (!entry) return;
    entry.awaitingRequest = false;
    entry.timer?.cancel();
    entry.timer = undefined;
    this.awaiting.delete(entry.key);
  }

  private release(entry: Entry): void {
    entry.timer?.cancel();
    entry.timer = undefined;
    this.entries.delete(entry.key);
    this.awaiting.delete(entry.key);
    const n = (this.perAddress.get(entry.address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(entry.address);
    else this.perAddress.set(entry.address, n);
  }

  private refused(address: string, reason: ConnectionRefusal): void {
    this.log.debug({ address, reason }, 'connection refused');
    this.onRefused(address, reason);
  }
}
