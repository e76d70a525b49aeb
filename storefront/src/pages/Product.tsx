// A product: pictures, title, price of the chosen variant, its stock state, the variant picker (one
// group of choices per option) and add to cart. The picture and price boxes have their size before
// anything loads, so the page does not jump when prices and stock arrive.
import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap, type StoreProduct, type StoreVariant } from '../api.ts';
import { useShop } from '../shop.tsx';
import { ensureCart, useSetCart } from '../cart.ts';

function variantFor(product: StoreProduct, chosen: Record<string, string>): StoreVariant | undefined {
  return product.variants.find((v) => product.options.every((o) => v.options[o.name] === chosen[o.name]));
}

function Gallery({ product }: { product: StoreProduct }) {
  const { t } = useShop();
  const [shown, setShown] = useState(0);
  const src = product.images[shown] ?? product.images[0];
  return (
    <div className="gallery">
      <div className="gallery-main">{src ? <img src={src} alt={t('productImage', { n: shown + 1, title: product.title })} width="640" height="640" fetchPriority="high" /> : null}</div>
      {product.images.length > 1 ? (
        <ul className="gallery-thumbs">
          {product.images.map((image, index) => (
            <li key={image}>
              <button type="button" aria-pressed={index === shown} onClick={() => setShown(index)}>
                <img src={image} alt={t('productImage', { n: index + 1, title: product.title })} width="64" height="64" />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function Buy({ product }: { product: StoreProduct }) {
  const { t, money, currency, problem } = useShop();
  const setCart = useSetCart();
  const [chosen, setChosen] = useState<Record<string, string>>(() => ({ ...(product.variants[0]?.options ?? {}) }));
  const [quantity, setQuantity] = useState(1);
  const variant = variantFor(product, chosen);
  const stock = useQuery({
    queryKey: ['availability', product.id],
    queryFn: async () => unwrap(await api.GET('/store/inventory/availability', { params: { query: { variantIds: product.variants.map((v) => v.id).join(',') } } })).items,
    staleTime: 5_000,
  });
  const level = stock.data?.find((item) => item.variantId === variant?.id);
  const add = useMutation({
    mutationFn: async () => {
      if (!variant) throw new Error(t('chooseOption', { name: product.options.map((o) => o.name).join(' / ') }));
      const cartId = await ensureCart(currency);
      return unwrap(await api.POST('/store/carts/{cartId}/lines', { params: { path: { cartId } }, body: { variantId: variant.id, quantity } }));
    },
    onSuccess: (cart) => setCart(cart),
  });
  const soldOut = level !== undefined && !level.inStock;
  return (
    <div className="buy">
      <p className="price big" aria-live="polite">
        {variant?.price != null ? money(variant.price) : '\u00a0'}
        {variant?.compareAtPrice != null && variant.price != null && variant.compareAtPrice > variant.price ? <s className="muted">{money(variant.compareAtPrice)}</s> : null}
      </p>
      <p className={`stock ${soldOut ? 'out' : ''}`} aria-live="polite">
        {level === undefined ? '\u00a0' : soldOut ? t('outOfStock') : level.available <= 5 ? t('lowStock', { count: level.available }) : t('inStock')}
      </p>
      {product.options.map((option) => (
        <fieldset key={option.name} className="option">
          <legend>{t('chooseOption', { name: option.name })}</legend>
          {option.values.map((value) => (
            <label key={value} className="choice">
              <input type="radio" name={`option-${option.name}`} value={value} checked={chosen[option.name] === value} onChange={() => setChosen({ ...chosen, [option.name]: value })} />
              <span>{value}</span>
            </label>
          ))}
        </fieldset>
      ))}
      <label className="quantity">
        {t('quantity')}
        <input type="number" min={1} max={100} value={quantity} onChange={(e) => setQuantity(Math.max(1, Math.min(100, Number(e.target.value) || 1)))} />
      </label>
      <button type="button" className="primary" disabled={!variant || soldOut || add.isPending} onClick={() => add.mutate()}>
        {t('addToCart')}
      </button>
      <div aria-live="polite" className="status-line">
        {add.isError ? <p role="alert">{problem(add.error)}</p> : null}
        {add.isSuccess ? (
          <p>
            {t('added')} <Link to="/cart">{t('viewCart')}</Link>
          </p>
        ) : null}
      </div>
    </div>
  );
}

export default function Product() {
  const { handle = '' } = useParams();
  const { t, apiLocale, currency, problem } = useShop();
  const product = useQuery({
    queryKey: ['product', handle, apiLocale, currency],
    queryFn: async () => unwrap(await api.GET('/store/products/{idOrHandle}', { params: { path: { idOrHandle: handle }, query: { locale: apiLocale, currency } } })),
  });
  if (product.isError) return <p role="alert">{problem(product.error) || t('productNotFound')}</p>;
  const data = product.data;
  return (
    <article className="product">
      {data ? <Gallery product={data} /> : <div className="gallery"><div className="gallery-main" /></div>}
      <div className="details">
        <h1>{data?.title ?? '\u00a0'}</h1>
        {data ? <Buy key={data.id} product={data} /> : <p className="price big">{'\u00a0'}</p>}
        {data?.description ? <p className="description">{data.description}</p> : null}
      </div>
    </article>
  );
}
