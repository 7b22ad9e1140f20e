/** The signed-in person's account: who they are and a password change (POST /api/v1/auth/password). */
import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { auth } from '../api/endpoints';
import { PageTitle } from '../components/page-title';
import { useSession } from '../session';

export default function Account() {
  const { user } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useMutation({
    mutationFn: () => auth.changePassword(current, next),
    onSuccess: () => {
      setCurrent('');
      setNext('');
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    change.mutate();
  };
  return (
    <>
      <PageTitle title="Your account">Your account</PageTitle>
      <p>
        Signed in as <strong>{user?.name}</strong>, role {user?.role}.
      </p>
      <form onSubmit={submit} className="panel" aria-labelledby="pw-h">
        <h2 id="pw-h">Change your password</h2>
        <div className="field">
          <label htmlFor="pw-current">Current password</label>
          <input id="pw-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="pw-next">New password</label>
          <input id="pw-next" type="password" autoComplete="new-password" required minLength={12} value={next} onChange={(e) => setNext(e.target.value)} />
        </div>
        <button type="submit" disabled={change.isPending}>
          Change password
        </button>
        <div aria-live="polite">
          {change.isSuccess ? <p className="note note-good">Your password is changed.</p> : null}
          {change.error ? (
            <p className="note note-error" role="alert">
              {change.error instanceof ApiError ? `Not changed: ${change.error.message}` : String(change.error)}
            </p>
          ) : null}
        </div>
      </form>
    </>
  );
}
