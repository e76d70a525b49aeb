// `souk events …`: the dead-letter store and replay, through the running server's admin API.
import { option, serverUrl, viaApi } from './api-client.ts';

const USAGE = `Usage:
  souk events consumers                         consumers with lag, retries and dead letters
  souk events dlq list [--consumer NAME] [--status dead|requeued|discarded]
  souk events dlq show <id>
  souk events dlq requeue <id>
  souk events dlq discard <id>
  souk events replay --consumer NAME --since <ISO time | offset>
  souk events show <event id>                   an event with its causal chain and trace
All take --url URL (default http://localhost:$PORT) and log in with SOUK_API_KEY or SOUK_ADMIN_EMAIL/SOUK_ADMIN_PASSWORD.`;

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

export async function eventsCommand(args: string[]): Promise<number> {
  const url = serverUrl(args);
  const [sub, action, id] = args;
  if (sub === 'consumers') {
    print(await viaApi(url, 'GET', '/admin/events/consumers'));
    return 0;
  }
  if (sub === 'show' && action) {
    print(await viaApi(url, 'GET', `/admin/events/${encodeURIComponent(action)}`));
    return 0;
  }
  if (sub === 'dlq') {
    if (action === 'list') {
      const query = new URLSearchParams();
      const consumer = option(args, '--consumer');
      const status = option(args, '--status');
      if (consumer) query.set('consumer', consumer);
      if (status) query.set('status', status);
      const { items } = (await viaApi(url, 'GET', `/admin/events/dead-letters?${query}`)) as { items: Array<{ id: string; consumer: string; eventId: string; attempts: number; failedAt: string; lastError: string }> };
      for (const d of items) console.log(`${d.id}  ${d.consumer}  event ${d.eventId}  attempts ${d.attempts}  ${d.failedAt}\n    ${d.lastError}`);
      if (items.length === 0) console.log('No dead letters.');
      return 0;
    }
    if (action === 'show' && id) {
      print(await viaApi(url, 'GET', `/admin/events/dead-letters/${encodeURIComponent(id)}`));
      return 0;
    }
    if ((action === 'requeue' || action === 'discard') && id) {
      const result = (await viaApi(url, 'POST', `/admin/events/dead-letters/${encodeURIComponent(id)}/${action}`)) as { status: string };
      console.log(`${id}: ${result.status}`);
      return 0;
    }
  }
  if (sub === 'replay') {
    const consumer = option(args, '--consumer');
    const since = option(args, '--since');
    if (consumer && since) {
      const body = /^\d+$/.test(since) ? { offset: Number(since) } : { since: new Date(since).toISOString() };
      const result = (await viaApi(url, 'POST', `/admin/events/consumers/${encodeURIComponent(consumer)}/replay`, body)) as { fromOffset: number };
      console.log(`Replaying to ${consumer} from offset ${result.fromOffset}; events it already handled are skipped by its inbox.`);
      return 0;
    }
  }
  console.error(USAGE);
  return 2;
}
