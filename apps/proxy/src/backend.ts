/** The service's CKKS backend choice; the logic lives in @hlp/ckks (shared with the other app). */
export { openBackend as createBackend, type BackendChoice, type BackendResult } from '@hlp/ckks';
