/** Overview: the fleet's figures and the latest rollouts. */
import { useQuery } from '@tanstack/react-query';
import { fleetFigures } from '../api/kpis';
import { rollouts } from '../api/endpoints';
import { Badge, Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { Link } from '../router';

export default function Overview() {
  const figures = useQuery({ queryKey: ['fleet-figures'], queryFn: () => fleetFigures() });
  const recent = useQuery({ queryKey: ['rollouts'], queryFn: rollouts.list });
  return (
    <>
      <PageTitle title="Overview">Fleet overview</PageTitle>
      <section aria-labelledby="figures-h">
        <h2 id="figures-h">Figures</h2>
        <QueryView query={figures} what="the fleet figures">
          {(f) => (
            <>
              <dl className="figures">
                {f.figures.map((x) => (
                  <div key={x.label} className="figure">
                    <dt>{x.label}</dt>
                    <dd>{x.value}</dd>
                    {x.hint ? <dd className="hint">{x.hint}</dd> : null}
                  </div>
                ))}
              </dl>
              <p className="muted small">Over the last {f.days} days, each against the {f.days} days before.</p>
            </>
          )}
        </QueryView>
      </section>
      <section aria-labelledby="recent-h">
        <h2 id="recent-h">Latest rollouts</h2>
        <QueryView query={recent} what="the rollouts">
          {(r) =>
            r.items.length === 0 ? (
              <p>No rollouts yet.</p>
            ) : (
              <ul className="plain-list">
                {r.items.slice(0, 5).map((x) => (
                  <li key={x.id}>
                    <Link to={`/rollouts/${x.id}`}>{x.name}</Link> <Badge value={x.state} /> <span className="muted small">started <Time at={x.createdAt} /></span>
                  </li>
                ))}
              </ul>
            )
          }
        </QueryView>
      </section>
    </>
  );
}
