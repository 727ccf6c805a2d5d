/**
 * HAProxy's configuration: one frontend for clients on loopback in front of the proxies, one on
 * the bridge's gateway address in front of the inference services (the proxies' upstream), and a
 * stats listener (HAProxy's own Prometheus exporter). Both service frontends take HTTP/1.1 and
 * h2c with prior knowledge on one port (HAProxy tells them apart by the HTTP/2 preface).
 */
import type { HostPlan } from './config.js';

export interface HaproxyPlan {
  readonly clientPort: number;
  readonly statsPort: number;
  readonly gateway: string;
  readonly inferenceLbPort: number;
  readonly socket: string;
  readonly hosts: readonly HostPlan[];
}

function servers(hosts: readonly HostPlan[]): string[] {
  return hosts.map((h) => `  server ${h.id} ${h.address}:${h.port} check`);
}

export function haproxyConfig(plan: HaproxyPlan): string {
  const proxies = plan.hosts.filter((h) => h.role === 'proxy');
  const inference = plan.hosts.filter((h) => h.role === 'inference');
  return [
    '# Written by hlp cluster up; rewritten on every start.',
    'global',
    '  maxconn 4000',
    // To HAProxy's stdout, which is its log file: only abnormal requests (option dontlog-normal).
    '  log stdout format raw local0 info',
    `  stats socket ${plan.socket} mode 600 level admin`,
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  option dontlog-normal',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout http-request 10s',
    '  timeout http-keep-alive 60s',
    '  timeout queue 30s',
    // A request whose server died before answering goes to another one: embeddings are pure.
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout',
    // HAProxy waits min(timeout connect, 1 s) before retrying a refused connection: keep it short on a local bridge.
    '  timeout connect 500ms',
    // A refused connection makes the checks run at fastinter; only failed checks mark a server down.
    // Marking down at the first layer-4 error took the last proxy out under overload (503 for all).
    // A proxy whose event loop lags under load still answers /readyz within 3 s.
    '  timeout check 3s',
    '  default-server inter 500ms fastinter 250ms downinter 500ms fall 3 rise 2 observe layer4 error-limit 1 on-error fastinter',
    '',
    'frontend proxies',
    `  bind 127.0.0.1:${plan.clientPort}`,
    '  default_backend proxies',
    '',
    'backend proxies',
    '  balance leastconn',
    // A proxy answering 502/503/504 lost its upstream call (an inference instance died under it,
    // its breaker is open): the small client request is buffered, so another proxy can take it.
    '  retry-on conn-failure empty-response response-timeout 502 503 504',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    ...servers(proxies),
    '',
    'frontend inference',
    `  bind ${plan.gateway}:${plan.inferenceLbPort}`,
    '  default_backend inference',
    '',
    'backend inference',
    '  balance leastconn',
    '  option httpchk GET /healthz',
    '  http-check expect status 200',
    ...servers(inference),
    '',
    'frontend stats',
    `  bind 127.0.0.1:${plan.statsPort}`,
    '  http-request use-service prometheus-exporter if { path /metrics }',
    '  stats enable',
    '  stats uri /stats',
    '  stats refresh 5s',
    '',
  ].join('\n');
}

/** Prometheus: every instance, HAProxy and itself, found through a file-SD targets file. */
export function prometheusConfig(targetsFile: string): string {
  return [
    '# Written by hlp cluster up.',
    'global:',
    '  scrape_interval: 5s',
    '  evaluation_interval: 5s',
    'scrape_configs:',
    '  - job_name: hlp-cluster',
    '    file_sd_configs:',
    `      - files: ['${targetsFile}']`,
    '        refresh_interval: 5s',
    '',
  ].join('\n');
}

export interface ScrapeTarget {
  readonly targets: string[];
  readonly labels: Record<string, string>;
}

/** The file-SD document: one group per instance so each keeps its role and host labels. */
export function scrapeTargets(cluster: string, hosts: readonly HostPlan[], statsAddress: string, prometheusAddress: string): ScrapeTarget[] {
  return [
    ...hosts
      .filter((h) => h.role !== 'redis')
      .map((h) => ({ targets: [`${h.address}:${h.port}`], labels: { cluster, role: h.role, host: h.id, netns: h.netns } })),
    { targets: [statsAddress], labels: { cluster, role: 'haproxy', host: 'lb' } },
    { targets: [prometheusAddress], labels: { cluster, role: 'prometheus', host: 'lb' } },
  ];
}

/** Servers of each backend with their check status, from the stats page's CSV (`/stats;csv`). */
export function parseStatsCsv(csv: string): { backend: string; server: string; status: string }[] {
  const [header, ...rows] = csv.split('\n');
  const cols = (header ?? '').replace(/^# /, '').split(',');
  const [px, sv, st] = ['pxname', 'svname', 'status'].map((c) => cols.indexOf(c));
  if (px === undefined || sv === undefined || st === undefined || px < 0 || sv < 0 || st < 0) return [];
  return rows
    .map((r) => r.split(','))
    .filter((f) => f.length > st && f[sv] !== 'FRONTEND' && f[sv] !== 'BACKEND')
    .map((f) => ({ backend: f[px]!, server: f[sv]!, status: f[st]! }));
}
