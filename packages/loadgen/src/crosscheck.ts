/**
 * Cross-checks the lab's drivers against load generators nobody here wrote: for the same
 * endpoint, connections and duration, the autocannon driver's requests per second must agree
 * with wrk's within 5 %, and the HTTP/2 driver's with h2load's within 10 %.
 *
 * The endpoint should cost the same whoever drives it, so that the comparison measures the tools
 * and not the server: by default a stub server (stub-server.ts) in its own process answers after
 * a delay of known mean (50 ms ± 25 ms, uniform) and next to no CPU, so throughput ≈
 * connections × streams / 50 ms for any correct generator, and a 2-core machine busy with other
 * work disturbs it little.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, startChild } from '@hlp/procs';
import { runLoad, type LoadRun, type Protocol } from './load.js';
import { embeddingsBodies, embeddingsHeaders, scenarioPrompts } from './scenarios.js';
import { findOnPath } from './samplers/gpu.js';
import { parseTarget, type Target } from './target.js';

export const TOLERANCE = { http1: 0.05, h2: 0.1 } as const;

export interface ToolRun {
  readonly tool: 'autocannon' | 'wrk' | 'lab-h2' | 'h2load' | 'lab-drivers-http1' | 'lab-drivers-h2';
  /** 2xx responses per second over the measured duration. */
  readonly rps: number;
  readonly requests: number;
  readonly errors: number;
  readonly durationS: number;
  /** The command line of an external tool. */
  readonly command?: string;
}

export interface Comparison {
  readonly protocol: Protocol;
  readonly driver: ToolRun;
  readonly reference: ToolRun | null;
  /** driver.rps / reference.rps */
  readonly ratio: number | null;
  readonly tolerance: number;
  /** null when the reference tool is missing */
  readonly pass: boolean | null;
  readonly skipped?: string;
  /** Earlier attempts that were out of tolerance (a comparison fails only when its confirming rerun fails too). */
  readonly retried?: readonly { driver: ToolRun; reference: ToolRun; ratio: number | null }[];
}

export interface CrossCheckOptions {
  /** Endpoint to drive; default: a stub server started in a child process. */
  readonly target?: Target;
  readonly connections?: number;
  /** HTTP/2 streams per connection (h2load -m). */
  readonly streams?: number;
  readonly durationS?: number;
  readonly warmupS?: number;
  /** Mean answer delay of the stub server, ms; each answer waits stubDelayMs ± stubDelayMs / 2 (uniform). */
  readonly stubDelayMs?: number;
  readonly protocols?: readonly Protocol[];
  /** Measurements per comparison at most: one, plus confirming reruns while out of tolerance (default 2). */
  readonly attempts?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly signal?: AbortSignal;
  readonly progress?: (line: string) => void;
}

export interface CrossCheckResult {
  readonly target: string;
  readonly stub: { readonly delayMs: number; readonly jitterMs: number; readonly pid: number } | null;
  readonly connections: number;
  readonly streams: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly comparisons: Comparison[];
  readonly pass: boolean;
  /** The multi-process open-loop check (crosscheck-drivers.ts): driver processes and offered rate. */
  readonly drivers?: number;
  readonly rate?: number;
}

export const DEFAULT_CROSSCHECK = { connections: 8, streams: 4, durationS: 5, warmupS: 1, stubDelayMs: 50 } as const;

// -- external tools -----------------------------------------------------------------------------

