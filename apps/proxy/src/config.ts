/** What startProxy is given: every setting of the proxy, each with its default where it is read. */
import type { PackingLayout } from '@hlp/model';
import { MAX_PROMPT_TOKENS, ProtocolError, type ServiceInfo } from '@hlp/protocol';
import type { ConnectionLimits, TlsOptions } from '@hlp/service-runtime';
import type { BackendChoice } from './backend.js';
import type { GpuSources } from './gpu-metrics.js';
import type { LogFn } from './log.js';

/** Niceness of the native batch crypto's pool threads by default (see ProxyConfig.workerNice). */
export const DEFAULT_WORKER_NICE = 10;
/**
 * Ciphertexts in flight at most by default. At level 1, n = 8192, 384 of them are ~50 MB a copy,
 * within the encryption's 64 MB upload pool. Past the pool every batch allocates fresh memory,
 * whose page faults and collections raise the CPU each request costs just when the machine is
 * short of it: with 2048, 210 short requests/s on 2 cores tipped into a queue that never drained
 * (P95 ~4.9 s, 5.9–6.0 ms proxy CPU per request), and with 384 it held (P95 0.3–0.7 s, 3.3–3.5 ms).
 * A batch larger than the budget still runs, alone (README, "Measured at load").
 */
export const DEFAULT_MAX_INFLIGHT_CIPHERTEXTS = 384;

export interface ProxyConfig {
  readonly host?: string;
  readonly port?: number;
  /** Base URL of the inference service: http://… (h2c) or https://… (TLS, ALPN h2). */
  readonly upstream: string;
  /** Service-to-service bearer token sent upstream. */
  readonly token?: string;
  /** CA certificate(s) (PEM) to trust for an https:// upstream. */
  readonly upstreamCa?: string | Buffer;
  /** CKKS backend for encode/encrypt/decrypt (default native, falling back to seal). */
  readonly backend?: BackendChoice;
  /** Load keys from this file, or generate them and write it (mode 0600). */
  readonly keyFile?: string;
  /** Seed of the GPT-2-shaped token and position embeddings (default @hlp/model's). */
  readonly embeddingSeed?: number;
  /**
   * Packing layout for workloads that support it (default dense: affine packs tokens back to
   * back, 5⅓ per ciphertext instead of blocked's 4; projection and mlp run blocked regardless).
   */
  readonly layout?: PackingLayout;
  /** Secret-key encryption (seeded ciphertexts: half the upload bytes) or public-key encryption; default: encryptionOf. */
  readonly encryption?: 'symmetric' | 'public';
  /**
   * How a seeded ciphertext's c1 is expanded from its seed: `aes256ctr` (VAES/AES-NI, several
   * times cheaper on both sides) or SEAL's `shake256`. Default: aes256ctr when the service reads
   * it (its /v1/info `seedStreams`), else shake256. Native backend only (node-seal seeds SHAKE256).
   */
  readonly seedStream?: 'shake256' | 'aes256ctr';
  /** `min` (default): ciphertexts at the workload's depth; `max`: at the top level. */
  readonly dataLevel?: 'min' | 'max';
  /** Fused native encryption chunks at once on the libuv pool (default 2; 0: on the event loop). */
  readonly encryptThreads?: number;
  /**
   * Make the dense path's embedding rows on a thread of their own (default true; native backend
   * only): the event loop then only posts token ids (`--no-embed-thread`: in event-loop slices).
   */
  readonly embedThread?: boolean;
  /**
   * Run the upstream client on a thread of its own (`--upstream-thread`; default false): the
   * event loop then neither writes the uploads nor reads the answers, and under a flood of large
   * batches answers its clients sooner (`hlp abuse --classes token-batches`: /healthz over 50 ms
   * in 1 of 2942 probes against 15 of 4290). Off by default: at 100 req/s of short prompts it
   * cost ~15 % more proxy CPU per request, paired (README: "The upstream client on a thread").
   */
  readonly upstreamThread?: boolean;
  /**
   * Niceness of the libuv pool threads running the native backend's batch crypto, of the
   * embedding thread and of the upstream thread (default DEFAULT_WORKER_NICE; 0: as the event
   * loop). The loop answers every
   * client, health checks included; a flood of large batches must not take its core.
   */
  readonly workerNice?: number;
  /** Largest request body (default 4 MiB). */
  readonly maxBodyBytes?: number;
  /** Most tokens per input (default and maximum 1024). */
  readonly maxPromptTokens?: number;
  /** Most tokens per request, all inputs together (default 8192). */
  readonly maxRequestTokens?: number;
  /** Requests admitted at once (reading, batching, in the pipeline); beyond it 429 QUEUE_FULL (default 256). */
  readonly maxInFlight?: number;
  readonly upstreamTimeoutMs?: number;
  /** Upstream connections for uploads, one call each at a time (default 8). */
  readonly upstreamConcurrency?: number;
  /** Batch window in ms (default 50; 0 turns batching off). */
  readonly batchWindowMs?: number;
  /** Requests per batch at most (default 32). */
  readonly maxBatchRequests?: number;
  /** Ciphertexts in flight at most, all batches together: the bound on memory (default DEFAULT_MAX_INFLIGHT_CIPHERTEXTS, 384). */
  readonly maxInFlightCiphertexts?: number;
  /** Tokens per batch at most (default 8192). */
  readonly maxBatchTokens?: number;
  /** Bytes of the encrypted-prompt-block cache (default 0: off; see prompt-cache.ts for the leak). */
  readonly promptCacheBytes?: number;
  /** Client API keys; when non-empty every /v1 route needs one as a bearer token. */
  readonly clientTokens?: readonly string[];
  /** Consecutive upstream failures that open the circuit breaker (default 5). */
  readonly breakerFailures?: number;
  /** How long the breaker stays open before probing the service again, ms (default 5000). */
  readonly breakerCooldownMs?: number;
  /** Serve HTTPS (ALPN h2 + http/1.1 on the one port) with this PEM certificate and key. */
  readonly tls?: TlsOptions;
  /** HTTP/2 max concurrent streams per client connection (default 1000). */
  readonly maxConcurrentStreams?: number;
  /** Keep-alive idle timeout, ms (default 60 000). */
  readonly keepAliveTimeoutMs?: number;
  /** Header, body and first-bytes timeouts and the connection cap (defaults: @hlp/service-runtime's DEFAULT_LIMITS). */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /** Compress JSON responses of at least this many bytes when the client accepts gzip/br (default 1024; 0 = off). */
  readonly compressMinBytes?: number;
  /** How long close() lets in-flight requests finish (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Where GET /metrics text comes from (default this process's registry; a cluster worker asks the primary). */
  readonly metricsSource?: () => Promise<{ text: string; contentType: string }>;
  readonly log?: LogFn;
  readonly defaultMetrics?: boolean;
  /** Where the GPU gauges come from (default the device pool and nvidia-smi); tests stand in. */
  readonly gpuSources?: GpuSources;
}

