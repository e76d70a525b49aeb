// The deployment files, checked without a Docker engine or a cluster: the Dockerfile's rules, the compose
// cluster's wiring, Prometheus's config and alert rules (promtool), and the Grafana dashboards (every
// metric they chart is one a running Souk exports, and that exposition passes `promtool check metrics`).
// The Kubernetes manifests have their own suite (test/deploy-k8s.test.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSouk, type Souk } from '../src/server.ts';
import { testConfig, TEST_METRICS_TOKEN } from './harness.ts';
import { dockerfileInstructions, isExported, metricsIn, read, ROOT, run, soukSettings, tool, yamlFile } from './deploy-files.ts';

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions(read('Dockerfile'));
  const finalStage = Math.max(...instructions.map((i) => i.stage));
  const final = instructions.filter((i) => i.stage === finalStage);
  const only = (keyword: string) => final.filter((i) => i.keyword === keyword);

  it('builds in stages on a slim Node base that satisfies engines.node', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM');
    assert.ok(froms.length >= 2, 'a multi-stage build');
    const base = /ARG NODE_IMAGE=(\S+)/.exec(read('Dockerfile'))?.[1] ?? '';
    assert.match(base, /^node:(\d+)[-.\w]*-slim$/);
    const major = Number(/^node:(\d+)/.exec(base)![1]);
    const floor = Number(/(\d+)/.exec(JSON.parse(read('package.json')).engines.node)![1]);
    assert.ok(major >= floor, `${base} is older than engines.node`);
  });

  it('installs from the lock file, builds dist/, then drops dev dependencies', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN' && i.stage < finalStage).map((i) => i.args).join('\n');
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm run build/);
    assert.match(runs, /npm prune --omit=dev/);
    // What bin/souk.js needs at run time stays a production dependency after the prune.
    const { dependencies } = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    for (const name of ['tsx', 'esbuild']) assert.ok(dependencies[name], `${name} must stay in dependencies`);
  });

  it('runs as a non-root user with the sources dist/ and the migrations need', () => {
    const user = only('USER').at(-1)?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `final stage USER is ${user ?? 'missing'}`);
    const copied = only('COPY').map((i) => i.args.split(/\s+/).at(-2));
    for (const path of ['/app/node_modules', '/app/dist', '/app/src', '/app/bin', '/app/package.json']) {
      assert.ok(only('COPY').some((i) => i.args.includes(path)), `runtime stage copies ${path} (copies: ${copied.join(' ')})`);
    }
    // Everything the build stage copies from the context is in the repository and not in .dockerignore.
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))) {
      for (const source of copy.args.split(/\s+/).slice(0, -1)) {
        assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: not in the repository`);
        assert.ok(!ignored.includes(source), `COPY ${source}: excluded by .dockerignore`);
      }
    }
    for (const entry of ['node_modules', '.git', 'data', 'dist']) assert.ok(ignored.includes(entry), `.dockerignore leaves out ${entry}`);
  });

  it('has a healthcheck on /healthz and exec-form ENTRYPOINT and CMD, so SIGTERM reaches node', () => {
    const health = only('HEALTHCHECK');
    assert.equal(health.length, 1);
    assert.match(health[0]!.args, /CMD \[.*\/healthz/);
    for (const keyword of ['ENTRYPOINT', 'CMD']) {
      const args = only(keyword).at(-1)?.args ?? '';
      assert.ok(Array.isArray(JSON.parse(args)), `${keyword} in exec (JSON array) form: ${args}`);
    }
    assert.deepEqual(JSON.parse(only('ENTRYPOINT')[0]!.args), ['node', 'bin/souk.js']);
    assert.deepEqual(JSON.parse(only('CMD')[0]!.args), ['start']);
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  volumes?: string[];
  secrets?: string[];
}

describe('deploy/compose.yaml', () => {
  const compose = yamlFile<{ services: Record<string, ComposeService>; volumes: Record<string, unknown>; secrets: Record<string, unknown> }>('deploy/compose.yaml');
  const services = compose.services;
  const souk = Object.entries(services).filter(([, s]) => s.image === 'souk:latest');
  // Souk nodes; the gateway runs from the same image but is no node (no modules, its own settings).
  const nodes = souk.filter(([, s]) => s.command?.[0] === 'start' && s.command.at(-1) !== 'gateway');
  const env = (name: string) => services[name]!.environment ?? {};

  it('runs two API nodes, a worker, the migration, PostgreSQL, Redis, three NATS servers, Prometheus and Grafana', () => {
    for (const name of ['api-1', 'api-2', 'worker', 'gateway', 'migrate', 'postgres', 'redis', 'nats-1', 'nats-2', 'nats-3', 'prometheus', 'grafana']) {
      assert.ok(services[name], `service ${name}`);
    }
    assert.deepEqual(nodes.map(([name]) => name).sort(), ['api-1', 'api-2', 'worker']);
    assert.deepEqual(JSON.parse(JSON.stringify(services.migrate!.command)), ['migrate']);
  });

  it('gives every service an image and a healthcheck (the one-shot migration is waited for to complete)', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.ok(service.image, `${name} has an image`);
      if (service.restart === 'no') {
        const waited = Object.values(services).some((s) => s.depends_on?.[name]?.condition === 'service_completed_successfully');
        assert.ok(waited, `one-shot ${name} is waited for`);
        continue;
      }
      assert.ok(service.healthcheck?.test && service.healthcheck.test.length > 1, `${name} has a healthcheck`);
    }
  });

  it('orders the start: backing services healthy, migrations applied, then the worker, then the API nodes', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        assert.ok(services[dep], `${name} depends on unknown ${dep}`);
        assert.ok(['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition));
        if (condition === 'service_healthy') assert.ok(services[dep]!.healthcheck?.test, `${name} waits for ${dep} to be healthy, which has no healthcheck`);
      }
    }
    for (const [name] of nodes) {
      const deps = services[name]!.depends_on!;
      for (const dep of ['postgres', 'redis', 'nats-1', 'nats-2', 'nats-3']) assert.equal(deps[dep]?.condition, 'service_healthy', `${name} → ${dep}`);
      assert.equal(deps.migrate?.condition, 'service_completed_successfully');
    }
    assert.equal(services['api-1']!.depends_on!.worker?.condition, 'service_healthy', 'API nodes start after the worker seeded the demo');
  });

  it('configures every Souk container for the cluster, with settings Souk reads', () => {
    const known = soukSettings();
    for (const [name] of souk.filter(([n]) => n !== 'gateway')) {
      const e = env(name);
      for (const key of Object.keys(e)) assert.ok(known.has(key), `${name}: ${key} is not a setting Souk reads`);
      assert.match(e.DATABASE_URL!, /@postgres:5432\//);
      assert.equal(e.REDIS_URL, 'redis://redis:6379');
      assert.deepEqual(e.NATS_URL!.split(',').sort(), ['nats://nats-1:4222', 'nats://nats-2:4222', 'nats://nats-3:4222']);
      assert.equal(e.SOUK_NATS_REPLICAS, '3');
      assert.equal(e.SOUK_EVENTS_TRANSPORT, 'jetstream');
      assert.match(e.SOUK_SECRET_KEY!, /^\$\{SOUK_SECRET_KEY:\?/, 'the key comes from the operator, never from the file');
      assert.match(e.SOUK_METRICS_TOKEN!, /^\$\{SOUK_METRICS_TOKEN:\?/);
    }
    // Each node runs its role (`souk start --role`), with no older SOUK_EVENTS_WORKER switch beside it.
    assert.deepEqual(services['api-1']!.command, ['start', '--role', 'api']);
    assert.deepEqual(services['api-2']!.command, ['start', '--role', 'api']);
    assert.deepEqual(services.worker!.command, ['start', '--role', 'worker']);
    for (const [name] of souk) assert.equal(env(name).SOUK_EVENTS_WORKER, undefined, name);
    // The gateway: settings it reads, policies in the cluster's PostgreSQL, both API nodes behind it.
    const gateway = env('gateway');
    for (const key of Object.keys(gateway)) assert.ok(known.has(key), `gateway: ${key} is not a setting Souk reads`);
    assert.deepEqual(services.gateway!.command, ['start', '--role', 'gateway']);
    assert.match(gateway.DATABASE_URL!, /@postgres:5432\//);
    assert.equal(gateway.SOUK_GATEWAY_TRACKS, 'stable=http://api-1:3000,http://api-2:3000');
    assert.deepEqual(nodes.filter(([name]) => env(name).SOUK_SEED_DEMO === '1').map(([name]) => name), ['worker'], 'one node seeds the demo');
  });

  it('clusters the three NATS servers with JetStream', () => {
    const names = ['nats-1', 'nats-2', 'nats-3'];
    const flag = (command: string[], name: string) => command[command.indexOf(name) + 1];
    for (const name of names) {
      const command = services[name]!.command!;
      assert.ok(command.includes('--js'), `${name} runs JetStream`);
      assert.equal(flag(command, '--name'), name);
      assert.equal(flag(command, '--cluster_name'), 'souk');
      assert.deepEqual(flag(command, '--routes')!.split(',').sort(), names.map((n) => `nats://${n}:6222`));
      assert.ok(services[name]!.volumes?.some((v) => v.endsWith(':/data')), `${name} keeps its JetStream store in a volume`);
    }
  });

  it('lets Prometheus scrape every Souk node with the metrics token, and Grafana load the dashboards', () => {
    const prometheus = yamlFile<{ rule_files: string[]; scrape_configs: { job_name: string; authorization?: { credentials_file?: string }; static_configs: { targets: string[] }[] }[] }>('deploy/prometheus/prometheus.yml');
    const job = prometheus.scrape_configs.find((c) => c.job_name === 'souk')!;
    const targets = job.static_configs.flatMap((c) => c.targets).sort();
    assert.deepEqual(targets, nodes.map(([name]) => `${name}:3000`).sort());
    assert.equal(job.authorization?.credentials_file, '/run/secrets/metrics_token');
    assert.deepEqual(services.prometheus!.secrets, ['metrics_token']);
    assert.ok(compose.secrets.metrics_token);
    for (const rules of prometheus.rule_files) assert.ok(existsSync(join(ROOT, 'deploy/prometheus', rules)), `rule file ${rules}`);
    // Bind mounts name files of the repository (relative to deploy/).
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) assert.ok(existsSync(join(ROOT, 'deploy', source)), `${name} mounts ${source}`);
        else assert.ok(source in compose.volumes, `${name} uses volume ${source}, not declared`);
      }
    }
  });
});

