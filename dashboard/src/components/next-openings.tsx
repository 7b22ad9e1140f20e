/** The next openings of a ring's maintenance windows, as the planner computes them (GET /rings/:id/next-windows). */
import { useQuery } from '@tanstack/react-query';
import { rings } from '../api/endpoints';
import { Time } from './format';
import { openingText } from './openings';
import { QueryView } from './query-state';

export const nextWindowsKey = (ringId: string) => ['ring-next-windows', ringId] as const;

export function NextOpenings({ ringId }: { ringId: string }) {
  const next = useQuery({ queryKey: nextWindowsKey(ringId), queryFn: () => rings.nextWindows(ringId, 5) });
  return (
    <section className="panel" aria-labelledby="next-h">
      <h2 id="next-h">Next openings</h2>
      <QueryView query={next} what="the next openings">
        {(n) =>
          n.alwaysOpen ? (
            <p>No maintenance window: installs may start at any time.</p>
          ) : (
            <>
              {n.openNow ? (
                <p className="note note-good">
                  A window is open now: it closes <Time at={n.openNow.end} />.
                </p>
              ) : null}
              {n.openings.length ? (
                <ol className="plain-list" aria-label="Next openings of this ring's windows">
                  {n.openings.map((o) => (
                    <li key={`${o.window}-${o.start}`}>
                      {openingText(o)} <span className="muted small">(window {o.window + 1})</span>
                    </li>
                  ))}
                </ol>
              ) : (
                <p>No window opens within a year.</p>
              )}
            </>
          )
        }
      </QueryView>
    </section>
  );
}
