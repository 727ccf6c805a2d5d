/** The manifests of deploy/k8s as parsed objects, each with where it came from. */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { ManifestError } from './errors.js';

/** The folder of the committed manifests. */
export const K8S_DIR = fileURLToPath(new URL('../../k8s/', import.meta.url));

/** Files that are not Kubernetes API objects (kustomize reads them, the API server never does). */
const NOT_OBJECTS = new Set(['kustomization.yaml']);

const ObjectHead = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
});
export type K8sObject = z.infer<typeof ObjectHead>;

export interface Manifest {
  /** file#document index, for messages */
  readonly where: string;
  readonly object: K8sObject;
}

/** Every YAML document of `text` as an object (empty documents skipped). */
export function parseManifests(text: string, file: string): Manifest[] {
  const out: Manifest[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${file}#${i}`;
    if ('errors' in doc && doc.errors.length > 0) throw new ManifestError('YAML', `${where}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const head = ObjectHead.safeParse(value);
    if (!head.success)
      throw new ManifestError('YAML', `${where}: not a Kubernetes object: ${head.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    out.push({ where, object: head.data });
  });
  return out;
}

/** Every object of every *.yaml in `dir` (default: deploy/k8s), in file order. */
export async function loadManifests(dir: string = K8S_DIR): Promise<Manifest[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') && !NOT_OBJECTS.has(f)).sort();
  const all: Manifest[] = [];
  for (const f of files) all.push(...parseManifests(await readFile(join(dir, f), 'utf8'), f));
  return all;
}
