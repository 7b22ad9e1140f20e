/** Hosts: find one by name, address, serial or id (`/api/v1/hosts?q=`). */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { hosts } from '../api/endpoints';
import { Badge, Time } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryView } from '../components/query-state';
import { SearchForm } from '../components/search-form';
import { Link, useLocation } from '../router';

export default function Hosts() {
  const q = useLocation().query.get('q') ?? '';
  const found = useQuery({ queryKey: ['hosts', q], queryFn: () => hosts.search(q), placeholderData: keepPreviousData });
  return (
    <>
      <PageTitle title="Hosts">Hosts</PageTitle>
      <SearchForm label="Find a host" placeholder="name, IP address, serial or id" hint="Matches part of a host name or FQDN, the start of an address, a serial number or an id." />
      <QueryView query={found} what="hosts">
        {(page) => (
          <section aria-labelledby="hosts-h">
            <h2 id="hosts-h" className="small-heading">
              {page.total === 0 ? 'No host matches' : `${page.total} host${page.total === 1 ? '' : 's'}${q ? ` matching “${q}”` : ''}`}
              {page.total > page.items.length ? ` (first ${page.items.length} shown)` : ''}
            </h2>
            {page.items.length > 0 ? (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Host</th>
                      <th scope="col">Addresses</th>
                      <th scope="col">OS</th>
                      <th scope="col">Serial</th>
                      <th scope="col">State</th>
                      <th scope="col">Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((h) => (
                      <tr key={h.id}>
                        <td>
                          <Link to={`/hosts/${h.id}`}>{h.hostname}</Link>
                        </td>
                        <td>{h.addresses.join(', ') || <span className="muted">—</span>}</td>
                        <td>{h.os.name || `${h.os.id} ${h.os.version}`}</td>
                        <td>{h.hardware.serial || <span className="muted">—</span>}</td>
                        <td>
                          <Badge value={h.online ? 'online' : 'offline'} />
                        </td>
                        <td>
                          <Time at={h.lastSeenAt} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </section>
        )}
      </QueryView>
    </>
  );
}
