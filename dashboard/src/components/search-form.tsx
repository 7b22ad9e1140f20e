/** A labelled search box whose text lives in the address (`?q=`), so a search can be shared and the back button returns to it. */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { navigate, useLocation } from '../router';

export function SearchForm({ label, placeholder, hint, children }: { label: string; placeholder?: string; hint?: string; children?: ReactNode }) {
  const { path, query } = useLocation();
  const q = query.get('q') ?? '';
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams(query);
    if (text.trim()) next.set('q', text.trim());
    else next.delete('q');
    const s = next.toString();
    navigate(s ? `${path}?${s}` : path);
  };
  return (
    <form role="search" className="search" onSubmit={submit}>
      <label htmlFor="search-q">{label}</label>
      <div className="search-row">
        <input id="search-q" type="search" value={text} placeholder={placeholder} onChange={(e) => setText(e.target.value)} aria-describedby={hint ? 'search-hint' : undefined} />
        <button type="submit">Search</button>
      </div>
      {hint ? (
        <p id="search-hint" className="muted small">
          {hint}
        </p>
      ) : null}
      {children}
    </form>
  );
}
