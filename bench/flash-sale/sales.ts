// A flash sale of the run: scheduled through the admin API, its stats, and the wait for its drain.
import { setTimeout as sleep } from 'node:timers/promises';
import { httpJson } from '../lib/http.ts';
import type { AdminSession } from '../lib/souk-api.ts';
import { SHOP } from './shop.ts';

const START_DELAY_MS = 2000;

export async function scheduleSale(session: AdminSession, variantId: string, quantity: number, limit: number, durationSeconds: number): Promise<{ saleId: string; startsAt: number }> {
  const startsAt = Date.now() + START_DELAY_MS;
  const sale = await httpJson<{ id: string }>(`${session.baseUrl}/admin/platforms/${SHOP.slug}/flash-sales`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.token}` },
    expectedStatus: 201,
    json: {
      name: `Bench rush ${new Date(startsAt).toISOString()}`,
      startsAt: new Date(startsAt).toISOString(),
      // Long enough that the end timer never fires during the run (the drain and the count come after the rush).
      endsAt: new Date(startsAt + (durationSeconds + 3600) * 1000).toISOString(),
      perCustomerLimit: limit,
      minAccountAgeHours: 0,
      paymentTimeoutSeconds: 3600,
      items: [{ variantId, salePrice: SHOP.salePrice, quantity }],
    },
  });
  return { saleId: sale.id, startsAt };
}

interface SaleStats {
  queueDepth: number;
  ordersCreated: number;
  gate: { counters: { attempts: number; won: number; soldOut: number } };
}

export async function saleStats(session: AdminSession, saleId: string): Promise<SaleStats> {
  return httpJson<SaleStats>(`${session.baseUrl}/admin/platforms/${SHOP.slug}/flash-sales/${saleId}/stats`, { headers: { authorization: `Bearer ${session.token}` } });
}

export async function waitForDrain(session: AdminSession, saleId: string, maxSeconds: number): Promise<boolean> {
  const until = Date.now() + maxSeconds * 1000;
  while (Date.now() < until) {
    const stats = await saleStats(session, saleId);
    if (stats.queueDepth === 0) return true;
    await sleep(250);
  }
  return false;
}
