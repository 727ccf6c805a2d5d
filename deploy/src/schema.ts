/**
 * Validation against the Kubernetes OpenAPI schemas as kubernetes-models ships them (ajv
 * validators generated from the official spec; the 4.x line carries Kubernetes 1.33's and runs
 * on Node 20). Like the API server without strict field validation, the schemas do not reject
 * unknown fields: checks.ts covers the fields that matter to the services.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ManifestError } from './errors.js';
import type { Manifest } from './load.js';

/** What a model class offers: construct from plain data, validate (throws on a schema error). */
type ModelClass = new (data: never) => { validate(): void };

/** The kinds the deployment may use, by `apiVersion/kind`. */
export const KINDS: ReadonlyMap<string, ModelClass> = new Map<string, ModelClass>([
  ['apps/v1/Deployment', Deployment],
  ['autoscaling/v2/HorizontalPodAutoscaler', HorizontalPodAutoscaler],
  ['networking.k8s.io/v1/NetworkPolicy', NetworkPolicy],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['v1/ConfigMap', ConfigMap],
  ['v1/Namespace', Namespace],
  ['v1/Secret', Secret],
  ['v1/Service', Service],
]);

/** Throws ManifestError (UNKNOWN_KIND, SCHEMA) unless the object is valid for its kind. */
export function validateManifest(m: Manifest): void {
  const { apiVersion, kind } = m.object;
  const Model = KINDS.get(`${apiVersion}/${kind}`);
  if (!Model) throw new ManifestError('UNKNOWN_KIND', `${m.where}: no schema for ${apiVersion} ${kind} (known: ${[...KINDS.keys()].join(', ')})`);
  try {
    new Model(structuredClone(m.object) as never).validate();
  } catch (error) {
    throw new ManifestError('SCHEMA', `${m.where} (${kind} ${m.object.metadata.name}): ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
