/** Stable codes of what is wrong with a manifest. */
export type ManifestErrorCode =
  /** Not YAML, or a document that is not a Kubernetes object (no apiVersion/kind/metadata.name). */
  | 'YAML'
  /** apiVersion/kind this package has no schema for. */
  | 'UNKNOWN_KIND'
  /** Rejected by the Kubernetes schema. */
  | 'SCHEMA'
  /** Container args or env the service's own parser refuses. */
  | 'ARGS'
  /** A reference between objects that leads nowhere (selector, port, Secret, metric). */
  | 'REFERENCE';

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly code: ManifestErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
