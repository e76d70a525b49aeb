// One product: title and description (with a translation per platform locale), status, options, variants
// with a price per platform currency, categories, and each saved variant's stock. New products are created
// in one call; an existing one is patched, and its variants added, changed or removed one by one.
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap, type Product } from '../api.ts';
import { parseMoney, toMajor } from '../../../shared/format.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { ConfirmButton, Field, Loading, ProblemNote } from '../components/ui.tsx';

interface OptionRow {
  name: string;
  values: string;
}
interface VariantRow {
  id?: string;
  sku: string;
  title: string;
  options: Record<string, string>;
  prices: Record<string, string>;
}
interface Form {
  handle: string;
  title: string;
  description: string;
  status: 'draft' | 'published' | 'archived';
  translations: Record<string, { title: string; description: string }>;
  options: OptionRow[];
  variants: VariantRow[];
  categories: string[];
  /** Image URLs, one a line. */
  images: string;
}

function emptyForm(): Form {
  return { handle: '', title: '', description: '', status: 'draft', translations: {}, options: [], variants: [{ sku: '', title: '', options: {}, prices: {} }], categories: [], images: '' };
}

function formOf(p: Product): Form {
  const translations: Form['translations'] = {};
  for (const [locale, tr] of Object.entries(p.translations)) translations[locale] = { title: tr.title ?? '', description: tr.description ?? '' };
  return {
    handle: p.handle,
    title: p.title,
    description: p.description,
    status: p.status,
    translations,
    options: p.options.map((o) => ({ name: o.name, values: o.values.join(', ') })),
    variants: p.variants.map((v) => ({
      id: v.id,
      sku: v.sku,
      title: v.title,
      options: { ...v.options },
      prices: Object.fromEntries(v.prices.map((price) => [price.currency, toMajor(price.amount, price.currency)])),
    })),
    categories: p.categories.map((c) => c.id),
    images: p.images.join('\n'),
  };
}

const splitValues = (text: string) =>
  text
    .split(/[,，]/)
    .map((v) => v.trim())
    .filter(Boolean);

