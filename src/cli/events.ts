// `souk events …`: the dead-letter store and replay, through the running server's admin API.
import { ApiClient, defaultServerUrl, option, serverUrl } from './api-client.ts';

export const eventsUsage = (): string => `Usage:
  souk events consumers                         consumers with lag, retries and dead letters
  souk events dlq list [--consumer NAME] [--status dead|requeued|discarded]
  souk events dlq show <id>
  souk events dlq requeue <id>
  souk events dlq discard <id>
  souk events replay --consumer NAME --since <ISO time | offset>
  souk events show <event id>                   an event with its causal chain and trace
All take --url URL (default ${defaultServerUrl()}) and use SOUK_API_KEY, the session saved by
\`souk login\`, or SOUK_ADMIN_EMAIL/SOUK_ADMIN_PASSWORD (logging in once and saving the session).`;

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

type DeadLetter = { id: string; consumer: string; eventId: string; attempts: number; failedAt: string; lastError: string };

/** The request a command line stands for, or undefined when it is not a valid events command. */
function requestFor(args: string[]): { method: string; path: string; body?: unknown; show: (answer: unknown) => void } | undefined {
  const [sub, action, id] = args;
  if (sub === 'consumers') return { method: 'GET', path: '/admin/events/consumers', show: print };
  if (sub === 'show' && action) return { method: 'GET', path: `/admin/events/${encodeURIComponent(action)}`, show: print };
  if (sub === 'dlq' && action === 'list') {
    const query = new URLSearchParams();
    const consumer = option(args, '--consumer');
    const status = option(args, '--status');
    if (consumer) query.set('consumer', consumer);
    if (status) query.set('status', status);
    return {
      method: 'GET',
      path: `/admin/events/dead-letters?${query}`,
      show: (answer) => {
        const { items } = answer as { items: DeadLetter[] };
        for (const d of items) console.log(`${d.id}  ${d.consumer}  event ${d.eventId}  attempts ${d.attempts}  ${d.failedAt}\n    ${d.lastError}`);
        if (items.length === 0) console.log('No dead letters.');
      },
    };
  }
  if (sub === 'dlq' && action === 'show' && id) return { method: 'GET', path: `/admin/events/dead-letters/${encodeURIComponent(id)}`, show: print };
  if (sub === 'dlq' && (action === 'requeue' || action === 'discard') && id) {
    return {
      method: 'POST',
      path: `/admin/events/dead-letters/${encodeURIComponent(id)}/${action}`,
      show: (answer) => console.log(`${id}: ${(answer as { status: string }).status}`),
    };
  }
  const consumer = option(args, '--consumer');
  const since = option(args, '--since');
  if (sub === 'replay' && consumer && since) {
    return {
      method: 'POST',
      path: `/admin/events/consumers/${encodeURIComponent(consumer)}/replay`,
      body: /^\d+$/.test(since) ? { offset: Number(since) } : { since: new Date(since).toISOString() },
      show: (answer) => console.log(`Replaying to ${consumer} from offset ${(answer as { fromOffset: number }).fromOffset}; events it already handled are skipped by its inbox.`),
    };
  }
  return undefined;
}

export async function eventsCommand(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub === undefined || sub === 'help' || args.includes('--help')) {
    console.log(eventsUsage());
    return 0;
  }
  const request = requestFor(args);
  if (!request) {
    console.error(eventsUsage());
    return 2;
  }
  const api = new ApiClient(serverUrl(args));
  await api.announce();
  request.show(await api.call(request.method, request.path, request.body));
  return 0;
}
