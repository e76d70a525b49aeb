// Home: the category tree's top level (each a link to its search) and featured products (the newest).
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useShop } from '../shop.tsx';
import { ProductGrid } from '../components/ProductCard.tsx';

export default function Home() {
  const { t, theme, apiLocale, currency } = useShop();
  const categories = useQuery({
    queryKey: ['categories', apiLocale],
    queryFn: async () => unwrap(await api.GET('/store/categories', { params: { query: { locale: apiLocale } } })).items,
  });
  const featured = useQuery({
    queryKey: ['featured', apiLocale, currency],
    queryFn: async () => unwrap(await api.GET('/store/products', { params: { query: { locale: apiLocale, currency, sort: 'newest', limit: 8 } } })).items,
  });
  return (
    <>
      <section className="hero">
        <h1>{theme.name}</h1>
        {theme.tagline ? <p>{theme.tagline}</p> : null}
      </section>
      <section aria-labelledby="categories-heading">
        <h2 id="categories-heading">{t('categories')}</h2>
        <ul className="chips">
          {(categories.data ?? []).map((category) => (
            <li key={category.id}>
              <Link to={`/search?category=${encodeURIComponent(category.handle)}`}>{category.name}</Link>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="featured-heading">
        <h2 id="featured-heading">
          {t('featured')} <Link to="/search" className="small">{t('seeAll')}</Link>
        </h2>
        {featured.data ? <ProductGrid products={featured.data} label={t('featured')} /> : <p className="muted">{t('loading')}</p>}
      </section>
    </>
  );
}
