/** What a page shows while its data loads or when the API refused: one place, one wording. */
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function ErrorNote({ error, what }: { error: unknown; what: string }) {
  const text =
    error instanceof ApiError
      ? error.status === 403
        ? `You may not see ${what}: ${error.message}`
        : error.status === 404
          ? `Not found: ${error.message}`
          : `Could not load ${what}: ${error.message} (${error.code}${error.requestId ? `, request ${error.requestId}` : ''})`
      : `Could not load ${what}: ${error instanceof Error ? error.message : String(error)}`;
  return (
    <p className="note note-error" role="alert">
      {text}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="note" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** Renders `children(data)` once the query has data; otherwise loading or the error. */
export function QueryView<T>({ query, what, children }: { query: { data: T | undefined; error: unknown; isPending: boolean }; what: string; children: (data: T) => ReactNode }) {
  if (query.error) return <ErrorNote error={query.error} what={what} />;
  if (query.isPending || query.data === undefined) return <Loading what={what} />;
  return <>{children(query.data)}</>;
}
