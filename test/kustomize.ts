// A small kustomize for the tests: renders deploy/k8s overlays with the `yaml` package, covering exactly
// the features those kustomizations use (resources, namespace, labels, images, strategic-merge patches).
// kubectl is not installed everywhere CI runs; where it is, test/deploy-k8s.test.ts checks that this
// renders what `kubectl kustomize` renders, so a feature used here but not implemented shows up there.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { yamlDocuments } from './deploy-files.ts';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

interface Kustomization {
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path: string }[];
  [feature: string]: unknown;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'images', 'patches']);

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Strategic merge as kustomize applies it to these manifests: maps merge key by key, lists of maps that
 * all carry a name merge by name (containers, env, ports), any other list is replaced.
 */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isMap(base) && isMap(patch)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) merged[key] = key in base ? strategicMerge(base[key], value) : value;
    return merged;
  }
  const named = (list: unknown): list is Record<string, unknown>[] => Array.isArray(list) && list.length > 0 && list.every((item) => isMap(item) && typeof item.name === 'string');
  if (named(base) && named(patch)) {
    const merged = base.map((item) => {
      const change = patch.find((p) => p.name === item.name);
      return change ? strategicMerge(item, change) : item;
    });
    return [...merged, ...patch.filter((p) => !base.some((item) => item.name === p.name))];
  }
  return patch;
}

function setImages(value: unknown, images: NonNullable<Kustomization['images']>): void {
  if (Array.isArray(value)) {
    value.forEach((item) => setImages(item, images));
    return;
  }
  if (!isMap(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(inner)) {
      for (const container of inner as { image?: string }[]) {
        const [name, tag] = (container.image ?? '').split(':');
        const image = images.find((i) => i.name === name);
        if (image) container.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
      }
    } else {
      setImages(inner, images);
    }
  }
}

/** The objects `kubectl kustomize dir` would print, in resource order. */
export function kustomize(dir: string): K8sObject[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) throw new Error(`${dir}: test/kustomize.ts does not implement ${unsupported.join(', ')}`);
  let objects: K8sObject[] = [];
  for (const resource of k.resources ?? []) {
    const path = join(dir, resource);
    objects.push(...(statSync(path).isDirectory() ? kustomize(path) : (yamlDocuments(readFileSync(path, 'utf8')) as K8sObject[])));
  }
  for (const { path } of k.patches ?? []) {
    for (const patch of yamlDocuments(readFileSync(join(dir, path), 'utf8')) as K8sObject[]) {
      const at = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (at < 0) throw new Error(`${join(dir, path)}: no ${patch.kind} ${patch.metadata.name} to patch`);
      objects[at] = strategicMerge(objects[at], patch) as K8sObject;
    }
  }
  objects = structuredClone(objects);
  for (const object of objects) {
    if (k.namespace) object.metadata.namespace = k.namespace;
    for (const { pairs, includeSelectors, includeTemplates } of k.labels ?? []) {
      if (includeSelectors || includeTemplates) throw new Error(`${dir}: labels with includeSelectors/includeTemplates are not implemented here`);
      object.metadata.labels = { ...object.metadata.labels, ...pairs };
    }
    if (k.images) setImages(object, k.images);
  }
  return objects;
}

export const overlayDir = (root: string, overlay: string): string => join(root, 'deploy/k8s/overlays', overlay);
