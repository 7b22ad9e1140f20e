/**
 * The OpenID Connect relying party (openid-client): authorization code flow
 * with PKCE (S256), state and nonce. `start` makes the provider URL and the
 * sealed flow cookie (flow-cookie.ts); `finish` checks the provider's answer
 * against that cookie, redeems the code with the client secret and returns
 * the validated ID token's identity and claims. What to do with them (which
 * user, which role) is keys/oidc.ts.
 *
 * The provider's discovery document is fetched on first use and kept; a
 * failed discovery is tried again on the next sign-on.
 */
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { OIDC_DEFAULTS, type Config } from '../config';
import { publicUrlOf } from '../net/public-url';
import { flowKey, openFlow, sealFlow } from './flow-cookie';
import { parseRoleMap, type RoleMap } from './role-map';
import { trustingFetch } from './trusting-fetch';

/** The callback route; the default redirect URL is the controller's URL and this path. */
/** The callback's path inside the API plugin (routes/oidc.ts). */
export const CALLBACK_ROUTE = '/auth/oidc/callback';
export const CALLBACK_PATH = `/api/v1${CALLBACK_ROUTE}`;
/** Seconds one request to the provider may take. */
const PROVIDER_TIMEOUT_SEC = 15;

/** Single sign-on settings, resolved from the config. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  scopes: string;
  roleClaim: string;
  roleMap: RoleMap;
  createUsers: boolean;
  nameClaim: string;
  /** The button's text. */
  name: string;
  /** PEM of the provider's CA, when private. */
  ca: string | undefined;
}

/** The settings of single sign-on, or undefined when it is not configured (loadConfig has checked they go together). */
export function oidcSettingsOf(config: Config): OidcSettings | undefined {
  if (!config.oidcIssuer || !config.oidcClientId || !config.oidcClientSecret || !config.oidcRoleMap) return undefined;
  let ca: string | undefined;
  if (config.oidcCaFile) {
    try {
      ca = readFileSync(config.oidcCaFile, 'utf8');
    } catch (err) {
      throw new PfError(Errors.CONFIG, `cannot read oidcCaFile ${config.oidcCaFile}: ${(err as Error).message}`);
    }
  }
  return {
    issuer: config.oidcIssuer,
    clientId: config.oidcClientId,
    clientSecret: config.oidcClientSecret,
    redirectUrl: config.oidcRedirectUrl ?? `${publicUrlOf(config, config.port)}${CALLBACK_PATH}`,
    scopes: config.oidcScopes ?? OIDC_DEFAULTS.scopes,
    roleClaim: config.oidcRoleClaim ?? OIDC_DEFAULTS.roleClaim,
    roleMap: parseRoleMap(config.oidcRoleMap),
    createUsers: config.oidcCreateUsers ?? OIDC_DEFAULTS.createUsers,
    nameClaim: config.oidcNameClaim ?? OIDC_DEFAULTS.nameClaim,
    name: config.oidcName ?? OIDC_DEFAULTS.name,
    ca,
  };
}

/** Who the provider says signed in: its issuer, the subject, and the ID token's claims (with the userinfo claims it lacked). */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
}

/** Why a sign-on's answer was refused; the audit row records it. */
export type FlowRefusal = 'no-flow-cookie' | 'bad-flow-cookie' | 'flow-expired' | 'state-mismatch' | 'provider-refused' | 'code-refused' | 'token-refused';

/** A refused answer: PF_ERR_OIDC_FLOW with the reason in details.reason. */
function refused(reason: FlowRefusal, message: string, extra: Record<string, unknown> = {}): PfError {
  return new PfError(Errors.OIDC_FLOW, message, { reason, ...extra });
}

/** openid-client error codes that mean the provider could not be used, not that its answer failed a check. */
const TRANSPORT_CODES = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_HTTP_REQUEST_FORBIDDEN', 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN']);

