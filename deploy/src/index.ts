export { ManifestError, type ManifestErrorCode } from './errors.js';
export { K8S_DIR, loadManifests, parseManifests, type K8sObject, type Manifest } from './load.js';
export { KINDS, validateManifest } from './schema.js';
export { SERVICES, containerEnv, type ParsedService, type ServiceSpec } from './services.js';
export { checkManifests } from './checks.js';
