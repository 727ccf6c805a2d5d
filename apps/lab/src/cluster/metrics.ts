/**
 * Reading the instances' /metrics (Prometheus text format) for the few counters the cluster
 * reports: key uploads by each proxy, key-cache lookups by level on each inference service,
 * HAProxy's retries and redispatches.
 */
import type { ClusterState } from './state.js';
import { hostUrl } from './services.js';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Samples of the wanted metric names (exact names, e.g. hlp_key_uploads_total). */
export function parseSamples(text: string, names: ReadonlySet<string>): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m || !names.has(m[1]!)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const value = Number(m[4]);
    if (Number.isFinite(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

export function sum(samples: readonly Sample[], name: string, where: Readonly<Record<string, string>> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

/** Samples of one endpoint, or null when it does not answer (an instance that is down). */
export async function scrape(url: string, names: ReadonlySet<string>): Promise<Sample[] | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (res.status !== 200) return null;
    return parseSamples(await res.text(), names);
  } catch {
    return null;
  }
}

const HOST_METRICS = new Set(['hlp_key_uploads_total', 'hlp_key_cache_hits_total', 'hlp_key_cache_misses_total']);
const LB_METRICS = new Set([
  'haproxy_backend_retry_warnings_total',
  'haproxy_backend_redispatch_warnings_total',
  'haproxy_backend_http_responses_total',
  'haproxy_backend_connection_errors_total',
  'haproxy_backend_response_errors_total',
]);

export interface HostCounters {
  readonly id: string;
  readonly role: 'proxy' | 'inference';
  /** The process that answered: counters start again at 0 in a restarted one. */
  readonly pid: number | null;
  /** Null when the instance did not answer. */
  readonly keyUploads: number | null;
  readonly keyHits: { l1: number; l2: number; l3: number } | null;
  readonly keyMisses: { l1: number; l2: number; l3: number } | null;
}

export interface LbCounters {
  readonly backend: string;
  readonly retries: number;
  readonly redispatches: number;
  readonly connectionErrors: number;
  readonly responseErrors: number;
}

function levels(samples: readonly Sample[], name: string): { l1: number; l2: number; l3: number } {
  return { l1: sum(samples, name, { level: 'l1' }), l2: sum(samples, name, { level: 'l2' }), l3: sum(samples, name, { level: 'l3' }) };
}

/** Key counters of every proxy and inference instance (counters restart at 0 with a restarted process). */
export async function hostCounters(state: ClusterState): Promise<HostCounters[]> {
  const hosts = state.hosts.filter((h): h is typeof h & { role: 'proxy' | 'inference' } => h.role !== 'redis');
  return Promise.all(
    hosts.map(async (h) => {
      const s = await scrape(`${hostUrl(h)}/metrics`, HOST_METRICS);
      const base = { id: h.id, role: h.role, pid: h.proc?.pid ?? null };
      if (!s) return { ...base, keyUploads: null, keyHits: null, keyMisses: null };
      return h.role === 'proxy'
        ? { ...base, keyUploads: sum(s, 'hlp_key_uploads_total'), keyHits: null, keyMisses: null }
        : { ...base, keyUploads: null, keyHits: levels(s, 'hlp_key_cache_hits_total'), keyMisses: levels(s, 'hlp_key_cache_misses_total') };
    }),
  );
}

/** HAProxy's per-backend counters from its Prometheus exporter. */
export async function lbCounters(state: ClusterState): Promise<LbCounters[]> {
  const s = state.haproxy ? await scrape(`${state.haproxy.statsUrl}/metrics`, LB_METRICS) : null;
  if (!s) return [];
  return ['proxies', 'inference'].map((backend) => ({
    backend,
    retries: sum(s, 'haproxy_backend_retry_warnings_total', { proxy: backend }),
    redispatches: sum(s, 'haproxy_backend_redispatch_warnings_total', { proxy: backend }),
    connectionErrors: sum(s, 'haproxy_backend_connection_errors_total', { proxy: backend }),
    responseErrors: sum(s, 'haproxy_backend_response_errors_total', { proxy: backend }),
  }));
}

/**
 * Key uploads between two snapshots, summed over the proxies: a proxy restarted in between
 * counts all of its uploads since (its counter began again at 0). Null if one did not answer.
 */
export function uploadsBetween(before: readonly HostCounters[], after: readonly HostCounters[]): number | null {
  let total = 0;
  for (const a of after.filter((h) => h.role === 'proxy')) {
    const b = before.find((h) => h.id === a.id);
    if (a.keyUploads === null) return null;
    total += b && b.pid === a.pid && b.keyUploads !== null ? a.keyUploads - b.keyUploads : a.keyUploads;
  }
  return total;
}