describe('Prometheus and Grafana files', () => {
  let souk: Souk;
  let exported: Set<string>;
  let exposition: string;
  before(async () => {
    souk = await createSouk({ inMemory: true, logger: false, config: { ...testConfig, seedDemo: false } });
    const res = await souk.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    assert.equal(res.statusCode, 200);
    exposition = res.body;
    exported = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  });
  after(() => souk.close());

  const promtool = tool('promtool', 'Debian package prometheus');

  it('promtool accepts the Prometheus config and the alert rules', { skip: promtool.skip }, () => {
    run(promtool.path!, ['check', 'config', '--syntax-only', 'deploy/prometheus/prometheus.yml']);
    const out = run(promtool.path!, ['check', 'rules', 'deploy/prometheus/alerts.yaml']);
    assert.match(out, /SUCCESS: \d+ rules found/);
  });

  it('promtool finds no problem in the metrics Souk exports (names, units, types)', { skip: promtool.skip }, () => {
    // check metrics prints one line per problem (and exits 1 when there is one). prom-client's default
    // Node metrics name three gauges *_total; those are upstream's names, kept so standard Node
    // dashboards work. Anything else, and every metric Souk defines itself, must pass.
    const upstream = new Set(['souk_nodejs_active_handles_total', 'souk_nodejs_active_requests_total', 'souk_nodejs_active_resources_total']);
    const result = spawnSync(promtool.path!, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    const problems = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim() && !upstream.has(line.split(' ')[0]!));
    assert.deepEqual(problems, []);
  });

  it('alert rules read only metrics Souk exports', () => {
    const alerts = yamlFile<{ groups: { rules: { alert: string; expr: string }[] }[] }>('deploy/prometheus/alerts.yaml');
    const rules = alerts.groups.flatMap((g) => g.rules);
    assert.ok(rules.length >= 8);
    for (const rule of rules) {
      for (const series of metricsIn(rule.expr)) assert.ok(isExported(series, exported), `${rule.alert} reads ${series}, which Souk does not export`);
    }
  });

  it('dashboards are valid, provisioned, and chart only metrics Souk exports', () => {
    const dir = join(ROOT, 'deploy/grafana/dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.deepEqual(files.sort(), ['souk-backbone.json', 'souk-runtime.json', 'souk-shop.json']);
    const charted = new Set<string>();
    const uids = new Set<string>();
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { uid: string; title: string; panels: { title: string; gridPos: unknown; datasource: { uid: string }; targets: { expr: string }[] }[] };
      assert.ok(dashboard.uid && !uids.has(dashboard.uid), `${file}: a unique uid`);
      uids.add(dashboard.uid);
      assert.ok(dashboard.panels.length > 0);
      for (const panel of dashboard.panels) {
        assert.ok(panel.gridPos && panel.targets.length > 0, `${file}: ${panel.title}`);
        assert.equal(panel.datasource.uid, 'prometheus');
        for (const target of panel.targets) {
          for (const series of metricsIn(target.expr)) {
            assert.ok(isExported(series, exported), `${file} "${panel.title}" charts ${series}, which Souk does not export`);
            charted.add(series.replace(/_(bucket|sum|count)$/, ''));
          }
        }
      }
    }
    // The areas the dashboards promise: requests and latency, orders, flash sales, event lag, live rooms, risk.
    for (const metric of ['souk_http_requests_total', 'souk_http_request_duration_seconds', 'souk_flash_sale_purchases_total', 'souk_events_delivery_lag_seconds', 'souk_events_consumer_lag', 'souk_events_dead_letters_total', 'souk_live_connections', 'souk_risk_decisions_total', 'souk_nodejs_eventloop_lag_p99_seconds']) {
      assert.ok(charted.has(metric), `no dashboard charts ${metric}`);
    }
    const datasource = yamlFile<{ datasources: { uid: string; url: string }[] }>('deploy/grafana/provisioning/datasources/prometheus.yaml');
    assert.equal(datasource.datasources[0]!.uid, 'prometheus');
    const provider = yamlFile<{ providers: { options: { path: string } }[] }>('deploy/grafana/provisioning/dashboards/souk.yaml');
    const compose = yamlFile<{ services: Record<string, ComposeService> }>('deploy/compose.yaml');
    assert.ok(compose.services.grafana!.volumes!.includes(`./grafana/dashboards:${provider.providers[0]!.options.path}:ro`));
  });
});
