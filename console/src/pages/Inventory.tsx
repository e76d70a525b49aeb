// Stock levels (optionally only the low ones, or one variant's), an adjustment by a signed quantity with a
// reason (confirmed), and the ledger of every change: who, when, why, and what stock was left after it.
import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { EmptyRow, ConfirmButton, Loading, Pager, ProblemNote, When, useUrlFilter, usePager } from '../components/ui.tsx';

export default function Inventory() {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const [low, setLow] = useUrlFilter('low');
  const [variantId, setVariantId] = useUrlFilter('variantId');
  const { cursor } = usePager();
  const path = { platform: platform.slug };

  const levels = useQuery({
    queryKey: ['levels', platform.id, low, variantId, cursor],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET('/admin/platforms/{platform}/inventory/levels', {
          params: { path, query: { limit: 50, ...(low ? { lowStock: true } : {}), ...(variantId ? { variantId } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });
  const ledger = useQuery({
    queryKey: ['ledger', platform.id, variantId],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/inventory/ledger', { params: { path, query: { limit: 50, ...(variantId ? { variantId } : {}) } } })).items,
  });

  return (
    <div className="page">
      <h1>{t('inventory.title')}</h1>
      <div className="row filters">
        <label>
          <input type="checkbox" checked={low === '1'} onChange={(e) => setLow(e.target.checked ? '1' : '')} /> {t('inventory.onlyLow')}
        </label>
        {variantId && (
          <button type="button" onClick={() => setVariantId('')}>
            {t('inventory.variant')} {variantId.slice(0, 8)} ✕
          </button>
        )}
      </div>
      <ProblemNote error={levels.error} />
      {levels.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="levels-table">
          <thead>
            <tr>
              <th>{t('inventory.variant')}</th>
              <th>{t('inventory.location')}</th>
              <th className="num">{t('inventory.onHand')}</th>
              <th className="num">{t('inventory.reserved')}</th>
              <th className="num">{t('inventory.available')}</th>
              {canWrite && <th>{t('inventory.adjust')}</th>}
            </tr>
          </thead>
          <tbody>
            {levels.data?.items.map((l) => (
              <tr key={`${l.variantId}-${l.locationId}`} className={l.lowStock ? 'low' : ''}>
                <td>
                  <button type="button" className="link" onClick={() => setVariantId(l.variantId)}>
                    <VariantName sku={l.sku} productTitle={l.productTitle} variantId={l.variantId} />
                  </button>
                  {l.lowStock && <em className="badge">{t('inventory.low')}</em>}
                </td>
                <td>{l.locationCode}</td>
                <td className="num">{l.onHand}</td>
                <td className="num">{l.reserved}</td>
                <td className="num">{l.available}</td>
                {canWrite && (
                  <td>
                    <Adjust variantId={l.variantId} locationId={l.locationId} sku={l.sku ?? l.variantId.slice(0, 8)} />
                  </td>
                )}
              </tr>
            ))}
            <EmptyRow show={levels.data?.items.length === 0} cols={6} />
          </tbody>
        </table>
      )}
      <Pager nextCursor={levels.data?.nextCursor} />

      <h2>{t('inventory.ledger')}</h2>
      <ProblemNote error={ledger.error} />
      <table data-testid="ledger-table">
        <thead>
          <tr>
            <th>{t('order.when')}</th>
            <th>{t('inventory.variant')}</th>
            <th className="num">{t('inventory.change')}</th>
            <th className="num">{t('inventory.onHandAfter')}</th>
            <th>{t('order.reason')}</th>
            <th>{t('inventory.who')}</th>
          </tr>
        </thead>
        <tbody>
          {ledger.data?.map((e) => (
            <tr key={e.id}>
              <td>
                <When at={e.at} />
              </td>
              <td>
                <VariantName sku={e.sku} productTitle={e.productTitle} variantId={e.variantId} />
              </td>
              <td className="num">{e.kind === 'set' ? `= ${e.onHandAfter}` : e.delta > 0 ? `+${e.delta}` : e.delta}</td>
              <td className="num">{e.onHandAfter}</td>
              <td>
                {e.reason}
                {e.reference && <span className="muted"> · {e.reference}</span>}
              </td>
              <td className="muted">{e.actorLabel ?? e.actor}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A variant as a person knows it: SKU and product title (the id's start when the catalog no longer has it). */
function VariantName({ sku, productTitle, variantId }: { sku: string | null; productTitle: string | null; variantId: string }) {
  if (sku === null) return <span className="mono">{variantId.slice(0, 8)}</span>;
  return (
    <>
      <span className="mono">{sku}</span> <span className="muted">{productTitle}</span>
    </>
  );
}

function Adjust({ variantId, locationId, sku }: { variantId: string; locationId: string; sku: string }) {
  const { t } = useI18n();
  const platform = usePlatform();
  const client = useQueryClient();
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('');
  const adjust = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/admin/platforms/{platform}/inventory/levels/{variantId}/adjust', {
          params: { path: { platform: platform.slug, variantId } },
          body: { delta: Number(delta), reason, locationId },
        }),
      ),
    onSuccess: () => {
      setDelta('');
      setReason('');
      void client.invalidateQueries({ queryKey: ['levels', platform.id] });
      void client.invalidateQueries({ queryKey: ['ledger', platform.id] });
    },
  });
  const valid = /^[+-]?\d+$/.test(delta) && Number(delta) !== 0 && reason.trim() !== '';
  return (
    <div className="row">
      <input aria-label={t('inventory.delta')} placeholder="±" size={5} value={delta} onChange={(e) => setDelta(e.target.value)} />
      <input aria-label={t('order.reason')} placeholder={t('order.reason')} size={14} value={reason} onChange={(e) => setReason(e.target.value)} />
      <ConfirmButton label={t('inventory.apply')} disabled={!valid || adjust.isPending} question={t('inventory.confirmAdjust', { delta, sku })} onConfirm={() => adjust.mutate()} />
      <ProblemNote error={adjust.error} />
    </div>
  );
}
