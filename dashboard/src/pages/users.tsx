/** User accounts for admins: who may sign in with which role; add a person, change a role, disable or enable. */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { users } from '../api/endpoints';
import type { Role, UserAccount } from '../api/types';
import { Badge, Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { useSession } from '../session';

const ROLES: Role[] = ['helpdesk', 'operator', 'admin'];

const errorText = (err: unknown) => (err instanceof ApiError ? `${err.message} (${err.code})` : String(err));

function CreateUser() {
  const queries = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('helpdesk');
  const [password, setPassword] = useState('');
  const create = useMutation({
    mutationFn: () => users.create(name.trim(), role, password),
    onSuccess: () => {
      setName('');
      setPassword('');
      void queries.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="new-user-h">
      <h2 id="new-user-h">Add a person</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="new-user-name">Name</label>
          <input id="new-user-name" required maxLength={64} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-user-role">Role</label>
          <select id="new-user-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="new-user-password">Initial password (12 characters or more)</label>
          <input id="new-user-password" type="password" required minLength={12} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
      </div>
      <button type="submit" disabled={create.isPending}>
        Add
      </button>
      <div aria-live="polite">
        {create.isSuccess ? <p className="note note-good">Added {create.data.name} as {create.data.role}.</p> : null}
        {create.error ? (
          <p className="note note-error" role="alert">
            Not added: {errorText(create.error)}
          </p>
        ) : null}
      </div>
    </form>
  );
}

function UserRow({ u, self }: { u: UserAccount; self: boolean }) {
  const queries = useQueryClient();
  const [role, setRole] = useState<Role>(u.role);
  const update = useMutation({
    mutationFn: (change: { role?: Role; disabled?: boolean }) => users.update(u.id, change),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <tr>
      <td>
        {u.name}
        {self ? <span className="muted small"> (you)</span> : null}
      </td>
      <td>
        <div className="inline-edit">
          <label htmlFor={`role-${u.id}`} className="visually-hidden">
            Role of {u.name}
          </label>
          <select id={`role-${u.id}`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <button type="button" className="button-quiet" disabled={role === u.role || update.isPending} onClick={() => update.mutate({ role })}>
            Change role<span className="visually-hidden"> of {u.name}</span>
          </button>
        </div>
      </td>
      <td>
        {u.disabled ? <Badge value="disabled" /> : u.lockedUntil && Date.parse(u.lockedUntil) > Date.now() ? <Badge value="locked" /> : <Badge value="active" />}
      </td>
      <td className="small">
        <Time at={u.createdAt} />
      </td>
      <td>
        <button type="button" className="button-quiet" disabled={update.isPending} onClick={() => update.mutate({ disabled: !u.disabled })}>
          {u.disabled ? 'Enable' : 'Disable'}
          <span className="visually-hidden"> {u.name}</span>
        </button>
        {update.error ? (
          <p className="note note-error small" role="alert">
            {errorText(update.error)}
          </p>
        ) : null}
      </td>
    </tr>
  );
}

export default function Users() {
  const list = useQuery({ queryKey: ['users'], queryFn: users.list });
  const { user } = useSession();
  return (
    <>
      <PageTitle title="Users">Users</PageTitle>
      <p className="muted small">Changing a role or disabling someone ends their sessions. The last admin cannot be demoted or disabled.</p>
      <QueryView query={list} what="users">
        {(r) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Added</th>
                  <th scope="col">Access</th>
                </tr>
              </thead>
              <tbody>
                {r.items.map((u) => (
                  <UserRow key={u.id} u={u} self={u.id === user?.id} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <CreateUser />
    </>
  );
}
