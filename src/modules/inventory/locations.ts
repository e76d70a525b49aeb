// Stock locations. Every platform gets a "default" location the first time stock is written, so a shop
// with one warehouse never has to think about locations; shops with several add them and name them.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { iso } from '../../kernel/cursor.ts';
import type { Location, LocationInput } from './schemas.ts';
import { locationCodeReserved, locationExists, locationNotFound } from './problems.ts';

export const DEFAULT_LOCATION_CODE = 'default';

const COLUMNS = `id, code, name, is_default, ${iso('created_at')} as created_at`;
type LocationRow = { id: string; code: string; name: string; is_default: boolean; created_at: string };
const toLocation = (r: LocationRow): Location => ({ id: r.id, code: r.code, name: r.name, isDefault: r.is_default, createdAt: r.created_at });

/** The default location's id, or undefined when the platform has never stocked anything. */
export async function findDefaultLocationId(pdb: PlatformDb): Promise<string | undefined> {
  const row = await pdb.maybeOne<{ id: string }>('select id from inventory_locations where platform_id = $1 and is_default');
  return row?.id;
}

/** The default location's id, created on first use (concurrent first uses agree on one row). */
export async function ensureDefaultLocation(tx: PlatformDb): Promise<string> {
  const existing = await findDefaultLocationId(tx);
  if (existing) return existing;
  await tx.execute(
    `insert into inventory_locations (platform_id, id, code, name, is_default) values ($1, $2, $3, 'Default', true)
     on conflict do nothing`,
    [newId(), DEFAULT_LOCATION_CODE],
  );
  const id = await findDefaultLocationId(tx);
  if (!id) throw new Error('the default stock location could not be created');
  return id;
}

/** An explicit location must exist on this platform (404 otherwise); none means the default location. */
export async function resolveLocation(tx: PlatformDb, locationId: string | undefined): Promise<string> {
  if (locationId === undefined) return ensureDefaultLocation(tx);
  const row = await tx.maybeOne<{ id: string }>('select id from inventory_locations where platform_id = $1 and id = $2', [locationId]);
  if (!row) throw locationNotFound(locationId);
  return row.id;
}

export async function listLocations(pdb: PlatformDb): Promise<Location[]> {
  const rows = await pdb.query<LocationRow>(`select ${COLUMNS} from inventory_locations where platform_id = $1 order by is_default desc, code`);
  return rows.map(toLocation);
}

export async function createLocation(pdb: PlatformDb, input: LocationInput): Promise<Location> {
  if (input.code === DEFAULT_LOCATION_CODE) {
    throw locationCodeReserved();
  }
  return pdb.transaction(async (tx) => {
    await ensureDefaultLocation(tx);
    const rows = await tx.query<LocationRow>(
      `insert into inventory_locations (platform_id, id, code, name) values ($1, $2, $3, $4)
       on conflict do nothing returning ${COLUMNS}`,
      [newId(), input.code, input.name.trim()],
    );
    if (!rows[0]) throw locationExists(input.code);
    return toLocation(rows[0]);
  });
}
