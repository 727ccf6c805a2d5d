/**
 * A real Prometheus for the tests (Debian `prometheus`, `/usr/bin/prometheus`): started on
 * 127.0.0.1 with a free port and a temporary data directory, queried through its HTTP API, and
 * stopped (its temporary directory removed) by the caller. Plus `promtool` helpers: check every
 * dashboard expression as a recording rule, and backfill OpenMetrics into TSDB blocks.
 *
 * Config and rules are written as JSON, which YAML parsers read as YAML: no quoting pitfalls
 * with PromQL's quotes and braces.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { PanelQuery } from './queries.js';

/** An executable from the usual Debian location, else from PATH; null when absent. */
export function findExecutable(name: string, preferred: readonly string[] = [`/usr/bin/${name}`]): string | null {
  for (const p of preferred) if (existsSync(p)) return p;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface ScrapeJob {
  readonly job: string;
  /** `host:port` on loopback. */
  readonly targets: readonly string[];
  readonly metricsPath?: string;
  readonly bearerToken?: string;
}

export interface PrometheusOptions {
  readonly binary?: string;
  /** An existing data directory (e.g. backfilled blocks); kept on stop. Default: a fresh temporary one, removed on stop. */
  readonly dataDir?: string;
  readonly scrape?: readonly ScrapeJob[];
  readonly scrapeInterval?: string;
  /** Keeps backfilled history from being deleted at start (default 100y). */
  readonly retention?: string;
  readonly readyTimeoutMs?: number;
}

export interface PromSeries {
  readonly metric: Record<string, string>;
  readonly value?: [number, string];
  readonly values?: [number, string][];
}

export interface PromResult {
  readonly resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  readonly result: PromSeries[];
}

function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolveRun({ code, output: `${stdout}${stderr}` });
    });
  });
}

export class PrometheusServer {
  private exited = false;
  private log = '';

  private constructor(
    readonly url: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly child: ChildProcess,
    private readonly workDir: string,
    private readonly ownsDataDir: boolean,
  ) {
    child.stdout?.on('data', (b: Buffer) => this.append(b));
    child.stderr?.on('data', (b: Buffer) => this.append(b));
    child.on('exit', () => {
      this.exited = true;
    });
  }

  private append(b: Buffer): void {
    this.log = (this.log + b.toString('utf8')).slice(-20_000);
  }

  /** The last lines Prometheus logged (for failure messages). */
  logTail(lines = 20): string {
    return this.log.trim().split('\n').slice(-lines).join('\n');
  }