/** Maps openid-client's errors to ours: the provider's own refusals are the flow's; transport and metadata failures are the provider's. */
function providerError(err: unknown, during: string): PfError {
  if (err instanceof PfError) return err;
  if (err instanceof oidc.AuthorizationResponseError) {
    return refused('provider-refused', `the identity provider refused the sign-on: ${err.error}${err.error_description ? ` (${err.error_description.slice(0, 200)})` : ''}`, { error: err.error.slice(0, 100) });
  }
  if (err instanceof oidc.ResponseBodyError) {
    if (err.status >= 500) return new PfError(Errors.OIDC_PROVIDER, `the identity provider failed during ${during}: HTTP ${err.status} ${err.error}`, undefined, { cause: err });
    return refused('code-refused', `the identity provider refused the authorization code: ${err.error}`, { error: err.error.slice(0, 100) });
  }
  // A ClientError during the exchange is a check that failed (state, nonce, the ID token's signature, issuer, audience,
  // times), unless it is about the transport or the shape of the provider's HTTP answer.
  if (err instanceof oidc.ClientError && during === 'the code exchange' && !TRANSPORT_CODES.has(err.code ?? '')) {
    return refused('token-refused', `the sign-on answer or its ID token was refused: ${err.message}`, { check: err.code ?? 'unknown' });
  }
  return new PfError(Errors.OIDC_PROVIDER, `the identity provider could not be used during ${during}: ${(err as Error).message}`, undefined, { cause: err });
}

/** One relying party per controller; its methods are safe to call concurrently. */
export class OidcClient {
  private readonly key: Buffer;
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(readonly settings: OidcSettings) {
    this.key = flowKey(settings.clientSecret);
  }

  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= (async () => {
      const s = this.settings;
      const options: oidc.DiscoveryRequestOptions = { timeout: PROVIDER_TIMEOUT_SEC, ...(s.ca ? { [oidc.customFetch]: trustingFetch(s.ca) } : {}) };
      try {
        return await oidc.discovery(new URL(s.issuer), s.clientId, { client_secret: s.clientSecret, redirect_uris: [s.redirectUrl], response_types: ['code'] }, oidc.ClientSecretBasic(s.clientSecret), options);
      } catch (err) {
        this.discovered = undefined;
        throw providerError(err, 'discovery');
      }
    })();
    return this.discovered;
  }

  /** The provider URL to send the browser to, and the sealed flow for the FLOW_COOKIE. */
  async start(nowMs: number): Promise<{ url: string; cookie: string }> {
    const config = await this.configuration();
    const flow = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl,
      scope: this.settings.scopes,
      response_type: 'code',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, cookie: sealFlow(this.key, flow, nowMs) };
  }

  /**
   * Checks the provider's answer (`query`: the callback's query string)
   * against the flow cookie, redeems the code and validates the ID token
   * (signature, issuer, audience, times, nonce). Throws PF_ERR_OIDC_FLOW with
   * details.reason for an answer to refuse, PF_ERR_OIDC_PROVIDER when the
   * provider could not be used.
   */
  async finish(query: string, cookie: string | undefined, nowMs: number): Promise<OidcIdentity> {
    if (!cookie) throw refused('no-flow-cookie', 'the sign-on flow cookie is missing (cookies blocked, or the sign-on was started elsewhere); start the sign-on again');
    const flow = openFlow(this.key, cookie, nowMs);
    if (flow === 'invalid') throw refused('bad-flow-cookie', 'the sign-on flow cookie is not one this controller made; start the sign-on again');
    if (flow === 'expired') throw refused('flow-expired', 'the sign-on took too long; start it again');
    const current = new URL(this.settings.redirectUrl);
    current.search = query;
    // Checked here too (openid-client also does) so the refusal says what was wrong before anything is sent to the provider.
    const state = current.searchParams.get('state');
    if (state !== flow.state && !current.searchParams.has('error')) throw refused('state-mismatch', 'the sign-on answer does not belong to this browser\'s sign-on (state differs); start the sign-on again');
    const config = await this.configuration();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
    } catch (err) {
      throw providerError(err, 'the code exchange');
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw refused('token-refused', 'the identity provider returned no ID token');
    const claims: Record<string, unknown> = { ...idClaims };
    // Some providers put only the standard claims in the ID token and the rest (groups) in userinfo.
    if (!(this.settings.roleClaim.split('.')[0]! in claims) && config.serverMetadata().userinfo_endpoint) {
      try {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        for (const [k, v] of Object.entries(info)) if (!(k in claims)) claims[k] = v;
      } catch (err) {
        throw providerError(err, 'the userinfo request');
      }
    }
    return { issuer: idClaims.iss, subject: idClaims.sub, claims };
  }
}
