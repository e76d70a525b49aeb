// Writing the tickets of the units the gate handed out. Winners of one sale are grouped (batcher.ts) into
// one transaction: the sale row FOR SHARE, every ticket taken under the sale's current epoch inserted by
// one statement, and one flash_sale.won event per ticket by another. A ticket taken under an older epoch
// is left out ('stale': a rebuild counted the database without it, see reconcile.ts); a sale no longer
// scheduled takes none ('closed'). If the transaction fails, the outcome may still be a commit (the
// connection lost with COMMIT's answer on its way), so the batch looks its tickets up: those that exist
// are 'ok', the others 'failed' (their units go back to the gate). If even that lookup fails, every
// winner of the batch is 'unknown': the units stay taken and a reconciliation returns those without a
// ticket, which can under-sell for a while but never sells a unit twice.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { currentTrace } from '../../kernel/trace.ts';
import type { ModuleContext } from '../../kernel/context.ts';
import { Batcher } from './batcher.ts';
import { EVENT_WON } from './events.ts';
import type { SaleOrderInput } from '../orders/service.ts';

export type InsertResult = 'ok' | 'stale' | 'closed' | 'failed' | 'unknown';

export interface NewTicket {
  id: string;
  saleId: string;
  variantId: string;
  customerId: string;
  email: string;
  quantity: number;
  epoch: number;
  /** The risk engine's review verdict: the ticket's order is created on_hold (drain.ts). */
  hold?: SaleOrderInput['hold'];
}

interface Queued {
  pdb: PlatformDb;
  ticket: NewTicket;
  trace: ReturnType<typeof currentTrace>;
}

/** Tickets per transaction; a batch this size is one insert of a few kilobytes. */
const MAX_BATCH = 200;

async function writeBatch(ctx: ModuleContext, items: Queued[]): Promise<InsertResult[]> {
  const { pdb } = items[0]!;
  const saleId = items[0]!.ticket.saleId;
  const tickets = items.map((i) => i.ticket);
  return pdb.transaction(async (tx) => {
    const rows = await tx.query<{ status: string; inserted: string | null }>(
      `with s as (select gate_epoch, status from flash_sales where platform_id = $1 and id = $2 for share),
       ins as (
         insert into flash_sale_tickets (platform_id, id, sale_id, variant_id, customer_id, email, quantity, epoch, hold)
         select $1, t.id, $2, t.variant_id, t.customer_id, t.email, t.quantity, t.epoch, t.hold::jsonb
         from unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::int[], $8::int[], $9::text[]) as t(id, variant_id, customer_id, email, quantity, epoch, hold), s
         where s.gate_epoch = t.epoch and s.status = 'scheduled'
         returning id
       )
       select s.status, ins.id::text as inserted from s left join ins on true`,
      [
        saleId,
        tickets.map((t) => t.id),
        tickets.map((t) => t.variantId),
        tickets.map((t) => t.customerId),
        tickets.map((t) => t.email),
        tickets.map((t) => t.quantity),
        tickets.map((t) => t.epoch),
        tickets.map((t) => (t.hold ? JSON.stringify(t.hold) : null)),
      ],
    );
    if (rows.length === 0 || rows[0]!.status !== 'scheduled') return items.map((): InsertResult => 'closed');
    const inserted = new Set(rows.map((r) => r.inserted).filter((id): id is string => id !== null));
    const won = items.filter((i) => inserted.has(i.ticket.id));
    await ctx.events.emitMany(
      tx,
      won.map(({ ticket: t, trace }) => ({
        type: EVENT_WON,
        payload: { saleId: t.saleId, ticketId: t.id, variantId: t.variantId, customerId: t.customerId, quantity: t.quantity },
        key: t.id,
        trace,
      })),
    );
    return items.map((i): InsertResult => (inserted.has(i.ticket.id) ? 'ok' : 'stale'));
  });
}

/** After a failed batch: which of its tickets exist after all ('ok'), which do not ('failed'). */
async function afterFailure(ctx: ModuleContext, items: Queued[], error: unknown): Promise<InsertResult[]> {
  ctx.log.warn({ err: error, saleId: items[0]!.ticket.saleId, tickets: items.length }, 'flash-sale ticket batch failed; looking its tickets up');
  try {
    const found = await items[0]!.pdb.query<{ id: string }>('select id::text from flash_sale_tickets where platform_id = $1 and id = any($2::uuid[])', [
      items.map((i) => i.ticket.id),
    ]);
    const exists = new Set(found.map((r) => r.id));
    return items.map((i): InsertResult => (exists.has(i.ticket.id) ? 'ok' : 'failed'));
  } catch {
    return items.map((): InsertResult => 'unknown');
  }
}

/** Takes whose tickets are written ('ok') or refused for good ('stale', 'closed'), per epoch. */
export type SettleTakes = (saleId: string, epoch: number, ticketIds: string[]) => void;

function settleBatch(items: Queued[], results: InsertResult[], settle: SettleTakes): void {
  const byEpoch = new Map<number, string[]>();
  items.forEach(({ ticket }, i) => {
    if (results[i] !== 'ok' && results[i] !== 'stale' && results[i] !== 'closed') return;
    const ids = byEpoch.get(ticket.epoch) ?? [];
    ids.push(ticket.id);
    byEpoch.set(ticket.epoch, ids);
  });
  for (const [epoch, ids] of byEpoch) settle(items[0]!.ticket.saleId, epoch, ids);
}

/** One per running module: queues winners per sale and writes each group in one transaction. */
export function ticketWriter(ctx: ModuleContext, settle: SettleTakes): (pdb: PlatformDb, ticket: NewTicket) => Promise<InsertResult> {
  const batcher = new Batcher<Queued, InsertResult>({
    maxBatch: MAX_BATCH,
    // Two so one batch can gather while another commits; more would only add connections holding the
    // same share lock.
    maxInFlight: 2,
    run: async (_key, items) => {
      const results = await writeBatch(ctx, items).catch((error: unknown) => afterFailure(ctx, items, error));
      settleBatch(items, results, settle);
      return results;
    },
  });
  return (pdb, ticket) => batcher.submit(`${pdb.platformId}:${ticket.saleId}`, { pdb, ticket, trace: currentTrace() });
}