/**
 * How the proxy encrypts: its setting, else seeded secret-key encryption — half the upload,
 * and, with the seeds expanded natively, less proxy CPU and lower latency than public-key
 * encryption at the same rate (apps/proxy/README.md) — unless batches are encrypted on a GPU,
 * which only public-key encryption is.
 */
export function encryptionOf(config: ProxyConfig, batchDevice: 'cpu' | 'cuda'): 'symmetric' | 'public' {
  return config.encryption ?? (batchDevice === 'cuda' ? 'public' : 'symmetric');
}

/**
 * The seed expansion of the proxy's seeded ciphertexts: its setting, else AES-256-CTR where the
 * service reads it (an older service lists none: SEAL's SHAKE256). A setting the service cannot
 * read fails start-up rather than every request.
 */
export function seedStreamOf(config: ProxyConfig, info: ServiceInfo): 'shake256' | 'aes256ctr' {
  const reads: readonly string[] = info.seedStreams ?? ['shake256', 'blake2xb'];
  const stream = config.seedStream ?? (reads.includes('aes256ctr') ? 'aes256ctr' : 'shake256');
  if (!reads.includes(stream)) {
    throw new ProtocolError('PARAMETER_MISMATCH', `seed stream ${stream}: the inference service reads ${reads.join(' and ')} seeds only`, 'seedStream');
  }
  return stream;
}

/** Most tokens per input the proxy admits: its setting, never past GPT-2's context. */
export function maxPromptTokensOf(config: ProxyConfig): number {
  return Math.min(config.maxPromptTokens ?? MAX_PROMPT_TOKENS, MAX_PROMPT_TOKENS);
}
