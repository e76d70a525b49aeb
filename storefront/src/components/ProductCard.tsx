// A product in a list: picture, title and its lowest price, linking to its page. The picture's box is
// sized before it loads, so nothing below it moves.
import { Link } from 'react-router';
import type { StoreProduct } from '../api.ts';
import { useShop } from '../shop.tsx';

export function ProductCard({ product, eager = false }: { product: StoreProduct; eager?: boolean }) {
  const { t, money } = useShop();
  const range = product.priceRange;
  const price = range ? (range.min === range.max ? money(range.min) : t('from', { price: money(range.min) })) : '';
  return (
    <li className="product-card">
      <Link to={`/p/${encodeURIComponent(product.handle)}`}>
        <div className="thumb">
          {product.images[0] ? <img src={product.images[0]} alt="" width="320" height="320" loading={eager ? 'eager' : 'lazy'} /> : null}
        </div>
        <span className="card-title">{product.title}</span>
        <span className="price">{price}</span>
      </Link>
    </li>
  );
}

export function ProductGrid({ products, label }: { products: StoreProduct[]; label: string }) {
  return (
    <ul className="product-grid" aria-label={label}>
      {products.map((product, index) => (
        <ProductCard key={product.id} product={product} eager={index < 4} />
      ))}
    </ul>
  );
}
