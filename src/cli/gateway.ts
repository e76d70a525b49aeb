// `souk gateway`, also `souk start --role gateway`: runs the gateway in front of the API nodes (settings
// from SOUK_GATEWAY_* variables).
import { gatewayOptionsFromEnv } from '../gateway/config.ts';
import { startGateway } from '../gateway/index.ts';

export const gatewayUsage = (): string => `Usage: souk gateway

Runs a reverse proxy in front of Souk API processes grouped into release tracks, routing by the active
canary policy (souk canary help). Settings:
  SOUK_GATEWAY_TRACKS       required: "stable=http://127.0.0.1:3001;canary=http://127.0.0.1:3002" (urls comma separated)
  SOUK_GATEWAY_PORT         default 8080          SOUK_GATEWAY_HOST  default 0.0.0.0
  SOUK_GATEWAY_TOKEN        a bearer token allowed to use the policy API (besides Souk owners)
  SOUK_GATEWAY_AUTH_URL     the Souk API that checks owner credentials (default: the first stable upstream)
  DATABASE_URL              where policies are stored (else PGlite in SOUK_GATEWAY_DATA_DIR, default ./data-gateway)
  SOUK_GATEWAY_FALLBACK_TRACK, _HEALTH_INTERVAL_MS, _EJECT_MS, _POLL_MS, _RETRIES, _CUSTOMER_HEADER,
  _TRUSTED_PROXIES, _UPSTREAM_TIMEOUT_MS, _ROLLOUT_TICK_MS, _SAMPLE_FLUSH_MS, _SAMPLE_RESERVOIR
                            (see README, "Canary releases" and "Automated rollouts")`;

export async function gatewayCommand(args: string[]): Promise<number> {
  if (args.includes('help') || args.includes('--help')) {
    console.log(gatewayUsage());
    return 0;
  }
  const options = gatewayOptionsFromEnv();
  const gateway = await startGateway(options);
  const tracks = Object.entries(options.tracks).map(([name, urls]) => `${name} → ${urls.join(', ')}`).join('; ');
  console.error(`souk gateway: listening on ${gateway.url} (policy version ${gateway.activeVersion() ?? 'none: all to the fallback track'}); tracks ${tracks}; policies in ${options.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : options.dataDir}`);
  const stop = () => {
    gateway.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return 0;
}
