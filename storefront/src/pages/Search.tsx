// Search: a query in any language (Chinese or English; the API ranks title words first), a category,
// a price range and a sort, all in the URL so a result can be shared; pages of results load on demand
// with the API's cursor.
import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, unwrap, type CategoryNode, type StoreProduct } from '../api.ts';
import { useShop } from '../shop.tsx';
import { ProductGrid } from '../components/ProductCard.tsx';
import { parseMoney } from '../../../shared/format.ts';

type Sort = 'relevance' | 'newest' | 'price_asc' | 'price_desc' | 'title';
const SORTS: Sort[] = ['relevance', 'newest', 'price_asc', 'price_desc', 'title'];
const SORT_LABEL = { relevance: 'sortRelevance', newest: 'sortNewest', price_asc: 'sortPriceAsc', price_desc: 'sortPriceDesc', title: 'sortTitle' } as const;

function flatten(nodes: CategoryNode[], depth = 0): Array<{ node: CategoryNode; depth: number }> {
  return nodes.flatMap((node) => [{ node, depth }, ...flatten(node.children, depth + 1)]);
}

export default function Search() {
  const { t, apiLocale, currency, problem } = useShop();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const sortParam = params.get('sort');
  const sort = SORTS.includes(sortParam as Sort) ? (sortParam as Sort) : undefined;
  const minPrice = params.get('min') ?? '';
  const maxPrice = params.get('max') ?? '';
  const [draft, setDraft] = useState({ category, sort: sort ?? '', min: minPrice, max: maxPrice });

  const categories = useQuery({
    queryKey: ['categories', apiLocale],
    queryFn: async () => unwrap(await api.GET('/store/categories', { params: { query: { locale: apiLocale } } })).items,
  });
  const min = minPrice ? parseMoney(minPrice, currency) : null;
  const max = maxPrice ? parseMoney(maxPrice, currency) : null;
  const results = useInfiniteQuery({
    queryKey: ['search', apiLocale, currency, q, category, sort, min, max],
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: { items: StoreProduct[]; nextCursor: string | null }) => last.nextCursor ?? undefined,
    queryFn: async ({ pageParam }): Promise<{ items: StoreProduct[]; nextCursor: string | null }> =>
      unwrap(
        await api.GET('/store/products', {
          params: {
            query: {
              locale: apiLocale,
              currency,
              limit: 12,
              ...(q ? { q } : {}),
              ...(category ? { category } : {}),
              ...(sort ? { sort } : {}),
              ...(min !== null ? { minPrice: min } : {}),
              ...(max !== null ? { maxPrice: max } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
  });

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (q) next.set('q', q);
    if (draft.category) next.set('category', draft.category);
    if (draft.sort) next.set('sort', draft.sort);
    if (draft.min) next.set('min', draft.min);
    if (draft.max) next.set('max', draft.max);
    setParams(next);
  };
  const products = results.data?.pages.flatMap((page) => page.items) ?? [];
  const heading = q ? t('resultsFor', { q }) : t('allProducts');
  return (
    <>
      <h1>{heading}</h1>
      <form className="filters" onSubmit={apply} aria-label={t('applyFilters')}>
        <label>
          {t('category')}
          <select value={draft.category} onChange={(e) => setDraft({ ...draft, category: e.target.value })}>
            <option value="">{t('anyCategory')}</option>
            {flatten(categories.data ?? []).map(({ node, depth }) => (
              <option key={node.id} value={node.handle}>
                {'\u00a0\u00a0'.repeat(depth)}
                {node.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('minPrice')}
          <input inputMode="decimal" value={draft.min} size={6} onChange={(e) => setDraft({ ...draft, min: e.target.value })} />
        </label>
        <label>
          {t('maxPrice')}
          <input inputMode="decimal" value={draft.max} size={6} onChange={(e) => setDraft({ ...draft, max: e.target.value })} />
        </label>
        <label>
          {t('sort')}
          <select value={draft.sort} onChange={(e) => setDraft({ ...draft, sort: e.target.value })}>
            <option value="">{t(q ? 'sortRelevance' : 'sortNewest')}</option>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t(SORT_LABEL[s])}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('applyFilters')}</button>
      </form>
      {results.isError ? <p role="alert">{problem(results.error)}</p> : null}
      {results.isPending ? <p className="muted">{t('loading')}</p> : null}
      {results.isSuccess && products.length === 0 ? <p>{t('noResults', { q })}</p> : null}
      <ProductGrid products={products} label={heading} />
      {results.hasNextPage ? (
        <button type="button" className="secondary" disabled={results.isFetchingNextPage} onClick={() => void results.fetchNextPage()}>
          {t('loadMore')}
        </button>
      ) : null}
    </>
  );
}
