/**
 * Settings for admins: the advisory feeds (what each last imported, and
 * when; GET /catalog/status) and the health probes agents run (GET, POST,
 * PATCH, DELETE /probes).
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { catalog, probes } from '../api/endpoints';
import type { CatalogStatus, Probe } from '../api/types';
import { Badge, Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { BLANK_PROBE, formOf, PROBE_KINDS, probeBody, probeChange, probeTarget, type ProbeForm } from '../components/probe-form';

const errorText = (err: unknown) => (err instanceof ApiError ? `${err.message} (${err.code})` : String(err));

const FEEDS: { key: keyof CatalogStatus['lastImports']; name: string }[] = [
  { key: 'usn', name: 'Ubuntu security notices (USN, OSV)' },
  { key: 'msrc', name: 'Microsoft security updates (MSRC CVRF)' },
  { key: 'kev', name: 'CISA known exploited vulnerabilities (KEV)' },
  { key: 'epss', name: 'FIRST exploit prediction scores (EPSS)' },
];

function Feeds() {
  const status = useQuery({ queryKey: ['catalog-status'], queryFn: catalog.status });
  return (
    <section className="panel" aria-labelledby="feeds-h">
      <h2 id="feeds-h">Advisory feeds</h2>
      <QueryView query={status} what="the catalog status">
        {(s) => (
          <div className="table-wrap">
            <table aria-label="Advisory feeds and their last import">
              <thead>
                <tr>
                  <th scope="col">Feed</th>
                  <th scope="col">Last import</th>
                  <th scope="col">By</th>
                  <th scope="col">Sources</th>
                  <th scope="col">Rows inserted / updated / deleted</th>
                </tr>
              </thead>
              <tbody>
                {FEEDS.map((feed) => {
                  const last = s.lastImports[feed.key];
                  return (
                    <tr key={feed.key}>
                      <th scope="row">{feed.name}</th>
                      {last ? (
                        <>
                          <td>
                            <Time at={last.finishedAt} />
                          </td>
                          <td className="mono small">{last.actor}</td>
                          <td className="small">{last.sources.length === 1 ? last.sources[0] : `${last.sources.length} files`}</td>
                          <td className="num">
                            {last.totals.inserted} / {last.totals.updated} / {last.totals.deleted}
                          </td>
                        </>
                      ) : (
                        <td colSpan={4} className="muted">
                          never imported
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}

/** The fields of a probe; `prefix` keeps ids unique when the create and an edit form are both shown. */
function ProbeFields({ f, set, prefix, kindFixed }: { f: ProbeForm; set: (patch: Partial<ProbeForm>) => void; prefix: string; kindFixed: boolean }) {
  const id = (k: string) => `${prefix}-${k}`;
  const text = (k: 'name' | 'url' | 'host' | 'port' | 'timeoutMs' | 'expectStatus' | 'expectExit', label: string, extra: { inputMode?: 'numeric'; maxLength?: number } = {}) => (
    <div className="field">
      <label htmlFor={id(k)}>{label}</label>
      <input id={id(k)} value={f[k]} maxLength={extra.maxLength ?? 2048} inputMode={extra.inputMode} onChange={(e) => set({ [k]: e.target.value })} />
    </div>
  );
  return (
    <div className="form-grid">
      {text('name', 'Probe name', { maxLength: 100 })}
      <div className="field">
        <label htmlFor={id('kind')}>Kind</label>
        <select id={id('kind')} value={f.kind} disabled={kindFixed} onChange={(e) => set({ kind: PROBE_KINDS.find((k) => k === e.target.value) ?? 'http' })}>
          {PROBE_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </div>
      {f.kind === 'http' ? (
        <>
          {text('url', 'URL')}
          {text('expectStatus', 'Expected status', { inputMode: 'numeric' })}
        </>
      ) : null}
      {f.kind === 'tcp' ? (
        <>
          {text('host', 'Host to connect to', { maxLength: 255 })}
          {text('port', 'Port', { inputMode: 'numeric' })}
        </>
      ) : null}
      {f.kind === 'command' ? (
        <>
          <div className="field">
            <label htmlFor={id('argv')}>Command (one argument a line, no shell)</label>
            <textarea id={id('argv')} rows={3} value={f.argv} onChange={(e) => set({ argv: e.target.value })} />
          </div>
          {text('expectExit', 'Expected exit code', { inputMode: 'numeric' })}
        </>
      ) : null}
      {text('timeoutMs', 'Timeout (ms)', { inputMode: 'numeric' })}
      <div className="check">
        <input id={id('enabled')} type="checkbox" checked={f.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
        <label htmlFor={id('enabled')}>Enabled</label>
      </div>
    </div>
  );
}

function AddProbe() {
  const queries = useQueryClient();
  const [f, setF] = useState<ProbeForm>(BLANK_PROBE);
  const [problem, setProblem] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: probes.create,
    onSuccess: () => {
      setF(BLANK_PROBE);
      void queries.invalidateQueries({ queryKey: ['probes'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = probeBody(f);
    setProblem(typeof body === 'string' ? body : null);
    if (typeof body !== 'string') add.mutate(body);
  };
  return (
    <form onSubmit={submit} aria-labelledby="probe-add-h">
      <h3 id="probe-add-h" className="small-heading">
        Add a probe
      </h3>
      <ProbeFields f={f} set={(p) => setF({ ...f, ...p })} prefix="new-probe" kindFixed={false} />
      <button type="submit" disabled={add.isPending}>
        Add probe
      </button>
      <div aria-live="polite">
        {add.isSuccess ? <p className="note note-good">Added probe {add.data.name}.</p> : null}
        {problem || add.error ? (
          <p className="note note-error" role="alert">
            Not added: {problem ?? errorText(add.error)}
          </p>
        ) : null}
      </div>
    </form>
  );
}

function EditProbe({ probe, done }: { probe: Probe; done: () => void }) {
  const queries = useQueryClient();
  const [f, setF] = useState<ProbeForm>(() => formOf(probe));
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (change: Exclude<ReturnType<typeof probeChange>, string>) => probes.update(probe.id, change),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['probes'] });
      done();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const change = probeChange(f);
    setProblem(typeof change === 'string' ? change : null);
    if (typeof change !== 'string') save.mutate(change);
  };
  return (
    <form onSubmit={submit} aria-label={`Edit probe ${probe.name}`}>
      <ProbeFields f={f} set={(p) => setF({ ...f, ...p })} prefix={`probe-${probe.id}`} kindFixed />
      <div className="button-row">
        <button type="submit" disabled={save.isPending}>
          Save probe
        </button>
        <button type="button" className="button-quiet" onClick={done}>
          Cancel
        </button>
      </div>
      {problem || save.error ? (
        <p className="note note-error" role="alert">
          Not saved: {problem ?? errorText(save.error)}
        </p>
      ) : null}
    </form>
  );
}

function ProbeRow({ probe }: { probe: Probe }) {
  const queries = useQueryClient();
  const [editing, setEditing] = useState(false);
  const remove = useMutation({ mutationFn: () => probes.remove(probe.id), onSuccess: () => void queries.invalidateQueries({ queryKey: ['probes'] }) });
  return (
    <li>
      <strong>{probe.name}</strong> <Badge value={probe.enabled ? 'active' : 'disabled'} /> <span className="small">{probeTarget(probe)}</span>, timeout {probe.timeoutMs} ms
      <div className="button-row">
        <button type="button" className="button-quiet" aria-expanded={editing} onClick={() => setEditing(!editing)}>
          Edit probe {probe.name}
        </button>
        <button type="button" className="button-danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
          Delete probe {probe.name}
        </button>
      </div>
      {remove.error ? (
        <p className="note note-error" role="alert">
          Not deleted: {errorText(remove.error)}
        </p>
      ) : null}
      {editing ? <EditProbe probe={probe} done={() => setEditing(false)} /> : null}
    </li>
  );
}

function Probes() {
  const list = useQuery({ queryKey: ['probes'], queryFn: probes.list });
  return (
    <section className="panel" aria-labelledby="probes-h">
      <h2 id="probes-h">Health probes</h2>
      <p className="small muted">Agents run these after every install and on the health interval; a failing probe counts as harm for the health gates. Changes reach connected agents at once.</p>
      <QueryView query={list} what="the probes">
        {({ items }) =>
          items.length ? (
            <ul className="plain-list" aria-label="Health probes">
              {items.map((p) => (
                <ProbeRow key={p.id} probe={p} />
              ))}
            </ul>
          ) : (
            <p>No probes: agents report only their built-in health signals.</p>
          )
        }
      </QueryView>
      <AddProbe />
    </section>
  );
}

export default function Settings() {
  return (
    <>
      <PageTitle title="Settings">Settings</PageTitle>
      <Feeds />
      <Probes />
    </>
  );
}
