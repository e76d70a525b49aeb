// Customers of the platform: search by e-mail or name, keyset paging in the URL.
import { useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { EmptyRow, Loading, Pager, ProblemNote, When, useUrlFilter, usePager } from '../components/ui.tsx';

export default function Customers() {
  const { t } = useI18n();
  const platform = usePlatform();
  const [q, setQ] = useUrlFilter('q');
  const { cursor } = usePager();
  const [draft, setDraft] = useState(q);
  const list = useQuery({
    queryKey: ['customers', platform.id, q, cursor],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET('/admin/platforms/{platform}/customers', {
          params: { path: { platform: platform.slug }, query: { limit: 50, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });
  function search(event: FormEvent) {
    event.preventDefault();
    setQ(draft.trim());
  }
  return (
    <div className="page">
      <h1>{t('customers.title')}</h1>
      <form className="row filters" onSubmit={search} role="search">
        <input type="search" aria-label={t('customers.search')} placeholder={t('customers.search')} value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">{t('search')}</button>
      </form>
      <ProblemNote error={list.error} />
      {list.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="customers-table">
          <thead>
            <tr>
              <th>{t('signIn.email')}</th>
              <th>{t('customers.name')}</th>
              <th>{t('customers.since')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/p/${platform.slug}/customers/${c.id}`}>{c.email}</Link>
                </td>
                <td>{c.name || '—'}</td>
                <td>
                  <When at={c.createdAt} />
                </td>
              </tr>
            ))}
            <EmptyRow show={list.data?.items.length === 0} cols={3} />
          </tbody>
        </table>
      )}
      <Pager nextCursor={list.data?.nextCursor} />
    </div>
  );
}