export async function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const result = await runCommand(cmd, args, { timeoutMs, killAfterMs: 5_000, keepBytes: 4 << 20 }).catch((error: unknown) => {
    throw new Error(`${cmd} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  if (result.code !== 0) throw new Error(`${cmd} failed: exit status ${result.code}\n${result.stderr}`.trim());
  return `${result.stdout}\n${result.stderr}`;
}

function unitSeconds(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'ms' ? v / 1000 : unit === 'us' ? v / 1e6 : unit === 'm' ? v * 60 : v;
}

/**
 * wrk's summary: `N requests in 1.02s, …`, `Non-2xx or 3xx responses: N`,
 * `Socket errors: connect a, read b, write c, timeout d` and `Requests/sec: R` (R is over wrk's
 * exact run time; the `in 1.02s` above it is rounded). The rate keeps the 2xx share.
 */
export function parseWrk(text: string): { requests: number; durationS: number; non2xx: number; socketErrors: number; rps: number } {
  const m = /(\d+) requests in ([\d.]+)(ms|us|s|m),/.exec(text);
  const r = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!m || !r) throw new Error(`cannot read wrk's output:\n${text.slice(0, 2000)}`);
  const requests = Number(m[1]);
  const durationS = unitSeconds(m[2]!, m[3]!);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = se ? Number(se[1]) + Number(se[2]) + Number(se[3]) + Number(se[4]) : 0;
  return { requests, durationS, non2xx, socketErrors, rps: requests > 0 ? (Number(r[1]) * (requests - non2xx)) / requests : 0 };
}

/**
 * h2load's summary: `finished in 6.01s, 7637.00 req/s, …` (the time includes any warm-up, the
 * rate is over the main duration only), `requests: N total, …, N done, …` and `status codes: N 2xx, …`.
 */
export function parseH2load(text: string): { rps: number; ok: number; done: number; failed: number; errored: number } {
  const f = /finished in [\d.]+(?:ms|us|s|m), ([\d.]+) req\/s/.exec(text);
  const r = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(text);
  const s = /status codes: (\d+) 2xx/.exec(text);
  if (!f || !r || !s) throw new Error(`cannot read h2load's output:\n${text.slice(0, 2000)}`);
  const done = Number(r[3]);
  const ok = Number(s[1]);
  // req/s counts every response; keep the 2xx share, like the lab's drivers.
  return { rps: done > 0 ? (Number(f[1]) * ok) / done : 0, ok, done, failed: Number(r[5]), errored: Number(r[6]) };
}

export async function withBodyFile<T>(body: Buffer, use: (dir: string, bodyPath: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'hlp-crosscheck-'));
  try {
    const bodyPath = join(dir, 'body.json');
    await writeFile(bodyPath, body);
    return await use(dir, bodyPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The wrk Lua script that POSTs the file at `bodyPath` with `headers`. */
export function wrkScript(bodyPath: string, headers: Readonly<Record<string, string>>): string {
  const lines = [`local f = assert(io.open(${JSON.stringify(bodyPath)}, "rb"))`, 'wrk.method = "POST"', 'wrk.body = f:read("*a")', 'f:close()'];
  for (const [k, v] of Object.entries(headers)) lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  return `${lines.join('\n')}\n`;
}

export async function runWrk(
  wrk: string,
  target: Target,
  o: Required<Pick<CrossCheckOptions, 'connections' | 'durationS' | 'warmupS'>>,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
): Promise<ToolRun> {
  return withBodyFile(body, async (dir, bodyPath) => {
    const script = join(dir, 'post.lua');
    await writeFile(script, wrkScript(bodyPath, headers));
    const base = ['-t', '1', '-c', String(o.connections), '--timeout', '10s', '-s', script];
    // wrk has no warm-up of its own: a short run first, thrown away.
    if (o.warmupS > 0) await run(wrk, [...base, '-d', `${o.warmupS}s`, target.url], (o.warmupS + 30) * 1000);
    const args = [...base, '-d', `${o.durationS}s`, target.url];
    const out = parseWrk(await run(wrk, args, (o.durationS + 30) * 1000));
    return {
      tool: 'wrk',
      rps: out.rps,
      requests: out.requests,
      errors: out.non2xx + out.socketErrors,
      durationS: out.durationS,
      command: `wrk ${args.join(' ')}`,
    };
  });
}

/** h2load closed loop, or with `rpsPerClient` its rate-limited mode (each client sends at that rate, --rps). */
export async function runH2load(
  h2load: string,
  target: Target,
  o: Required<Pick<CrossCheckOptions, 'connections' | 'streams' | 'durationS' | 'warmupS'>> & { readonly rpsPerClient?: number },
  headers: Readonly<Record<string, string>>,
  body: Buffer,
): Promise<ToolRun> {
  return withBodyFile(body, async (_dir, bodyPath) => {
    const args = ['-c', String(o.connections), '-m', String(o.streams), '-t', '1', '-D', String(o.durationS), '-d', bodyPath];
    if (o.rpsPerClient !== undefined) args.push(`--rps=${o.rpsPerClient}`);
    if (o.warmupS > 0) args.push(`--warm-up-time=${o.warmupS}`);
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    args.push(target.url);
    const out = parseH2load(await run(h2load, args, (o.durationS + o.warmupS + 30) * 1000));
    return { tool: 'h2load', rps: out.rps, requests: out.ok, errors: out.failed + out.errored, durationS: o.durationS, command: `h2load ${args.join(' ')}` };
  });
}

function fromLoad(tool: ToolRun['tool'], r: LoadRun): ToolRun {
  const m = r.measurement;
  return { tool, rps: m.ok / (m.windowMs / 1000), requests: m.ok, errors: m.errors + m.non2xx, durationS: m.windowMs / 1000 };
}

// -- stub server in a child process ------------------------------------------------------------

export interface ChildStub {
  readonly target: Target;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts stub-server-main.js in a fresh Node process (through @hlp/procs' runner) and waits for its URL. */
export async function startChildStub(delayMs: number, jitterMs = 0, timeoutMs = 15_000): Promise<ChildStub> {
  const main = fileURLToPath(new URL('./stub-server-main.js', import.meta.url));
  const child = startChild(
    main,
    ['--delay', String(delayMs), '--jitter', String(jitterMs)],
    { log: { name: 'stub', write: (text) => process.stderr.write(text) } },
    timeoutMs,
  );
  const stop = async (): Promise<void> => {
    await child.stop('SIGTERM', 3000);
  };
  try {
    const listening = await child.waitFor('listening', timeoutMs);
    if (typeof listening['url'] !== 'string') throw new Error(`the stub server announced no URL: ${JSON.stringify(listening)}`);
    return { target: parseTarget(listening['url']), pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// -- the check ----------------------------------------------------------------------------------

export async function crossCheck(options: CrossCheckOptions = {}): Promise<CrossCheckResult> {
  const connections = options.connections ?? DEFAULT_CROSSCHECK.connections;
  const streams = options.streams ?? DEFAULT_CROSSCHECK.streams;
  const durationS = options.durationS ?? DEFAULT_CROSSCHECK.durationS;
  const warmupS = options.warmupS ?? DEFAULT_CROSSCHECK.warmupS;
  const delayMs = options.stubDelayMs ?? DEFAULT_CROSSCHECK.stubDelayMs;
  const protocols = options.protocols ?? ['http1', 'h2'];
  const headers = options.headers ?? embeddingsHeaders();
  const body = options.body ?? embeddingsBodies(scenarioPrompts('short', { count: 1 }))[0]!;
  const say = options.progress ?? (() => undefined);
  const attempts = Math.max(1, options.attempts ?? 2);
  // A uniform spread of ± half the mean keeps the connections out of lock-step, so a window's
  // edges cut through steady traffic rather than through bursts.
  const stub = options.target ? null : await startChildStub(delayMs, delayMs / 2);
  const target = options.target ?? stub!.target;
  const comparisons: Comparison[] = [];
  try {
    const load = (protocol: Protocol, s: number): Promise<LoadRun> =>
      runLoad({
        target,
        protocol,
        mode: { kind: 'closed', connections, ...(protocol === 'h2' ? { streams: s } : {}) },
        headers,
        bodies: [body],
        warmupMs: warmupS * 1000,
        durationMs: durationS * 1000,
        timeoutMs: 10_000,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    for (const protocol of protocols) {
      if (options.signal?.aborted) break;
      const toolName = protocol === 'http1' ? 'wrk' : 'h2load';
      const driverName = protocol === 'http1' ? 'autocannon' : 'lab-h2';
      const tolerance = TOLERANCE[protocol];
      const bin = findOnPath(toolName);
      const retried: { driver: ToolRun; reference: ToolRun; ratio: number | null }[] = [];
      for (let attempt = 1; ; attempt++) {
        say(
          `${protocol === 'http1' ? 'autocannon driver' : 'HTTP/2 driver'}: ${connections} connections${protocol === 'h2' ? ` × ${streams} streams` : ''}, ${durationS} s${attempt > 1 ? ' (confirming rerun)' : ''} …`,
        );
        const driver = fromLoad(driverName, await load(protocol, streams));
        if (!bin) {
          comparisons.push({
            protocol,
            driver,
            reference: null,
            ratio: null,
            tolerance,
            pass: null,
            skipped: `${toolName} is not on PATH (scripts/setup-system.sh installs it)`,
          });
          break;
        }
        if (options.signal?.aborted) break;
        say(`${toolName}: same endpoint and connections, ${durationS} s …`);
        const reference =
          protocol === 'http1'
            ? await runWrk(bin, target, { connections, durationS, warmupS }, headers, body)
            : await runH2load(bin, target, { connections, streams, durationS, warmupS }, headers, body);
        const ratio = reference.rps > 0 ? driver.rps / reference.rps : null;
        const pass = ratio !== null && Math.abs(ratio - 1) <= tolerance;
        if (pass || attempt >= attempts || options.signal?.aborted) {
          comparisons.push({ protocol, driver, reference, ratio, tolerance, pass, ...(retried.length > 0 ? { retried } : {}) });
          break;
        }
        say(`${driverName} / ${toolName} = ${ratio === null ? 'n/a' : ratio.toFixed(3)}, outside ±${tolerance * 100} %: measuring both again`);
        retried.push({ driver, reference, ratio });
      }
    }
  } finally {
    await stub?.stop();
  }
  return {
    target: target.url,
    stub: stub ? { delayMs, jitterMs: delayMs / 2, pid: stub.pid } : null,
    connections,
    streams,
    durationS,
    warmupS,
    comparisons,
    pass: comparisons.every((c) => c.pass !== false),
  };
}
