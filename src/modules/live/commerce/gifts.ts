// The gift catalogue of a platform: what viewers can send and what each costs in coins. Gifts are never
// deleted (ledger rows name them); an inactive one can no longer be sent.
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import { iso } from '../../../kernel/cursor.ts';
import { isUuid, newId } from '../../../kernel/ids.ts';
import { giftNotFound } from './problems.ts';
import type { Gift, GiftInput, GiftPatch } from './schemas.ts';

interface GiftRow {
  id: string;
  name: string;
  price_coins: number;
  icon_url: string | null;
  active: boolean;
  created_at: string;
  updated_at: string;
}

const COLUMNS = `id, name, price_coins, icon_url, active, ${iso('created_at')} as created_at, ${iso('updated_at')} as updated_at`;

const toGift = (row: GiftRow): Gift => ({
  id: row.id,
  name: row.name,
  priceCoins: row.price_coins,
  iconUrl: row.icon_url,
  active: row.active,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function createGift(pdb: PlatformDb, input: GiftInput): Promise<Gift> {
  const [row] = await pdb.query<GiftRow>(
    `insert into live_gifts (platform_id, id, name, price_coins, icon_url, active) values ($1, $2, $3, $4, $5, $6) returning ${COLUMNS}`,
    [newId(), input.name, input.priceCoins, input.iconUrl ?? null, input.active ?? true],
  );
  return toGift(row!);
}

/** Every gift (admin) or the active ones (storefront), cheapest first. */
export async function listGifts(pdb: PlatformDb, activeOnly: boolean): Promise<Gift[]> {
  const rows = await pdb.query<GiftRow>(`select ${COLUMNS} from live_gifts where platform_id = $1 and ($2::boolean = false or active) order by price_coins, id limit 500`, [activeOnly]);
  return rows.map(toGift);
}

export async function findGift(pdb: PlatformDb, giftId: string): Promise<Gift | undefined> {
  if (!isUuid(giftId)) return undefined;
  const row = await pdb.maybeOne<GiftRow>(`select ${COLUMNS} from live_gifts where platform_id = $1 and id = $2`, [giftId]);
  return row ? toGift(row) : undefined;
}

export async function getGift(pdb: PlatformDb, giftId: string): Promise<Gift> {
  const gift = await findGift(pdb, giftId);
  if (!gift) throw giftNotFound(giftId);
  return gift;
}

export async function updateGift(pdb: PlatformDb, giftId: string, patch: GiftPatch): Promise<Gift> {
  const row = await pdb.maybeOne<GiftRow>(
    `update live_gifts set name = coalesce($3, name), price_coins = coalesce($4, price_coins),
       icon_url = case when $5::boolean then $6 else icon_url end, active = coalesce($7, active), updated_at = now()
     where platform_id = $1 and id = $2 returning ${COLUMNS}`,
    [giftId, patch.name ?? null, patch.priceCoins ?? null, patch.iconUrl !== undefined, patch.iconUrl ?? null, patch.active ?? null],
  );
  if (!row) throw giftNotFound(giftId);
  return toGift(row);
}