  static async start(options: PrometheusOptions = {}): Promise<PrometheusServer> {
    const binary = options.binary ?? findExecutable('prometheus');
    if (!binary) throw new Error('prometheus is not installed (Debian package `prometheus`; scripts/setup-system.sh installs it)');
    const workDir = await mkdtemp(join(tmpdir(), 'hlp-prometheus-'));
    const dataDir = options.dataDir ?? join(workDir, 'data');
    const config = {
      global: { scrape_interval: options.scrapeInterval ?? '1s', scrape_timeout: options.scrapeInterval ?? '1s', evaluation_interval: '15s' },
      scrape_configs: (options.scrape ?? []).map((j) => ({
        job_name: j.job,
        metrics_path: j.metricsPath ?? '/metrics',
        static_configs: [{ targets: [...j.targets] }],
        ...(j.bearerToken ? { authorization: { type: 'Bearer', credentials: j.bearerToken } } : {}),
      })),
    };
    const configFile = join(workDir, 'prometheus.yml');
    await writeFile(configFile, JSON.stringify(config, null, 2));
    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const child = spawn(
        binary,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${dataDir}`,
          `--storage.tsdb.retention.time=${options.retention ?? '100y'}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const server = new PrometheusServer(`http://127.0.0.1:${port}`, port, dataDir, child, workDir, options.dataDir === undefined);
      try {
        await server.waitReady(options.readyTimeoutMs ?? 30_000);
        return server;
      } catch (error) {
        lastError = `${error instanceof Error ? error.message : String(error)}\n${server.logTail()}`;
        await server.stop({ keepWorkDir: true });
      }
    }
    await rm(workDir, { recursive: true, force: true });
    throw new Error(`prometheus did not start: ${lastError}`);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error('prometheus exited during start-up');
      try {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async api(path: string, params: Record<string, string>): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json()) as { status: string; data?: unknown; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.errorType ?? ''} ${body.error ?? res.statusText}`);
    return body.data;
  }

  /** Instant query at `time` (seconds; default now). */
  async query(expr: string, time?: number): Promise<PromResult> {
    return (await this.api('/api/v1/query', { query: expr, ...(time === undefined ? {} : { time: String(time) }) })) as PromResult;
  }

  /** Range query, times in seconds, step in seconds. */
  async queryRange(expr: string, start: number, end: number, step: number): Promise<PromResult> {
    return (await this.api('/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) })) as PromResult;
  }

  /** Active scrape targets and their health. */
  async targets(): Promise<{ job: string; instance: string; health: string; lastError: string }[]> {
    const res = await fetch(`${this.url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] } };
    return body.data.activeTargets.map((t) => ({ job: t.labels['job'] ?? '', instance: t.labels['instance'] ?? '', health: t.health, lastError: t.lastError }));
  }

  /** Waits until every target has been scraped successfully at least `scrapes` times (via `up`'s sample count). */
  async waitForTargets(expected: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = await this.query('up == 1');
      if (up.result.length >= expected) return;
      if (Date.now() > deadline) {
        throw new Error(`only ${up.result.length} of ${expected} targets up after ${timeoutMs} ms: ${JSON.stringify(await this.targets())}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(options: { keepWorkDir?: boolean } = {}): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (!options.keepWorkDir) {
      await rm(this.workDir, { recursive: true, force: true });
      if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
    }
  }
}

export function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  return PrometheusServer.start(options);
}

/** A recording-rules file (as JSON, valid YAML) with one rule per expression. */
export function rulesFileFor(queries: readonly Pick<PanelQuery, 'dashboard' | 'panel' | 'refId' | 'expr'>[]): string {
  const groups = new Map<string, { record: string; expr: string; labels: Record<string, string> }[]>();
  for (const q of queries) {
    const group = groups.get(q.dashboard) ?? [];
    const slug = q.dashboard.replace(/[^A-Za-z0-9_]/g, '_');
    group.push({ record: `dashboard_query:${slug}:q${group.length + 1}`, expr: q.expr, labels: { panel: q.panel, ref_id: q.refId } });
    groups.set(q.dashboard, group);
  }
  return JSON.stringify({ groups: [...groups].map(([name, rules]) => ({ name, rules })) }, null, 2);
}

/** `promtool check rules <file>` over every expression; resolves to promtool's output, throws with it on failure. */
export async function promtoolCheckRules(
  queries: readonly Pick<PanelQuery, 'dashboard' | 'panel' | 'refId' | 'expr'>[],
  promtool = findExecutable('promtool'),
): Promise<string> {
  if (!promtool) throw new Error('promtool is not installed (Debian package `prometheus`)');
  const dir = await mkdtemp(join(tmpdir(), 'hlp-promtool-'));
  try {
    const file = join(dir, 'dashboards.rules.yml');
    await writeFile(file, rulesFileFor(queries));
    const r = await run(promtool, ['check', 'rules', file]);
    if (r.code !== 0) throw new Error(`promtool check rules failed (exit ${r.code}):\n${r.output}`);
    return r.output;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `promtool tsdb create-blocks-from openmetrics <file> <dir>`. */
export async function promtoolCreateBlocks(openMetricsFile: string, dataDir: string, promtool = findExecutable('promtool')): Promise<string> {
  if (!promtool) throw new Error('promtool is not installed (Debian package `prometheus`)');
  const r = await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', openMetricsFile, dataDir], 120_000);
  if (r.code !== 0) throw new Error(`promtool tsdb create-blocks-from openmetrics failed (exit ${r.code}):\n${r.output}`);
  return r.output;
}
