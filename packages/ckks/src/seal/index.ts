export { SealBackend, createSealBackend } from './backend.js';
export { BUNDLED_SEAL_VERSION, NODE_SEAL_VERSION, loadSealLibrary } from './library.js';
