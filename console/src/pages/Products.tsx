// The catalogue: search (any language the server indexes, Chinese included), a status filter and keyset
// paging, all in the URL.
import { useState, type FormEvent } from 'react';
import { useQuery, keepPreviousData } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { EmptyRow, FilterSelect, Loading, Pager, ProblemNote, Status, When, useUrlFilter, usePager } from '../components/ui.tsx';

const STATUSES = ['draft', 'published', 'archived'] as const;

export default function Products() {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const [q, setQ] = useUrlFilter('q');
  const [status] = useUrlFilter('status');
  const { cursor } = usePager();
  const [draft, setDraft] = useState(q);

  const list = useQuery({
    queryKey: ['products', platform.id, q, status, cursor],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET('/admin/platforms/{platform}/products', {
          params: {
            path: { platform: platform.slug },
            query: {
              limit: 25,
              ...(q ? { q } : {}),
              ...(status ? { status: status as (typeof STATUSES)[number] } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
  });

  function search(event: FormEvent) {
    event.preventDefault();
    setQ(draft.trim());
  }

  return (
    <div className="page">
      <div className="row head">
        <h1>{t('products.title')}</h1>
        {canWrite && (
          <>
            <Link className="button" to={`/p/${platform.slug}/products/import`}>
              {t('products.import')}
            </Link>
            <Link className="button primary" to={`/p/${platform.slug}/products/new`}>
              {t('products.new')}
            </Link>
          </>
        )}
      </div>
      <form className="row filters" onSubmit={search} role="search">
        <input type="search" aria-label={t('products.search')} placeholder={t('products.search')} value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">{t('search')}</button>
        <FilterSelect name="status" label={t('products.status')} any={t('all')} values={STATUSES} />
      </form>
      <ProblemNote error={list.error} />
      {list.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="products-table">
          <thead>
            <tr>
              <th>{t('products.product')}</th>
              <th>{t('products.handle')}</th>
              <th>{t('products.status')}</th>
              <th className="num">{t('products.variants')}</th>
              <th>{t('updatedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/p/${platform.slug}/products/${p.id}`}>{p.title}</Link>
                </td>
                <td className="mono">{p.handle}</td>
                <td>
                  <Status value={p.status} />
                </td>
                <td className="num">{p.variants.length}</td>
                <td>
                  <When at={p.updatedAt} />
                </td>
              </tr>
            ))}
            <EmptyRow show={list.data?.items.length === 0} cols={5} />
          </tbody>
        </table>
      )}
      <Pager nextCursor={list.data?.nextCursor} />
    </div>
  );
}
