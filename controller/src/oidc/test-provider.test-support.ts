/**
 * A real OpenID Connect provider for tests: `oidc-provider` over HTTPS on
 * 127.0.0.1 with a self-signed certificate (so the relying party's private-CA
 * setting is exercised too), one confidential client, accounts whose claims
 * the test sets (and may change between sign-ins), and the provider's own
 * development login and consent pages, which `browseToCallback` fills in
 * like a browser: following redirects and keeping the provider's cookies.
 */
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import selfsigned from 'selfsigned';

/** What the provider says about an account. */
export interface TestAccount {
  groups: string[];
  email?: string;
}

export interface TestProvider {
  issuer: string;
  /** The provider's certificate (PEM), to trust as its CA. */
  caPem: string;
  clientId: string;
  clientSecret: string;
  /** Login name -> claims; read at each sign-in. */
  accounts: Map<string, TestAccount>;
  close(): Promise<void>;
}

/**
 * Starts the provider for a client whose only redirect URL is `redirectUri`.
 * `groupsIn`: whether the scopes' claims (groups) go in the ID token
 * (Entra ID, Keycloak with a mapper) or only in userinfo (the spec's default).
 */
export async function startTestProvider(redirectUri: string, groupsIn: 'id-token' | 'userinfo' = 'id-token'): Promise<TestProvider> {
  const made = await selfsigned.generate([{ name: 'commonName', value: 'test identity provider' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  // The issuer names the port, so the server listens before the provider exists; requests are routed to it once it does.
  const server = createServer({ cert: made.cert, key: made.private });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, TestAccount>();
  const clientId = 'patchfleet-test';
  const clientSecret = 'a test client secret, long enough';
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    jwks: { keys: [{ ...signingKey, kid: 'test', alg: 'RS256', use: 'sig' } as never] },
    cookies: { keys: ['test provider cookie key'] },
    claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
    conformIdTokenClaims: groupsIn === 'userinfo',
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ sub: id, preferred_username: id, email: account.email ?? `${id}@example.test`, groups: account.groups }) };
    },
  });
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void callback(req, res));
  return {
    issuer,
    caPem: made.cert,
    clientId,
    clientSecret,
    accounts,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

/** One browser request to the provider, keeping its cookies in `jar` (name -> value; paths are ignored). */
function send(url: URL, ca: string, jar: Map<string, string>, form?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers: Record<string, string> = { ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) };
    const req = request(url, { method: form ? 'POST' : 'GET', ca, headers }, (res) => {
      for (const set of res.headers['set-cookie'] ?? []) {
        const [pair] = set.split(';');
        const at = pair!.indexOf('=');
        const value = pair!.slice(at + 1);
        if (/expires=Thu, 01 Jan 1970/i.test(set) || value === '') jar.delete(pair!.slice(0, at));
        else jar.set(pair!.slice(0, at), value);
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end(form);
  });
}

/**
 * Follows the provider's pages from `authorizeUrl` as a browser would, signing
 * in as `login` and consenting, and returns the URL the provider sends the
 * browser back to (the redirect URL with code and state, or an error).
 */
export async function browseToCallback(provider: TestProvider, authorizeUrl: string, login: string, redirectUri: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authorizeUrl);
  let form: string | undefined;
  for (let step = 0; step < 20; step++) {
    if (url.href.startsWith(redirectUri)) return url;
    const answer = await send(url, provider.caPem, jar, form);
    form = undefined;
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      url = new URL(answer.location, url);
      continue;
    }
    const action = /<form[^>]*action="([^"]+)"/.exec(answer.body)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(answer.body)?.[1];
    if (answer.status !== 200 || !action || !prompt) throw new Error(`the provider answered ${answer.status} at ${url.pathname}: ${answer.body.slice(0, 300)}`);
    form = prompt === 'login' ? new URLSearchParams({ prompt, login, password: 'any' }).toString() : new URLSearchParams({ prompt }).toString();
    url = new URL(action.replaceAll('&amp;', '&'), url);
  }
  throw new Error('the provider did not send the browser back within 20 steps');
}
