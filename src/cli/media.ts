// `souk media config [--out FILE] [--souk-url URL] [--rtmp-port N] [--http-port N] [--module PATH|none]`:
// prints (or writes) the nginx configuration for live ingest (src/modules/media/nginx-config.ts), from
// the SOUK_MEDIA_* settings. It needs SOUK_MEDIA_CALLBACK_SECRET: the same secret must be set for Souk.
import { existsSync, writeFileSync } from 'node:fs';
import { loadModuleSettings } from '../kernel/module-settings.ts';
import { DEBIAN_RTMP_MODULE, nginxConfig } from '../modules/media/nginx-config.ts';

export const MEDIA_USAGE = `Usage:
  souk media config [--out FILE] [--souk-url URL] [--rtmp-port 1935] [--http-port 8080] [--module PATH|none]
    the nginx configuration (nginx + the RTMP module) for live rooms' ingest, HLS and recordings, from the
    SOUK_MEDIA_* settings; SOUK_MEDIA_CALLBACK_SECRET must be set (the same value for Souk).
    --souk-url  where nginx reaches Souk's callbacks (default http://127.0.0.1:$PORT, PORT default 3000)
    --module    the RTMP module to load (default ${DEBIAN_RTMP_MODULE} when it exists; none: do not load)`;

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

function port(args: string[], name: string, fallback: number): number {
  const raw = option(args, name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
  return value;
}

export async function mediaCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'config') {
    console.log(MEDIA_USAGE);
    return sub === undefined || sub === 'help' || sub === '--help' ? 0 : 2;
  }
  const media = loadModuleSettings(process.env).media;
  if (!media.callbackSecret) {
    console.error('Set SOUK_MEDIA_CALLBACK_SECRET first (16+ letters, digits, _ or -; e.g. `openssl rand -hex 24`), for Souk and for this command.');
    return 2;
  }
  const moduleOption = option(rest, '--module');
  const modulePath = moduleOption === 'none' ? null : (moduleOption ?? (existsSync(DEBIAN_RTMP_MODULE) ? DEBIAN_RTMP_MODULE : null));
  const text = nginxConfig({
    soukUrl: option(rest, '--souk-url') ?? `http://127.0.0.1:${process.env.PORT || 3000}`,
    callbackSecret: media.callbackSecret,
    rtmpPort: port(rest, '--rtmp-port', 1935),
    httpPort: port(rest, '--http-port', 8080),
    hlsDir: media.hlsDir,
    recordingDir: media.recordingDir,
    modulePath,
  });
  const out = option(rest, '--out');
  if (out) {
    writeFileSync(out, text, { mode: 0o600 });
    console.error(`souk: wrote ${out} (it holds the callback secret: mode 0600). HLS in ${media.hlsDir}, recordings in ${media.recordingDir}; create both, writable by nginx's worker user.`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
