/** Rollouts: the latest, newest first, with their state and how far their hosts got. */
import { useQuery } from '@tanstack/react-query';
import { rollouts, START_ROLLOUT_ROLE } from '../api/endpoints';
import { Badge, Progress, Time } from '../components/format';
import { countsText, progressOf } from '../components/host-counts';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { Link } from '../router';
import { useSession } from '../session';

export default function Rollouts() {
  const list = useQuery({ queryKey: ['rollouts'], queryFn: rollouts.list, refetchInterval: 15_000 });
  const { can } = useSession();
  return (
    <>
      <PageTitle title="Rollouts" actions={can(START_ROLLOUT_ROLE) ? <Link to="/rollouts/new">Start a rollout</Link> : undefined}>
        Rollouts
      </PageTitle>
      <p className="muted small">Operators and admins start rollouts here, from a patch&apos;s page, the CLI or the API; this list refreshes when they change and every 15 seconds.</p>
      <QueryView query={list} what="rollouts">
        {(r) =>
          r.items.length === 0 ? (
            <p>No rollouts yet.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Rollout</th>
                    <th scope="col">State</th>
                    <th scope="col">Hosts finished</th>
                    <th scope="col">Started</th>
                  </tr>
                </thead>
                <tbody>
                  {r.items.map((x) => {
                    const p = progressOf(x.hosts);
                    return (
                      <tr key={x.id}>
                        <td>
                          <Link to={`/rollouts/${x.id}`}>{x.name}</Link>
                          <div className="small muted">{countsText(x.hosts)}</div>
                        </td>
                        <td>
                          <Badge value={x.state} />
                        </td>
                        <td>
                          <Progress done={p.finished} total={p.total} label={`${x.name}: hosts finished`} />
                        </td>
                        <td>
                          <Time at={x.createdAt} /> <span className="small muted">by {x.createdBy}</span>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </>
  );
}
