/**
 * API tokens: everyone mints tokens for themselves (a role no higher than
 * their own, always with an expiry), sees and revokes their own; admins see
 * and revoke everyone's and mint for named service accounts. A new token's
 * secret is shown once, here, and never again.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { apiTokens } from '../api/endpoints';
import type { ApiToken, MintedToken, Role } from '../api/types';
import { Badge, Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { roleAllows, useSession } from '../session';

const ROLES: Role[] = ['helpdesk', 'operator', 'admin'];
/** Lifetimes offered; the controller refuses more than 365 days. */
const LIFETIMES = [
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '180d', label: '180 days' },
  { value: '365d', label: '1 year' },
];

const errorText = (err: unknown) => (err instanceof ApiError ? `${err.message} (${err.code})` : String(err));

/** The secret of a token just minted, with a copy button; gone once dismissed. */
function NewSecret({ made, onDone }: { made: MintedToken; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(made.token);
      setCopied('yes');
    } catch {
      // No clipboard (an insecure origin, a refused permission): the field can still be selected and copied by hand.
      setCopied('failed');
    }
  };
  return (
    <section className="panel" aria-labelledby="secret-h">
      <h2 id="secret-h">Token {made.name} minted</h2>
      <p className="note note-good">
        Copy the secret now: it is shown only this once. The token is {made.role} for {made.person} and expires <Time at={made.expiresAt} />.
      </p>
      <div className="field">
        <label htmlFor="new-token-secret">Secret of token {made.name}</label>
        <div className="inline-edit">
          <input id="new-token-secret" className="mono secret" readOnly value={made.token} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => void copy()}>
            Copy
          </button>
        </div>
      </div>
      <div aria-live="polite">{copied === 'yes' ? <p className="small">Copied to the clipboard.</p> : copied === 'failed' ? <p className="small">The browser did not allow copying: select the secret and copy it by hand.</p> : null}</div>
      <button type="button" className="button-quiet" onClick={onDone}>
        Done, hide the secret
      </button>
    </section>
  );
}

function MintToken({ myRole, isAdmin }: { myRole: Role; isAdmin: boolean }) {
  const queries = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('helpdesk');
  const [expires, setExpires] = useState('90d');
  const [person, setPerson] = useState('');
  const [made, setMade] = useState<MintedToken | null>(null);
  const mint = useMutation({
    mutationFn: () => apiTokens.mint({ name: name.trim(), role, expires, ...(isAdmin && person.trim() ? { person: person.trim() } : {}) }),
    onSuccess: (t) => {
      setMade(t);
      setName('');
      setPerson('');
      void queries.invalidateQueries({ queryKey: ['api-tokens'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMade(null);
    mint.mutate();
  };
  return (
    <>
      {made ? <NewSecret made={made} onDone={() => setMade(null)} /> : null}
      <form onSubmit={submit} className="panel" aria-labelledby="mint-h">
        <h2 id="mint-h">Mint a token</h2>
        <p className="muted small">For scripts and the command line. A token acts with its role, never above yours, and always expires.</p>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="mint-name">What it is for</label>
            <input id="mint-name" required maxLength={64} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="mint-role">Role</label>
            <select id="mint-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.filter((r) => roleAllows(myRole, r)).map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="mint-expires">Expires after</label>
            <select id="mint-expires" value={expires} onChange={(e) => setExpires(e.target.value)}>
              {LIFETIMES.map((l) => (
                <option key={l.value} value={l.value}>
                  {l.label}
                </option>
              ))}
            </select>
          </div>
          {isAdmin ? (
            <div className="field">
              <label htmlFor="mint-person">Service account (optional; empty: yours)</label>
              <input id="mint-person" maxLength={64} autoComplete="off" value={person} onChange={(e) => setPerson(e.target.value)} />
            </div>
          ) : null}
        </div>
        <button type="submit" disabled={mint.isPending}>
          Mint token
        </button>
        <div aria-live="polite">
          {mint.error ? (
            <p className="note note-error" role="alert">
              Not minted: {errorText(mint.error)}
            </p>
          ) : null}
        </div>
      </form>
    </>
  );
}

function TokenRow({ t, showOwner }: { t: ApiToken; showOwner: boolean }) {
  const queries = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () => apiTokens.revoke(t.id),
    onSuccess: () => {
      setConfirming(false);
      void queries.invalidateQueries({ queryKey: ['api-tokens'] });
    },
  });
  return (
    <tr>
      <td>
        {t.name}
        <div className="mono muted small">{t.id}</div>
      </td>
      {showOwner ? (
        <td>
          {t.person}
          {t.owner === 'service' ? <span className="muted small"> (service account)</span> : null}
        </td>
      ) : null}
      <td>{t.role}</td>
      <td>
        <Badge value={t.state} />
      </td>
      <td className="small">
        <Time at={t.createdAt} />
      </td>
      <td className="small">{t.expiresAt ? <Time at={t.expiresAt} /> : 'never'}</td>
      <td className="small">
        <Time at={t.lastUsedAt} />
      </td>
      <td>
        {t.state !== 'live' ? (
          t.revokedAt ? (
            <span className="small">
              Revoked <Time at={t.revokedAt} />
            </span>
          ) : null
        ) : confirming ? (
          <div role="group" aria-label={`Confirm revoking ${t.name}`} className="inline-edit">
            <span className="small">Revoke for good?</span>
            <button type="button" className="button-danger" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
              Yes, revoke<span className="visually-hidden"> {t.name}</span>
            </button>
            <button type="button" className="button-quiet" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" className="button-quiet" onClick={() => setConfirming(true)}>
            Revoke<span className="visually-hidden"> {t.name}</span>
          </button>
        )}
        {revoke.error ? (
          <p className="note note-error small" role="alert">
            {errorText(revoke.error)}
          </p>
        ) : null}
      </td>
    </tr>
  );
}

export default function Tokens() {
  const { user, can } = useSession();
  const isAdmin = can('admin');
  const [all, setAll] = useState(false);
  const [mine, setMine] = useState(false);
  const onlyMine = !isAdmin || mine;
  const list = useQuery({ queryKey: ['api-tokens', all, mine], queryFn: () => apiTokens.list(all, mine) });
  return (
    <>
      <PageTitle title="API tokens">API tokens</PageTitle>
      <p className="muted small">{isAdmin ? 'Every token of every person and service account. Revoking one ends it at once.' : 'Your tokens. Revoking one ends it at once.'} Secrets are never shown again after minting.</p>
      <div className="button-row">
        <div className="check">
          <input id="tokens-all" type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
          <label htmlFor="tokens-all">Show revoked and expired tokens</label>
        </div>
        {isAdmin ? (
          <div className="check">
            <input id="tokens-mine" type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} />
            <label htmlFor="tokens-mine">Only mine</label>
          </div>
        ) : null}
      </div>
      <QueryView query={list} what="API tokens">
        {(r) =>
          r.items.length === 0 ? (
            <p>No tokens{onlyMine ? ' of yours' : ''} yet.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">{onlyMine ? 'Your API tokens' : 'All API tokens'}</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    {onlyMine ? null : <th scope="col">Owner</th>}
                    <th scope="col">Role</th>
                    <th scope="col">State</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {r.items.map((t) => (
                    <TokenRow key={t.id} t={t} showOwner={!onlyMine} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      {user ? <MintToken myRole={user.role} isAdmin={isAdmin} /> : null}
    </>
  );
}