export default function ProductEditor() {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const { productId } = useParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const isNew = productId === undefined;
  const [form, setForm] = useState<Form>(emptyForm);
  const [saved, setSaved] = useState(false);
  const path = { platform: platform.slug };

  const product = useQuery({
    queryKey: ['product', platform.id, productId],
    enabled: !isNew,
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/products/{productId}', { params: { path: { ...path, productId: productId! } } })),
  });
  const categories = useQuery({
    queryKey: ['categories', platform.id],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/categories', { params: { path } })).items,
  });
  useEffect(() => {
    if (product.data) setForm(formOf(product.data));
  }, [product.data]);

  const otherLocales = platform.locales.filter((l) => l !== platform.defaultLocale);

  function pricesOf(row: VariantRow) {
    const prices = [];
    for (const currency of platform.currencies) {
      const text = row.prices[currency];
      if (!text) continue;
      const amount = parseMoney(text, currency);
      if (amount === null) throw new Error(t('product.badPrice', { sku: row.sku, currency }));
      prices.push({ currency, amount });
    }
    return prices;
  }

  const save = useMutation({
    mutationFn: async () => {
      const options = form.options.filter((o) => o.name.trim()).map((o) => ({ name: o.name.trim(), values: splitValues(o.values) }));
      const translations = Object.fromEntries(
        Object.entries(form.translations)
          .filter(([, tr]) => tr.title || tr.description)
          .map(([locale, tr]) => [locale, { ...(tr.title ? { title: tr.title } : {}), ...(tr.description ? { description: tr.description } : {}) }]),
      );
      const variantBody = (row: VariantRow) => ({
        sku: row.sku.trim(),
        ...(row.title ? { title: row.title } : {}),
        options: Object.fromEntries(options.map((o) => [o.name, row.options[o.name] ?? ''])),
        prices: pricesOf(row),
      });
      const images = form.images
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      const fields = { title: form.title, description: form.description, status: form.status, translations, options, categories: form.categories, images };
      if (isNew) {
        return unwrap(
          await api.POST('/admin/platforms/{platform}/products', {
            params: { path },
            body: { handle: form.handle.trim(), ...fields, variants: form.variants.filter((v) => v.sku.trim()).map(variantBody) },
          }),
        );
      }
      const id = productId;
      unwrap(await api.PATCH('/admin/platforms/{platform}/products/{productId}', { params: { path: { ...path, productId: id } }, body: { handle: form.handle.trim(), ...fields } }));
      const kept = new Set(form.variants.map((v) => v.id).filter(Boolean));
      for (const old of product.data?.variants ?? []) {
        if (!kept.has(old.id)) {
          unwrap(await api.DELETE('/admin/platforms/{platform}/products/{productId}/variants/{variantId}', { params: { path: { ...path, productId: id, variantId: old.id } } }));
        }
      }
      for (const row of form.variants) {
        if (!row.sku.trim()) continue;
        if (row.id) {
          unwrap(
            await api.PATCH('/admin/platforms/{platform}/products/{productId}/variants/{variantId}', {
              params: { path: { ...path, productId: id, variantId: row.id } },
              body: variantBody(row),
            }),
          );
        } else {
          unwrap(await api.POST('/admin/platforms/{platform}/products/{productId}/variants', { params: { path: { ...path, productId: id } }, body: variantBody(row) }));
        }
      }
      return unwrap(await api.GET('/admin/platforms/{platform}/products/{productId}', { params: { path: { ...path, productId: id } } }));
    },
    onSuccess: (p) => {
      setSaved(true);
      void client.invalidateQueries({ queryKey: ['products', platform.id] });
      client.setQueryData(['product', platform.id, p.id], p);
      setForm(formOf(p));
      if (isNew) navigate(`/p/${platform.slug}/products/${p.id}`, { replace: true });
    },
  });

  if (!isNew && product.isLoading) return <Loading />;
  if (!isNew && product.error) return <ProblemNote error={product.error} />;

  const set = (patch: Partial<Form>) => {
    setSaved(false);
    setForm((f) => ({ ...f, ...patch }));
  };
  const setVariant = (i: number, patch: Partial<VariantRow>) => set({ variants: form.variants.map((v, k) => (k === i ? { ...v, ...patch } : v)) });
  const optionNames = form.options.map((o) => o.name.trim()).filter(Boolean);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <div className="page">
      <p>
        <Link to={`/p/${platform.slug}/products`}>← {t('products.title')}</Link>
      </p>
      <h1>{isNew ? t('product.new') : form.title}</h1>
      <form onSubmit={submit} className="editor">
        <fieldset disabled={!canWrite}>
          <div className="grid2">
            <Field label={t('product.title')}>
              <input name="title" required value={form.title} onChange={(e) => set({ title: e.target.value })} />
            </Field>
            <Field label={t('products.handle')}>
              <input name="handle" required pattern="[a-z0-9][a-z0-9-]*" value={form.handle} onChange={(e) => set({ handle: e.target.value })} />
            </Field>
          </div>
          <Field label={t('product.description')}>
            <textarea name="description" rows={3} value={form.description} onChange={(e) => set({ description: e.target.value })} />
          </Field>
          <Field label={t('products.status')}>
            <select name="status" value={form.status} onChange={(e) => set({ status: e.target.value as Form['status'] })}>
              {(['draft', 'published', 'archived'] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`status.${s}`)}
                </option>
              ))}
            </select>
          </Field>

          {otherLocales.length > 0 && (
            <section>
              <h2>{t('product.translations')}</h2>
              {otherLocales.map((locale) => {
                const tr = form.translations[locale] ?? { title: '', description: '' };
                const setTr = (patch: Partial<typeof tr>) => set({ translations: { ...form.translations, [locale]: { ...tr, ...patch } } });
                return (
                  <div className="grid2" key={locale}>
                    <Field label={`${t('product.title')} (${locale})`}>
                      <input name={`title-${locale}`} value={tr.title} onChange={(e) => setTr({ title: e.target.value })} />
                    </Field>
                    <Field label={`${t('product.description')} (${locale})`}>
                      <input name={`description-${locale}`} value={tr.description} onChange={(e) => setTr({ description: e.target.value })} />
                    </Field>
                  </div>
                );
              })}
            </section>
          )}

          <section>
            <h2>{t('product.options')}</h2>
            {form.options.map((o, i) => (
              <div className="row" key={i}>
                <Field label={t('product.optionName')}>
                  <input
                    name={`option-${i}`}
                    value={o.name}
                    onChange={(e) => set({ options: form.options.map((x, k) => (k === i ? { ...x, name: e.target.value } : x)) })}
                  />
                </Field>
                <Field label={t('product.optionValues')}>
                  <input
                    name={`option-values-${i}`}
                    value={o.values}
                    onChange={(e) => set({ options: form.options.map((x, k) => (k === i ? { ...x, values: e.target.value } : x)) })}
                  />
                </Field>
                <button type="button" onClick={() => set({ options: form.options.filter((_, k) => k !== i) })}>
                  {t('remove')}
                </button>
              </div>
            ))}
            <button type="button" onClick={() => set({ options: [...form.options, { name: '', values: '' }] })}>
              {t('product.addOption')}
            </button>
          </section>

          <section>
            <h2>{t('products.variants')}</h2>
            <table className="variants">
              <thead>
                <tr>
                  <th>SKU</th>
                  <th>{t('product.variantTitle')}</th>
                  {optionNames.map((n) => (
                    <th key={n}>{n}</th>
                  ))}
                  {platform.currencies.map((c) => (
                    <th key={c}>{t('product.price', { currency: c })}</th>
                  ))}
                  <th />
                </tr>
              </thead>
              <tbody>
                {form.variants.map((v, i) => (
                  <tr key={v.id ?? `new-${i}`} data-testid="variant-row">
                    <td>
                      <input aria-label={`SKU ${i + 1}`} name={`sku-${i}`} value={v.sku} onChange={(e) => setVariant(i, { sku: e.target.value })} />
                    </td>
                    <td>
                      <input aria-label={`${t('product.variantTitle')} ${i + 1}`} value={v.title} onChange={(e) => setVariant(i, { title: e.target.value })} />
                    </td>
                    {optionNames.map((n) => (
                      <td key={n}>
                        <input
                          aria-label={`${n} ${i + 1}`}
                          name={`variant-${i}-${n}`}
                          value={v.options[n] ?? ''}
                          onChange={(e) => setVariant(i, { options: { ...v.options, [n]: e.target.value } })}
                        />
                      </td>
                    ))}
                    {platform.currencies.map((c) => (
                      <td key={c}>
                        <input
                          aria-label={`${t('product.price', { currency: c })} ${i + 1}`}
                          name={`price-${i}-${c}`}
                          inputMode="decimal"
                          value={v.prices[c] ?? ''}
                          onChange={(e) => setVariant(i, { prices: { ...v.prices, [c]: e.target.value } })}
                        />
                      </td>
                    ))}
                    <td>
                      <button type="button" onClick={() => set({ variants: form.variants.filter((_, k) => k !== i) })}>
                        {t('remove')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <button type="button" onClick={() => set({ variants: [...form.variants, { sku: '', title: '', options: {}, prices: {} }] })}>
              {t('product.addVariant')}
            </button>
          </section>

          <Field label={t('product.images')}>
            <textarea name="images" rows={2} placeholder="https://…" value={form.images} onChange={(e) => set({ images: e.target.value })} />
          </Field>
          {form.images.trim() && (
            <div className="row thumbs">
              {form.images
                .split('\n')
                .map((u) => u.trim())
                .filter(Boolean)
                .map((u) => (
                  <img key={u} src={u} alt="" loading="lazy" />
                ))}
            </div>
          )}

          <section>
            <h2>{t('product.categories')}</h2>
            {categories.data?.length === 0 && <p className="muted">{t('product.noCategories')}</p>}
            <div className="checks">
              {categories.data?.map((c) => (
                <label key={c.id}>
                  <input
                    type="checkbox"
                    checked={form.categories.includes(c.id)}
                    onChange={(e) => set({ categories: e.target.checked ? [...form.categories, c.id] : form.categories.filter((x) => x !== c.id) })}
                  />{' '}
                  {c.name}
                </label>
              ))}
            </div>
          </section>
        </fieldset>
        <ProblemNote error={save.error} />
        {saved && (
          <p className="ok" role="status">
            {t('saved')}
          </p>
        )}
        {canWrite && (
          <button type="submit" className="primary" disabled={save.isPending}>
            {isNew ? t('product.create') : t('save')}
          </button>
        )}
      </form>
      {!isNew && product.data && platform.modules.includes('inventory') && <VariantStock product={product.data} />}
    </div>
  );
}

/** Stock of each saved variant, set to a counted number (with a reason, after a confirmation). */
function VariantStock({ product }: { product: Product }) {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  return (
    <section>
      <h2>{t('product.stock')}</h2>
      <table data-testid="stock-table">
        <thead>
          <tr>
            <th>SKU</th>
            <th className="num">{t('inventory.onHand')}</th>
            <th className="num">{t('inventory.reserved')}</th>
            <th className="num">{t('inventory.available')}</th>
            {canWrite && <th>{t('inventory.setCount')}</th>}
          </tr>
        </thead>
        <tbody>
          {product.variants.map((v) => (
            <StockRow key={v.id} platformSlug={platform.slug} platformId={platform.id} variantId={v.id} sku={v.sku} canWrite={canWrite} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function StockRow(props: { platformSlug: string; platformId: string; variantId: string; sku: string; canWrite: boolean }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [count, setCount] = useState('');
  const path = { platform: props.platformSlug, variantId: props.variantId };
  const stock = useQuery({
    queryKey: ['stock', props.platformId, props.variantId],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/inventory/levels/{variantId}', { params: { path } })),
  });
  const setStock = useMutation({
    mutationFn: async () =>
      unwrap(await api.PUT('/admin/platforms/{platform}/inventory/levels/{variantId}', { params: { path }, body: { onHand: Number(count), reason: t('inventory.countReason') } })),
    onSuccess: () => {
      setCount('');
      void client.invalidateQueries({ queryKey: ['stock', props.platformId, props.variantId] });
      void client.invalidateQueries({ queryKey: ['ledger', props.platformId] });
    },
  });
  const valid = /^\d+$/.test(count);
  return (
    <tr>
      <td className="mono">{props.sku}</td>
      <td className="num">{stock.data?.onHand ?? '…'}</td>
      <td className="num">{stock.data?.reserved ?? '…'}</td>
      <td className="num">{stock.data?.available ?? '…'}</td>
      {props.canWrite && (
        <td>
          <div className="row">
            <input aria-label={t('inventory.newCountFor', { sku: props.sku })} inputMode="numeric" size={6} value={count} onChange={(e) => setCount(e.target.value)} />
            <ConfirmButton
              label={t('inventory.set')}
              disabled={!valid || setStock.isPending}
              question={t('inventory.confirmSet', { sku: props.sku, n: count })}
              onConfirm={() => setStock.mutate()}
            />
          </div>
          <ProblemNote error={setStock.error} />
        </td>
      )}
    </tr>
  );
}
