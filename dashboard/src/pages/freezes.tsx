/** Change freezes: periods in which no ring (or one ring) starts installing. Everyone reads; admins add and remove (POST/DELETE /api/v1/freezes). */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { freezes, rings } from '../api/endpoints';
import type { Freeze, FreezeInput } from '../api/types';
import { localInputToIso } from '../components/audit-filter';
import { Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { useSession } from '../session';

const errorText = (err: unknown) => (err instanceof ApiError ? `${err.message} (${err.code})` : String(err));

function AddFreeze() {
  const queries = useQueryClient();
  const ringList = useQuery({ queryKey: ['rings'], queryFn: rings.list });
  const [f, setF] = useState({ ring: '', startsAt: '', endsAt: '', reason: '' });
  const [problem, setProblem] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (input: FreezeInput) => freezes.create(input),
    onSuccess: () => {
      setF({ ring: '', startsAt: '', endsAt: '', reason: '' });
      void queries.invalidateQueries({ queryKey: ['freezes'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const startsAt = localInputToIso(f.startsAt);
    const endsAt = localInputToIso(f.endsAt);
    if (!startsAt || !endsAt) {
      setProblem('give a start and an end');
      return;
    }
    setProblem(null);
    add.mutate({ startsAt, endsAt, reason: f.reason.trim(), ...(f.ring ? { ring: f.ring } : {}) });
  };
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="freeze-add-h">
      <h2 id="freeze-add-h">Add a freeze</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="freeze-ring">Ring</label>
          <select id="freeze-ring" value={f.ring} onChange={(e) => setF({ ...f, ring: e.target.value })}>
            <option value="">every ring</option>
            {(ringList.data?.items ?? []).map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="freeze-starts">Starts</label>
          <input id="freeze-starts" type="datetime-local" required value={f.startsAt} onChange={(e) => setF({ ...f, startsAt: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="freeze-ends">Ends</label>
          <input id="freeze-ends" type="datetime-local" required value={f.endsAt} onChange={(e) => setF({ ...f, endsAt: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="freeze-reason">Reason</label>
          <input id="freeze-reason" required maxLength={500} value={f.reason} onChange={(e) => setF({ ...f, reason: e.target.value })} />
        </div>
      </div>
      <button type="submit" disabled={add.isPending}>
        Add freeze
      </button>
      <div aria-live="polite">
        {add.isSuccess ? <p className="note note-good">Added the freeze “{add.data.reason}”.</p> : null}
        {problem || add.error ? (
          <p className="note note-error" role="alert">
            Not added: {problem ?? errorText(add.error)}
          </p>
        ) : null}
      </div>
    </form>
  );
}

function FreezeRow({ fz, ringName, canDelete }: { fz: Freeze; ringName: string; canDelete: boolean }) {
  const queries = useQueryClient();
  const remove = useMutation({ mutationFn: () => freezes.remove(fz.id), onSuccess: () => void queries.invalidateQueries({ queryKey: ['freezes'] }) });
  return (
    <tr>
      <td>{fz.reason}</td>
      <td>{ringName}</td>
      <td>
        <Time at={fz.startsAt} />
      </td>
      <td>
        <Time at={fz.endsAt} />
      </td>
      <td className="mono small">{fz.createdBy}</td>
      {canDelete ? (
        <td>
          <button type="button" className="button-danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
            Delete freeze “{fz.reason}”
          </button>
          {remove.error ? (
            <span className="note note-error" role="alert">
              Not deleted: {errorText(remove.error)}
            </span>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}

export default function Freezes() {
  const list = useQuery({ queryKey: ['freezes'], queryFn: freezes.list });
  const ringList = useQuery({ queryKey: ['rings'], queryFn: rings.list });
  const { can } = useSession();
  const admin = can('admin');
  const ringName = (id: string | null) => (id === null ? 'every ring' : (ringList.data?.items.find((r) => r.id === id)?.name ?? id));
  return (
    <>
      <PageTitle title="Change freezes">Change freezes</PageTitle>
      <p className="muted">No ring starts installing inside a freeze (times on the rollout clock). Installs already running finish.</p>
      <QueryView query={list} what="change freezes">
        {({ items }) =>
          items.length ? (
            <div className="table-wrap">
              <table aria-label="Change freezes">
                <thead>
                  <tr>
                    <th scope="col">Reason</th>
                    <th scope="col">Ring</th>
                    <th scope="col">Starts</th>
                    <th scope="col">Ends</th>
                    <th scope="col">By</th>
                    {admin ? <th scope="col">Remove</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {items.map((fz) => (
                    <FreezeRow key={fz.id} fz={fz} ringName={ringName(fz.ring)} canDelete={admin} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p>No change freezes.</p>
          )
        }
      </QueryView>
      {admin ? <AddFreeze /> : <p className="muted small">Only admins add and remove freezes.</p>}
    </>
  );
}
