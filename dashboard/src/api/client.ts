/**
 * The one HTTP client of the dashboard: JSON in and out of /api/v1, the
 * session cookie sent by the browser, and the CSRF token the sign-in handed
 * out sent on every write. Errors come back as ApiError with the API's
 * stable PF_ERR code.
 */

/** The controller's error envelope: `{ error: { code, message, requestId, retryable } }`. */
export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; retryable: boolean };
}

/** A refused or failed API call. `code` is a PF_ERR code, or PF_ERR_NETWORK when no answer came. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Writes need the session's CSRF token (sign-in and /auth/me hand it out); reads do not. */
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Told when an API call answers 401: the session has ended, the app shows the sign-in page again. */
const signedOutListeners = new Set<() => void>();

export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined | null>;

/** `/api/v1/hosts` + `{ q: 'web', limit: 50 }` -> `/api/v1/hosts?q=web&limit=50` (empty values left out). */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

/** One call to the API. `quiet401` is for the session check itself, whose 401 only means "not signed in". */
export async function request<T>(method: Method, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new ApiError(0, 'PF_ERR_NETWORK', `the controller did not answer (${err instanceof Error ? err.message : String(err)})`);
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's error page): reported below with the status.
    parsed = undefined;
  }
  if (!res.ok) {
    const env = (parsed as Partial<ErrorEnvelope> | undefined)?.error;
    if (res.status === 401 && !opts.quiet401) for (const l of signedOutListeners) l();
    throw new ApiError(res.status, env?.code ?? `HTTP_${res.status}`, env?.message ?? `${method} ${path} answered ${res.status}`, env?.requestId ?? null);
  }
  return parsed as T;
}

export const get = <T>(path: string, query?: Query, opts?: { quiet401?: boolean }) => request<T>('GET', withQuery(path, query), undefined, opts);
export const post = <T>(path: string, body?: unknown, opts?: { quiet401?: boolean }) => request<T>('POST', path, body ?? {}, opts);
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
