/**
 * The one typed client of the controller's API, shared by the CLI and the
 * dashboard. Paths, parameters, bodies and answers take their types from
 * `paths` (generated from the controller's OpenAPI document, paths.ts), so a
 * route whose schema changes breaks its callers at compile time. How bytes
 * travel is the caller's: the CLI sends them over its pinned TLS agent with a
 * bearer token, the dashboard with fetch, its session cookie and CSRF header.
 */
import type { paths } from './paths';

export type { paths } from './paths';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The API paths that have an operation for `M`. */
export type PathsWith<M extends HttpMethod> = { [P in keyof paths]: paths[P] extends { [K in M]: object } ? P : never }[keyof paths];

type Operation<P extends keyof paths, M extends HttpMethod> = paths[P] extends { [K in M]: infer O } ? O : never;
type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : undefined;

/** The answer of a successful call (its 200, 201 or 202 body). */
export type ResponseOf<P extends keyof paths, M extends HttpMethod> = Operation<P, M> extends { responses: infer R }
  ? R extends { 200: infer A }
    ? JsonOf<A>
    : R extends { 201: infer A }
      ? JsonOf<A>
      : R extends { 202: infer A }
        ? JsonOf<A>
        : undefined
  : never;

/** The JSON body an operation takes (undefined when it takes none). */
export type BodyOf<P extends keyof paths, M extends HttpMethod> = Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : undefined;
type QueryOf<P extends keyof paths, M extends HttpMethod> = Operation<P, M> extends { parameters: { query?: infer Q } } ? ([Q] extends [never] ? undefined : Q) : undefined;
type PathParamsOf<P extends keyof paths, M extends HttpMethod> = Operation<P, M> extends { parameters: { path?: infer Q } } ? ([Q] extends [never] ? undefined : Q) : undefined;

/** What a call takes besides its path: path parameters, query and body, each only where the operation has them. */
export type CallOptions<P extends keyof paths, M extends HttpMethod> = {
  params?: PathParamsOf<P, M>;
  query?: QueryOf<P, M>;
  body?: BodyOf<P, M>;
};

/** Sends one request and gives back its status and parsed JSON body (or throws for a transport failure). */
export type Transport = (method: Uppercase<HttpMethod>, url: string, body: unknown) => Promise<{ status: number; body: unknown }>;

/** A refused call: the API's error envelope (`{ error: { code, message } }`) with the HTTP status. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/** `/hosts/{id}` with `{ id: 'h1' }` -> `/hosts/h1` (each value URL-encoded). */
export function fillPath(path: string, params: Record<string, unknown> | undefined): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new Error(`path parameter ${name} of ${path} is missing`);
    return encodeURIComponent(String(value));
  });
}

/** `?a=1&b=x` from a query object; arrays repeat the key, undefined values are left out. */
export function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The typed client: `api.call('get', '/api/v1/hosts/{id}/patches', { params: { id } })`. */
export class TypedApi {
  constructor(private readonly transport: Transport) {}

  async call<M extends HttpMethod, P extends PathsWith<M>>(method: M, path: P, options: CallOptions<P, M> = {}): Promise<ResponseOf<P, M>> {
    const url = `${fillPath(path, options.params as Record<string, unknown> | undefined)}${queryString(options.query as Record<string, unknown> | undefined)}`;
    const res = await this.transport(method.toUpperCase() as Uppercase<HttpMethod>, url, options.body);
    if (res.status >= 400) {
      const err = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiCallError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `HTTP ${res.status}`);
    }
    return res.body as ResponseOf<P, M>;
  }
}
