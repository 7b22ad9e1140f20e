/** A page's heading; it also names the browser tab, so screen readers and history entries say where you are. */
import { useEffect, type ReactNode } from 'react';

export function PageTitle({ children, title, actions }: { children: ReactNode; title: string; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Patchfleet`;
  }, [title]);
  return (
    <div className="page-head">
      <h1>{children}</h1>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}
