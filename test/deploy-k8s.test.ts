// deploy/k8s, checked without a cluster: each overlay rendered (test/kustomize.ts, and where kubectl is
// installed, compared with `kubectl kustomize`), every object validated against the Kubernetes JSON
// schemas (kubernetes-models, @kubernetes-models/prometheus-operator), then what the schemas cannot say:
// probes on the health routes, resources, non-root pods, selectors that match, a drain that fits the
// grace period, and settings Souk actually reads. The Secret is not rendered (deploy/k8s/secret.example.yaml).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { read, ROOT, run, soukSettings, tool, yamlDocuments } from './deploy-files.ts';
import { kustomize, overlayDir, type K8sObject } from './kustomize.ts';
import { parseTracks } from '../src/gateway/config.ts';

/** The schema-checked model for each kind the manifests use; an object of any other kind fails. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
const byKey = (objects: K8sObject[]) => new Map(objects.map((o) => [key(o), o]));
const kubectl = tool('kubectl', 'optional: the rendering is compared with `kubectl kustomize` where kubectl is installed');

interface Workload { spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: IPodSpec } } }

for (const overlay of ['small', 'large']) {
  describe(`deploy/k8s/overlays/${overlay}`, () => {
    const objects = kustomize(overlayDir(ROOT, overlay));
    const all = byKey(objects);
    const get = <T>(name: string) => all.get(name) as unknown as T;
    const deployments = objects.filter((o) => o.kind === 'Deployment') as unknown as (K8sObject & Workload)[];
    const config = get<{ data: Record<string, string> }>('ConfigMap/souk-config').data;

    it('renders as kubectl kustomize does', { skip: kubectl.skip ? `${kubectl.skip}` : undefined }, () => {
      // kubectl warns about nothing here; with a real kustomize the output is the reference.
      const rendered = yamlDocuments(run(kubectl.path!, ['kustomize', overlayDir(ROOT, overlay)])) as K8sObject[];
      const sort = (list: K8sObject[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
      assert.deepEqual(sort(objects), sort(rendered));
    });

    it('has every object valid against its Kubernetes schema, in the souk namespace', () => {
      assert.ok(objects.length >= 13);
      for (const object of objects) {
        const Model = MODELS[`${object.apiVersion}/${object.kind}`];
        assert.ok(Model, `${key(object)}: ${object.apiVersion} ${object.kind} is not a kind these manifests should need`);
        assert.doesNotThrow(() => new Model(object as never).validate(), `${key(object)} against the ${object.apiVersion} ${object.kind} schema`);
        assert.equal(object.metadata.namespace, 'souk', key(object));
        assert.equal(object.metadata.labels?.['app.kubernetes.io/part-of'], 'souk', key(object));
      }
      assert.equal(new Set(objects.map(key)).size, objects.length, 'no object twice');
    });

    it('runs the API and worker roles with probes, resources, a non-root user and the overlay image', () => {
      assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ['souk-api', 'souk-gateway', 'souk-worker']);
      for (const d of deployments.filter((d) => d.metadata.name !== 'souk-gateway')) {
        const pod = d.spec.template.spec;
        assert.equal(pod.securityContext?.runAsNonRoot, true, `${d.metadata.name} runs as non-root`);
        for (const [label, value] of Object.entries(d.spec.selector.matchLabels)) assert.equal(d.spec.template.metadata.labels[label], value, `${d.metadata.name} selects its own pods`);
        const container = pod.containers[0] as IContainer;
        assert.equal(container.image, 'ghcr.io/example/souk:0.1.0');
        assert.equal(container.args?.[0], 'start');
        assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory && container.resources.limits?.memory, `${d.metadata.name} has requests and a memory limit`);
        const port = container.ports?.find((p) => p.name === 'http');
        assert.equal(port?.containerPort, Number(config.PORT));
        assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'http' });
        assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'http' });
        // The drain (SOUK_SHUTDOWN_TIMEOUT_MS) plus the preStop pause ends before the kubelet's SIGKILL.
        const pause = Number(container.lifecycle?.preStop?.exec?.command?.at(-1) ?? 0);
        assert.ok((pod.terminationGracePeriodSeconds ?? 30) * 1000 > Number(config.SOUK_SHUTDOWN_TIMEOUT_MS) + pause * 1000, `${d.metadata.name}: grace period too short for the drain`);
      }
      // Each Deployment runs its role (`souk start --role`), with no older SOUK_EVENTS_WORKER switch beside it.
      const container = (name: string) => deployments.find((d) => d.metadata.name === name)!.spec.template.spec.containers[0]!;
      assert.deepEqual(container('souk-api').args, ['start', '--role', 'api']);
      assert.deepEqual(container('souk-worker').args, ['start', '--role', 'worker']);
      for (const name of ['souk-api', 'souk-worker']) assert.equal(container(name).env?.find((e) => e.name === 'SOUK_EVENTS_WORKER'), undefined);
    });

    it('scales the API with an HPA, protects both roles with PDBs, and exposes the API through Service and Ingress', () => {
      const hpa = get<{ spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number } }>('HorizontalPodAutoscaler/souk-api');
      assert.deepEqual({ kind: hpa.spec.scaleTargetRef.kind, name: hpa.spec.scaleTargetRef.name }, { kind: 'Deployment', name: 'souk-api' });
      assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.minReplicas < hpa.spec.maxReplicas);
      const podsOf = (selector: Record<string, string>) => deployments.filter((d) => Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v)).map((d) => d.metadata.name);
      for (const name of ['souk-api', 'souk-worker']) {
        const pdb = get<{ spec: { selector: { matchLabels: Record<string, string> } } }>(`PodDisruptionBudget/${name}`);
        assert.deepEqual(podsOf(pdb.spec.selector.matchLabels), [name]);
        const service = get<{ spec: { selector: Record<string, string>; ports: { name: string }[] } }>(`Service/${name}`);
        assert.deepEqual(podsOf(service.spec.selector), [name]);
        assert.ok(service.spec.ports.some((p) => p.name === 'http'));
      }
      const ingress = get<{ spec: { rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[] } }>('Ingress/souk');
      // Public traffic goes through the canary gateway, which routes it to the API tracks.
      assert.deepEqual(ingress.spec.rules[0]!.http.paths[0]!.backend.service, { name: 'souk-gateway', port: { name: 'http' } });
      const monitor = get<{ spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string; authorization: { credentials: { name: string; key: string } } }[] } }>('ServiceMonitor/souk');
      assert.deepEqual(monitor.spec.endpoints[0]!.authorization.credentials, { name: 'souk-secrets', key: 'SOUK_METRICS_TOKEN' });
      const scraped = objects.filter((o) => o.kind === 'Service' && Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
      assert.deepEqual(scraped.map((o) => o.metadata.name).sort(), ['souk-api', 'souk-api-canary', 'souk-worker']);
    });

    it('runs the canary gateway in front of the stable and canary API Services, with its own probes and metrics', () => {
      const gateway = deployments.find((d) => d.metadata.name === 'souk-gateway')!;
      const pod = gateway.spec.template.spec;
      const container = pod.containers[0] as IContainer;
      assert.deepEqual(container.args, ['start', '--role', 'gateway']);
      assert.equal(container.image, 'ghcr.io/example/souk:0.1.0');
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.ok(container.resources?.requests?.cpu && container.resources.limits?.memory);
      assert.ok((gateway.spec.replicas ?? 1) >= 2, 'more than one gateway: it is in front of everything');
      for (const [label, value] of Object.entries(gateway.spec.selector.matchLabels)) assert.equal(gateway.spec.template.metadata.labels[label], value);
      const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
      assert.equal(container.ports?.find((p) => p.name === 'http')?.containerPort, Number(env.SOUK_GATEWAY_PORT));
      assert.deepEqual(container.readinessProbe?.httpGet, { path: '/_gateway/healthz', port: 'http' });
      assert.deepEqual(container.livenessProbe?.httpGet, { path: '/_gateway/healthz', port: 'http' });
      // Policies, samples and rollouts are shared by the replicas through PostgreSQL (DATABASE_URL, from the Secret).
      assert.ok(container.envFrom?.some((e) => e.secretRef?.name === 'souk-secrets'));
      // Each track names a Service of this overlay on its port; stable is the API's, canary selects canary pods.
      const tracks = parseTracks(env.SOUK_GATEWAY_TRACKS!);
      assert.deepEqual(Object.keys(tracks), ['stable', 'canary']);
      const services = new Map<string, { name: string; port: number; selector: Record<string, string> }>();
      for (const name of ['souk-api', 'souk-api-canary']) {
        const service = get<{ spec: { selector: Record<string, string>; ports: { port: number }[] } }>(`Service/${name}`);
        assert.ok(service, `Service/${name}`);
        services.set(name, { name, port: service.spec.ports[0]!.port, selector: service.spec.selector });
      }
      for (const [track, service] of [['stable', 'souk-api'], ['canary', 'souk-api-canary']] as const) {
        const url = new URL(tracks[track]![0]!);
        assert.equal(url.hostname, service);
        assert.equal(Number(url.port || 80), services.get(service)!.port);
      }
      const api = deployments.find((d) => d.metadata.name === 'souk-api')!;
      assert.equal(Object.entries(services.get('souk-api-canary')!.selector).every(([k, v]) => api.spec.template.metadata.labels[k] === v), false, 'stable pods are not in the canary Service');
      const service = get<{ spec: { selector: Record<string, string> } }>('Service/souk-gateway');
      assert.ok(Object.entries(service.spec.selector).every(([k, v]) => gateway.spec.template.metadata.labels[k] === v));
      const monitor = get<{ spec: { selector: { matchLabels: Record<string, string> }; endpoints: { path: string }[] } }>('ServiceMonitor/souk-gateway');
      assert.equal(monitor.spec.endpoints[0]!.path, '/_gateway/metrics');
      const scraped = objects.filter((o) => o.kind === 'Service' && Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
      assert.deepEqual(scraped.map((o) => o.metadata.name), ['souk-gateway']);
      const pdb = get<{ spec: { selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget/souk-gateway');
      assert.deepEqual(pdb.spec.selector.matchLabels, gateway.spec.selector.matchLabels);
    });

    it('migrates in a Job and reaches PostgreSQL, Redis and NATS as external services', () => {
      const job = get<{ spec: { template: { spec: IPodSpec } } }>('Job/souk-migrate');
      const container = job.spec.template.spec.containers[0]!;
      assert.deepEqual(container.args, ['migrate']);
      assert.equal(container.image, 'ghcr.io/example/souk:0.1.0');
      assert.equal(job.spec.template.spec.securityContext?.runAsNonRoot, true);
      for (const name of ['souk-postgres', 'souk-redis', 'souk-nats']) {
        assert.equal(get<{ spec: { type: string } }>(`Service/${name}`).spec.type, 'ExternalName');
      }
      // The Secret is created apart from the overlays (never in git); the example names what it holds,
      // and every pod reads it under that name.
      assert.equal(all.get('Secret/souk-secrets'), undefined, 'no Secret rendered from the repository');
      const example = yamlDocuments(read('deploy/k8s/secret.example.yaml'))[0] as unknown as K8sObject & { stringData: Record<string, string> };
      assert.doesNotThrow(() => new Secret(example as never).validate());
      const secret = example.stringData;
      for (const pod of [...deployments.map((d) => d.spec.template.spec), job.spec.template.spec]) {
        assert.ok(pod.containers[0]!.envFrom?.some((e) => e.secretRef?.name === example.metadata.name));
      }
      assert.match(secret.DATABASE_URL!, /@souk-postgres:5432\//);
      assert.equal(config.REDIS_URL, 'redis://souk-redis:6379');
      assert.equal(config.NATS_URL, 'nats://souk-nats:4222');
      assert.equal(config.SOUK_NATS_REPLICAS, '3');
      assert.equal(config.SOUK_SEED_DEMO, '0');
      // Every setting the manifests give Souk is one it reads.
      const known = soukSettings();
      const given = [...Object.keys(config), ...Object.keys(secret), ...deployments.flatMap((d) => (d.spec.template.spec.containers[0]!.env ?? []).map((e) => e.name))];
      for (const name of given) assert.ok(known.has(name), `${name} is not a setting Souk reads`);
    });
  });
}

describe('overlays', () => {
  it('large runs more and bigger pods than small', () => {
    const scale = (overlay: string) => {
      const all = byKey(kustomize(overlayDir(ROOT, overlay)));
      const hpa = all.get('HorizontalPodAutoscaler/souk-api') as unknown as { spec: { minReplicas: number; maxReplicas: number } };
      const worker = all.get('Deployment/souk-worker') as unknown as Workload;
      return { min: hpa.spec.minReplicas, max: hpa.spec.maxReplicas, workers: worker.spec.replicas ?? 1 };
    };
    const small = scale('small');
    const large = scale('large');
    assert.ok(large.min > small.min && large.max > small.max && large.workers > small.workers, JSON.stringify({ small, large }));
  });
});
