// Sales as rows: reading them (one statement with their items), the admin views, and the phase a sale is
// in at a given moment. Writing them (schedule, cancel, end) lives in lifecycle.ts.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, iso } from '../../kernel/cursor.ts';
import { isUuid } from '../../kernel/ids.ts';
import type { Sale, SaleItem, SalesQuery } from './schemas.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';

export type SaleStatus = 'scheduled' | 'cancelled' | 'ended';
export type SalePhase = 'upcoming' | 'live' | 'ended' | 'cancelled';

export interface SaleRecord {
  id: string;
  platformId: string;
  name: string;
  status: SaleStatus;
  startsAt: string;
  endsAt: string;
  startsAtMs: number;
  endsAtMs: number;
  perCustomerLimit: number | null;
  minAccountAgeHours: number;
  paymentTimeoutSeconds: number;
  gateEpoch: number;
  reservationId: string | null;
  endTimerId: string | null;
  reconciledAt: string | null;
  createdAt: string;
  updatedAt: string;
  items: SaleItem[];
  itemsByVariant: Map<string, SaleItem>;
}

export const SALE_COLUMNS = `s.id, s.name, s.status, ${iso('s.starts_at')} as starts_at, ${iso('s.ends_at')} as ends_at, s.per_customer_limit,
  s.min_account_age_hours, s.payment_timeout_seconds, s.gate_epoch, s.reservation_id, s.end_timer_id,
  case when s.reconciled_at is null then null else ${iso('s.reconciled_at')} end as reconciled_at,
  ${iso('s.created_at')} as created_at, ${iso('s.updated_at')} as updated_at,
  coalesce((select json_agg(json_build_object('variantId', i.variant_id, 'productId', i.product_id, 'sku', i.sku, 'title', i.title,
                                              'productTitle', i.product_title, 'salePrice', i.sale_price, 'currency', i.currency,
                                              'quantity', i.quantity) order by i.position, i.variant_id)
            from flash_sale_items i where i.platform_id = $1 and i.sale_id = s.id), '[]'::json) as items`;

export interface SaleRow {
  id: string;
  name: string;
  status: SaleStatus;
  starts_at: string;
  ends_at: string;
  per_customer_limit: number | null;
  min_account_age_hours: number;
  payment_timeout_seconds: number;
  gate_epoch: number;
  reservation_id: string | null;
  end_timer_id: string | null;
  reconciled_at: string | null;
  created_at: string;
  updated_at: string;
  items: SaleItem[] | string;
}

export function toRecord(platformId: string, row: SaleRow): SaleRecord {
  const raw = typeof row.items === 'string' ? (JSON.parse(row.items) as SaleItem[]) : row.items;
  // bigint columns come back as numbers inside json_build_object; keep them plain numbers.
  const items = raw.map((i) => ({ ...i, salePrice: Number(i.salePrice), quantity: Number(i.quantity) }));
  return {
    id: row.id,
    platformId,
    name: row.name,
    status: row.status,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    startsAtMs: Date.parse(row.starts_at),
    endsAtMs: Date.parse(row.ends_at),
    perCustomerLimit: row.per_customer_limit,
    minAccountAgeHours: row.min_account_age_hours,
    paymentTimeoutSeconds: row.payment_timeout_seconds,
    gateEpoch: row.gate_epoch,
    reservationId: row.reservation_id,
    endTimerId: row.end_timer_id,
    reconciledAt: row.reconciled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    items,
    itemsByVariant: new Map(items.map((i) => [i.variantId, i])),
  };
}

export async function readSaleRow(pdb: PlatformDb, saleId: string, lock: '' | ' for update' | ' for share' = ''): Promise<SaleRecord | undefined> {
  if (!isUuid(saleId)) return undefined;
  const row = await pdb.maybeOne<SaleRow>(`select ${SALE_COLUMNS} from flash_sales s where s.platform_id = $1 and s.id = $2${lock}`, [saleId.toLowerCase()]);
  return row ? toRecord(pdb.platformId, row) : undefined;
}

export function phaseOf(sale: Pick<SaleRecord, 'status' | 'startsAtMs' | 'endsAtMs'>, now = Date.now()): SalePhase {
  if (sale.status === 'cancelled') return 'cancelled';
  if (sale.status === 'ended' || now >= sale.endsAtMs) return 'ended';
  return now < sale.startsAtMs ? 'upcoming' : 'live';
}

export function saleView(sale: SaleRecord): Sale {
  return {
    id: sale.id,
    name: sale.name,
    status: sale.status,
    phase: phaseOf(sale),
    startsAt: sale.startsAt,
    endsAt: sale.endsAt,
    perCustomerLimit: sale.perCustomerLimit,
    minAccountAgeHours: sale.minAccountAgeHours,
    paymentTimeoutSeconds: sale.paymentTimeoutSeconds,
    gateEpoch: sale.gateEpoch,
    reservationId: sale.reservationId,
    reconciledAt: sale.reconciledAt,
    createdAt: sale.createdAt,
    updatedAt: sale.updatedAt,
    items: sale.items,
  };
}

/** Newest first, optionally by status; keyset pages on the (time-ordered) id. */
export async function listSales(pdb: PlatformDb, query: SalesQuery): Promise<{ items: Sale[]; nextCursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const before = query.cursor ? decodeCursor(query.cursor, 1)[0]! : null;
  const rows = await pdb.query<SaleRow>(
    `select ${SALE_COLUMNS} from flash_sales s
     where s.platform_id = $1 and ($2::text is null or s.status = $2) and ($3::uuid is null or s.id < $3)
     order by s.id desc limit $4`,
    [query.status ?? null, before, rowsToFetch(limit)],
  );
  return takePage(rows, limit, (r) => saleView(toRecord(pdb.platformId, r)), (last) => encodeCursor([last.id]));
}

/** Sales a storefront shows: scheduled and not yet over. */
export async function openSales(pdb: PlatformDb): Promise<SaleRecord[]> {
  const rows = await pdb.query<SaleRow>(
    `select ${SALE_COLUMNS} from flash_sales s where s.platform_id = $1 and s.status = 'scheduled' and s.ends_at > now() order by s.starts_at, s.id limit 100`,
  );
  return rows.map((r) => toRecord(pdb.platformId, r));
}
