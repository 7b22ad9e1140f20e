/**
 * The web dashboard at `/`: the single-page app built into the dashboard
 * package's dist/ folder, compressed (brotli or gzip) for clients that ask.
 *
 * - `/assets/...`: content-hashed files, cached for a year as immutable;
 * - any other GET outside `/api/`: a file of dist/ when one has that name,
 *   else index.html (the app routes on the client: /hosts/abc), never cached
 *   without revalidation, so a new build is picked up at the next visit;
 * - `/api/...` keeps the API's JSON 404 envelope for unknown routes;
 * - no build yet: 503 with a page that says to run `pnpm build`.
 *
 * The routes are public (`config.auth`): the app itself signs in through the API.
 * Registered in its own encapsulated scope, so compression applies to these
 * routes only, not to the API's JSON or streams.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Hashed file names never change content: a year, and no revalidation. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and other unhashed files) are checked with the server on every use. */
export const REVALIDATE = 'no-cache';

/**
 * A strict policy for the app's pages: its own scripts and styles only
 * (React sets styles through the DOM, which the policy allows), API calls to
 * this origin, no framing.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Patchfleet: dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<main><h1>The dashboard is not built</h1>
<p>This controller serves the web dashboard from the <code>dashboard/dist</code> folder, which does not exist yet.
Run <code>pnpm build</code> in the Patchfleet checkout, then reload this page.</p>
<p>The API works without it: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></main>
</body></html>
`;

export interface DashboardOptions {
  /** The built app (index.html, assets/); see dashboardDistDir(). */
  dir: string;
}

/** A path under `dir` naming an existing file, or undefined (outside dir, missing, or a folder). */
function fileIn(dir: string, relative: string): string | undefined {
  const full = resolve(dir, relative);
  if (!full.startsWith(dir + sep)) return undefined;
  try {
    return statSync(full).isFile() ? full.slice(dir.length + 1) : undefined;
  } catch {
    // A missing file is the ordinary case (a client-side route); any other stat failure is treated the same.
    return undefined;
  }
}

export async function dashboardRoutes(app: FastifyInstance, opts: DashboardOptions): Promise<void> {
  const dir = resolve(opts.dir);
  await app.register(async (scope) => {
    await scope.register(compress, { global: true, encodings: ['br', 'gzip'], threshold: 1024 });
    // sendFile only: the routes below decide what is served and how long it may be cached.
    await scope.register(fastifyStatic, { root: dir, serve: false, cacheControl: false, etag: true, lastModified: true });

    const notBuilt = (reply: FastifyReply) => reply.code(503).header('cache-control', 'no-store').header('retry-after', '30').type('text/html; charset=utf-8').send(NOT_BUILT);
    const built = () => existsSync(join(dir, 'index.html'));
    const page = (reply: FastifyReply, file: string, cacheControl: string) =>
      reply.header('cache-control', cacheControl).header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').sendFile(file, dir, { cacheControl: false });

    scope.get('/assets/*', { config: { auth: 'public' }, schema: { hide: true } }, async (req: FastifyRequest, reply) => {
      if (!built()) return notBuilt(reply);
      const file = fileIn(dir, join('assets', (req.params as { '*': string })['*']));
      if (!file) return reply.callNotFound();
      return page(reply, file, IMMUTABLE);
    });

    const serveApp = async (req: FastifyRequest, reply: FastifyReply) => {
      const rest = (req.params as { '*'?: string })['*'] ?? '';
      // Unknown API paths answer the API's JSON 404, not the app.
      if (rest === 'api' || rest.startsWith('api/')) return reply.callNotFound();
      if (!built()) return notBuilt(reply);
      const file = rest ? fileIn(dir, rest) : undefined;
      return page(reply, file ?? 'index.html', REVALIDATE);
    };
    scope.get('/', { config: { auth: 'public' }, schema: { hide: true } }, serveApp);
    scope.get('/*', { config: { auth: 'public' }, schema: { hide: true } }, serveApp);
  });
}
