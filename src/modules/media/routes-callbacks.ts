// The media server's callbacks (nginx-rtmp on_publish, on_publish_done, on_record_done): form-encoded
// POSTs to /media/rtmp/<call>?secret=<SOUK_MEDIA_CALLBACK_SECRET>. A 2xx answer to on_publish allows the
// stream, anything else refuses it. They are outside /store and /admin (the media server
// has neither a platform host nor an admin token): the shared secret, and the optional list of source
// addresses, authenticate them, and the stream name says which platform and room they concern.
// Hidden from the API document: only the media server calls them. Logged at warn and above only, so the
// secret in the query string stays out of the request log.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256 } from '../../kernel/ids.ts';
import type { MediaEnvSettings } from '../../kernel/module-settings.ts';
import type { Ingest, RtmpCall } from './ingest.ts';

const FORM_LIMIT = 16 * 1024;
export const CALLBACK_PATHS = { publish: '/media/rtmp/publish', publishDone: '/media/rtmp/publish-done', recordDone: '/media/rtmp/record-done' } as const;

const field = (form: Record<string, string>, name: string) => (form[name] ?? '').slice(0, 2000);

function callOf(request: FastifyRequest): RtmpCall {
  const form = (request.body ?? {}) as Record<string, string>;
  return { name: field(form, 'name'), key: field(form, 'key'), addr: field(form, 'addr'), clientId: field(form, 'clientid'), path: field(form, 'path') || undefined };
}

function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  // Hashes of equal length, so the comparison's time says nothing about the secret.
  return timingSafeEqual(Buffer.from(sha256(given), 'hex'), Buffer.from(sha256(expected), 'hex'));
}

export function callbackRoutes(app: FastifyInstance, settings: MediaEnvSettings, ingest: Ingest): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  /** null when the callback may be handled; otherwise the reply was sent (403). */
  const authenticate = (request: FastifyRequest, reply: FastifyReply): FastifyReply | null => {
    const secret = settings.callbackSecret;
    const reason = !secret
      ? 'callbacks_off'
      : !secretMatches((request.query as Record<string, unknown>).secret, secret)
        ? 'callback_secret'
        : settings.callbackAllow.length > 0 && !settings.callbackAllow.includes(request.ip)
          ? 'callback_source'
          : null;
    if (!reason) return null;
    ingest.refusedCallback(reason, request.ip);
    return reply.code(403).type('text/plain').send(`refused: ${reason}`);
  };

  const options = { schema: { hide: true }, logLevel: 'warn' as const };

  app.post(CALLBACK_PATHS.publish, options, async (request, reply) => {
    if (authenticate(request, reply)) return reply;
    const answer = await ingest.publish(callOf(request));
    if (!answer.allowed) return reply.code(403).type('text/plain').send(`refused: ${answer.reason}`);
    return reply.code(200).type('text/plain').send(answer.replayed ? 'ok (already publishing)' : 'ok');
  });

  app.post(CALLBACK_PATHS.publishDone, options, async (request, reply) => {
    if (authenticate(request, reply)) return reply;
    await ingest.publishDone(callOf(request));
    return reply.code(200).type('text/plain').send('ok');
  });

  app.post(CALLBACK_PATHS.recordDone, options, async (request, reply) => {
    if (authenticate(request, reply)) return reply;
    await ingest.recordDone(callOf(request));
    return reply.code(200).type('text/plain').send('ok');
  });
}
