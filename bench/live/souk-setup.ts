// A platform with live rooms, set up through Souk's public API as an operator would: admin login, a
// platform with the live module (its chat settings raised so the load's posters are not rate-limited and
// every viewer gets every chat message, like on the bare server), rooms created and started, and customers
// registered on the storefront for the chat posters.
import { randomBytes } from 'node:crypto';
import { httpJson } from '../lib/http.ts';
import { adminLogin, createPlatform, type AdminSession } from '../lib/souk-api.ts';

export interface LivePlatform {
  session: AdminSession;
  slug: string;
  host: string;
}

export interface LiveSettings {
  deliveryCapPerSecond: number;
  postsPerWindow: number;
  postWindowSeconds: number;
}

export async function createLivePlatform(baseUrl: string, admin: { email: string; password: string }, settings: LiveSettings): Promise<LivePlatform> {
  const session = await adminLogin(baseUrl, admin.email, admin.password);
  const slug = `live-bench-${randomBytes(3).toString('hex')}`;
  const host = `${slug}.bench`;
  await createPlatform(session, { slug, name: 'Live bench', hosts: [host], defaultCurrency: 'USD', defaultLocale: 'en', modules: ['live'] });
  await httpJson(`${baseUrl}/admin/platforms/${slug}`, { method: 'PATCH', headers: { authorization: `Bearer ${session.token}` }, json: { settings: { live: settings } } });
  return { session, slug, host };
}

/** Creates and starts `count` rooms; their ids in order. */
export async function liveRooms(platform: LivePlatform, count: number): Promise<string[]> {
  const { session, slug } = platform;
  const headers = { authorization: `Bearer ${session.token}` };
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const room = await httpJson<{ id: string }>(`${session.baseUrl}/admin/platforms/${slug}/live/rooms`, { method: 'POST', headers, json: { title: `Bench room ${i + 1}`, hosts: ['Bench host'] }, expectedStatus: 201 });
    await httpJson(`${session.baseUrl}/admin/platforms/${slug}/live/rooms/${room.id}/start`, { method: 'POST', headers });
    ids.push(room.id);
  }
  return ids;
}

/** Registers `count` customers (one password hash each); their session tokens. */
export async function liveCustomers(platform: LivePlatform, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const body = await httpJson<{ token: string }>(`${platform.session.baseUrl}/store/customers`, {
      method: 'POST',
      headers: { host: platform.host },
      json: { email: `poster-${i}-${randomBytes(3).toString('hex')}@live.bench`, password: `poster-${randomBytes(8).toString('hex')}`, name: `Poster ${i + 1}` },
      expectedStatus: 201,
    });
    tokens.push(body.token);
  }
  return tokens;
}

/** The room's host socket: host messages as `say` frames (no HTTP request per message). */
export const hostSocketUrl = (platform: LivePlatform, baseUrl: string, roomId: string): string =>
  `${baseUrl.replace(/^http/, 'ws')}/admin/platforms/${platform.slug}/live/rooms/${roomId}/ws`;
export const roomSocketUrl = (baseUrl: string, roomId: string): string => `${baseUrl.replace(/^http/, 'ws')}/store/live/rooms/${roomId}/ws`;
