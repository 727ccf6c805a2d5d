/**
 * `hlp load <scenario>`: drive `POST /v1/embeddings` with prompts of the scenario's exact GPT-2
 * token count — open loop (`--rate`, fixed schedule, coordinated-omission-corrected latencies)
 * or closed loop (`--connections`), HTTP/1.1 or HTTP/2 (`--http2`, h2c) — while sampling the
 * services' CPU, RSS, event-loop delay and GPU; print a live line per second and a summary, and
 * write the run document (suite `load`). Without --target it starts the embedded services and
 * stops them at the end (also on Ctrl-C). `hlp load --verify` cross-checks the drivers against
 * wrk and h2load. Only loopback targets are accepted. (commands/load.ts declares its options.)
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  DEFAULTS,
  DEFAULT_MODEL,
  DEFAULT_PROMPTS,
  LOADGEN_PROCESS,
  LoadOptionsError,
  SCENARIOS,
  SCENARIO_NAMES,
  TargetError,
  buildCrossCheckResult,
  buildLoadResult,
  crossCheck,
  crossCheckDrivers,
  embeddingsBodies,
  embeddingsHeaders,
  loadgenProcess,
  parseTarget,
  runLoad,
  scenarioPrompts,
  startSamplers,
  type LoadMode,
  type LoadRun,
  type ProcessToWatch,
  type RunningSamplers,
  type ScenarioName,
  type Target,
} from '@hlp/loadgen';
import { defaultRunsDir, parseRun, stringifyRun, writeRun, writeRunFile, type RunResult } from '@hlp/results';
import { LabError } from '../errors.js';
import { LoadCliOptions, scenarioArg } from './options.js';
import { DEFAULT_LADDER_SLO, LADDER_WARMUP_MS, ladderResult, ladderStep, renderLadder, type LadderSlo, type LadderStep } from './ladder.js';
import { progressPrinter, renderCrossCheck, renderLoadSummary } from './report.js';
import { checkRssGrowthOptions, judgeRssGrowth, rssGrowths } from './soak.js';
import { startEmbedded, type EmbeddedServices } from '../services/embedded.js';
import type { Io } from '../io.js';

/**
 * Ctrl-C / SIGTERM: abort the run; the caller then stops the services (bounded: the services get
 * a grace period, then SIGKILL), so a second signal only says that it is under way.
 */
function interruptible(io: Io): { signal: AbortSignal; reason: () => string | null; dispose: () => void } {
  const controller = new AbortController();
  let reason: string | null = null;
  const on = (sig: NodeJS.Signals) => (): void => {
    if (reason !== null) {
      io.stderr.write(`${sig}: still stopping …\n`);
      return;
    }
    reason = sig;
    io.stderr.write(`\n${sig}: stopping the load …\n`);
    controller.abort();
  };
  const int = on('SIGINT');
  const term = on('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  return {
    signal: controller.signal,
    reason: () => reason,
    dispose: () => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
    },
  };
}

async function ensureWritable(out: string | undefined): Promise<void> {
  const dir = out ? dirname(resolve(out)) : defaultRunsDir();
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new LabError('INFRA', `cannot create ${dir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

async function publish(result: RunResult, report: string, opts: LoadCliOptions, io: Io): Promise<void> {
  const valid = parseRun(result, 'the load run produced an invalid document');
  (opts.json ? io.stderr : io.stdout).write(`\n${report}\n\n`);
  const path = opts.out ? await writeRunFile(valid, resolve(opts.out)) : await writeRun(valid);
  io.stderr.write(`wrote ${path}\n`);
  if (opts.json) io.stdout.write(stringifyRun(valid));
}

function usage(message: string): LabError {
  return new LabError('USAGE', message);
}

/** The loop the options ask for; usage errors for contradictions. */
export function loadMode(opts: LoadCliOptions): LoadMode {
  if (opts.streams !== undefined && !opts.http2) throw usage('--streams applies to HTTP/2 only (add --http2)');
  if ((opts.drivers ?? 1) > 1 && opts.rate === undefined) throw usage('--drivers splits an open-loop schedule: give --rate (or --rates)');
  if (opts.rate !== undefined)
    return {
      kind: 'open',
      rate: opts.rate,
      ...(opts.connections ? { connections: opts.connections } : {}),
      ...(opts.streams ? { streams: opts.streams } : {}),
      ...(opts.ramp ? { warmupRamp: true } : {}),
    };
  if (opts.ramp !== undefined) throw usage('--ramp and --no-ramp shape an open loop: give --rate (or --rates)');
  if (opts.connections !== undefined) return { kind: 'closed', connections: opts.connections, ...(opts.streams ? { streams: opts.streams } : {}) };
  throw usage('give --rate <req/s> (open loop) or --connections <n> (closed loop)');
}

/** --target as a loopback Target (a bad one is a usage error), or undefined for the embedded services. */
function targetOption(url: string | undefined): Target | undefined {
  if (url === undefined) return undefined;
  try {
    return parseTarget(url);
  } catch (e) {
    if (e instanceof TargetError) throw usage(e.message);
    throw e;
  }
}

interface ScenarioSetup {
  readonly scenario: ScenarioName;
  readonly promptCount: number;
  readonly seed: number | undefined;
  readonly model: string;
  readonly bodies: ReturnType<typeof embeddingsBodies>;
  readonly headers: ReturnType<typeof embeddingsHeaders>;
  readonly durationMs: number;
  readonly warmupMs: number;
}

interface Services {
  readonly target: Target;
  readonly processes: ProcessToWatch[];
  readonly metricsApps: { name: string; metricsUrl: string }[];
  readonly embedded: EmbeddedServices | undefined;
}

/** One measured run against running services: load, samplers, the run document (not yet written). */
async function measure(
  setup: ScenarioSetup,
  mode: LoadMode,
  services: Services,
  opts: LoadCliOptions,
  io: Io,
  signal: AbortSignal,
): Promise<{ run: LoadRun; result: RunResult } | null> {
  const { target } = services;
  const startedAt = new Date();
  let samplers: RunningSamplers | undefined = startSamplers({ processes: [...services.processes, loadgenProcess()], metrics: services.metricsApps });
  const progress = progressPrinter(io);
  io.stderr.write(
    `load ${setup.scenario} (${SCENARIOS[setup.scenario].tokens} tokens, ${setup.promptCount} prompts) → ${target.url}: ` +
      `${mode.kind === 'open' ? `${mode.rate} req/s open loop` : `${mode.connections} connections closed loop`}, ` +
      `${opts.http2 ? 'HTTP/2' : 'HTTP/1.1'}, ${setup.warmupMs / 1000} s warm-up${mode.kind === 'open' && mode.warmupRamp ? ' (ramped)' : ''} + ${setup.durationMs / 1000} s` +
      `${(opts.drivers ?? 1) > 1 ? `, ${opts.drivers} driver processes` : ''}\n`,
  );
  try {
    let run: LoadRun;
    try {
      run = await runLoad({
        target,
        protocol: opts.http2 ? 'h2' : 'http1',
        mode,
        headers: setup.headers,
        bodies: setup.bodies,
        warmupMs: setup.warmupMs,
        durationMs: setup.durationMs,
        ...(opts.timeout ? { timeoutMs: opts.timeout } : {}),
        ...(opts.drivers ? { drivers: opts.drivers } : {}),
        onDriverProcesses: (pids) => pids.forEach((pid) => samplers?.watch(LOADGEN_PROCESS, pid)),
        signal,
        onTick: progress.tick,
      });
    } catch (e) {
      if (e instanceof LoadOptionsError) throw usage(e.message);
      throw new LabError('INFRA', `load against ${target.url} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    } finally {
      progress.done();
    }
    const sampled = await samplers.stop();
    samplers = undefined;
    if (signal.aborted) return null;
    const result = await buildLoadResult({
      run,
      samplers: sampled,
      scenario: setup.scenario,
      startedAt,
      finishedAt: new Date(),
      config: {
        scenario: setup.scenario,
        tokens: SCENARIOS[setup.scenario].tokens,
        prompts: setup.promptCount,
        seed: setup.seed ?? null,
        model: setup.model,
        target: target.url,
        embedded: services.embedded !== undefined,
      },
    });
    const m = run.measurement;
    if (m.ok === 0)
      io.stderr.write(
        `warning: no request succeeded (${m.errors} errors ${JSON.stringify(m.errorKinds)}, ${m.non2xx} non-2xx ${JSON.stringify(m.statusCodes)})\n`,
      );
    return { run, result };
  } finally {
    await samplers?.stop();
  }
}

/** --target, or the embedded services started here (the caller stops them). */
async function startServices(opts: LoadCliOptions, io: Io, stop: ReturnType<typeof interruptible>): Promise<Services> {
  const target = targetOption(opts.target);
  if (target) return { target, processes: opts.pid ?? [], metricsApps: [{ name: 'target', metricsUrl: `${target.origin}/metrics` }], embedded: undefined };
  io.stderr.write('starting the embedded inference service and proxy (hlp serve) …\n');
  const embedded = await startEmbedded(io);
  const services: Services = {
    target: parseTarget(embedded.proxyUrl),
    processes: embedded.processes,
    metricsApps: [
      { name: 'proxy', metricsUrl: `${embedded.proxyUrl}/metrics` },
      { name: 'inference', metricsUrl: `${embedded.inferenceUrl}/metrics` },
    ],
    embedded,
  };
  if (stop.signal.aborted) {
    await embedded.stop();
    throw new LabError('INFRA', `interrupted (${stop.reason()}) while starting the services; they are stopped`);
  }
  io.stderr.write(`proxy ${embedded.proxyUrl}  inference ${embedded.inferenceUrl}\n`);
  return services;
}

function scenarioSetup(scenario: ScenarioName, opts: LoadCliOptions): ScenarioSetup {
  const promptCount = opts.prompts ?? DEFAULT_PROMPTS;
  const seed = opts.seed;
  const prompts = scenarioPrompts(scenario, { count: promptCount, ...(seed !== undefined ? { seed } : {}) });
  const requestOptions = { model: opts.model ?? DEFAULT_MODEL, ...(opts.token ? { token: opts.token } : {}) };
  return {
    scenario,
    promptCount,
    seed,
    model: requestOptions.model,
    bodies: embeddingsBodies(prompts, requestOptions),
    headers: embeddingsHeaders(requestOptions),
    durationMs: opts.duration ?? DEFAULTS.durationMs,
    warmupMs: opts.warmup ?? DEFAULTS.warmupMs,
  };
}

/**
 * Warm-up of the first measurement against services this command started (no --warmup given):
 * started cold, the proxy and the inference service spend their first few hundred requests at
 * two to three times their later CPU per request (compilation, pools and buffers still growing;
 * measured: 12.5 and 7.8 ms per 2xx in the first second at 150 req/s, 3.6 and 2.3 from the
 * third), and with the default 5 s warm-up that backlog landed in the measured window: a P95 of
 * 450–790 ms at 150 req/s against 90 ms once warm. The first measurement is to judge the rate it
 * offers, not the start-up.
 */
export const COLD_START_WARMUP_MS = 15_000;

/** The warm-up of a run's first measurement: COLD_START_WARMUP_MS against services started cold by the command, unless --warmup says. */
export function firstWarmupMs(warmupMs: number, services: { readonly startedCold: boolean; readonly warmupGiven: boolean }): number {
  return services.startedCold && !services.warmupGiven ? Math.max(warmupMs, COLD_START_WARMUP_MS) : warmupMs;
}

function firstSetup(setup: ScenarioSetup, services: Services, opts: LoadCliOptions): ScenarioSetup {
  const warmupMs = firstWarmupMs(setup.warmupMs, { startedCold: services.embedded !== undefined, warmupGiven: opts.warmup !== undefined });
  return warmupMs === setup.warmupMs ? setup : { ...setup, warmupMs };
}

async function runScenario(scenario: ScenarioName, opts: LoadCliOptions, io: Io): Promise<void> {
  const rates = ladderRates(opts);
  const mode = rates ? undefined : loadMode(opts);
  if (opts.pid && !opts.target) throw usage('--pid names processes of a --target; the embedded services are sampled anyway');
  targetOption(opts.target);
  await ensureWritable(opts.out);
  const setup = scenarioSetup(scenario, opts);
  checkRssGrowthOptions({ maxRssGrowth: opts.maxRssGrowth, rates, durationMs: setup.durationMs });
  const stop = interruptible(io);
  let services: Services | undefined;
  try {
    services = await startServices(opts, io, stop);
    if (rates) {
      await runLadder(setup, rates, services, opts, io, stop);
      return;
    }
    const measured = await measure(firstSetup(setup, services, opts), mode!, services, opts, io, stop.signal);
    if (!measured)
      throw new LabError(
        'INFRA',
        `interrupted (${stop.reason()}): the load was stopped${services.embedded ? ' and so are the services' : ''}; no result written`,
      );
    await publish(measured.result, renderLoadSummary(measured.result, measured.run), opts, io);
    if (opts.maxRssGrowth !== undefined) judgeRssGrowth(rssGrowths(measured.result), opts.maxRssGrowth);
  } finally {
    if (services?.embedded) {
      io.stderr.write('stopping the embedded services …\n');
      await services.embedded.stop();
    }
    stop.dispose();
  }
}

/** The --rates ladder's rates, or undefined for a single run; usage errors for contradictions. */
function ladderRates(opts: LoadCliOptions): number[] | undefined {
  if (opts.rates === undefined) {
    if (opts.sloP95 !== undefined || opts.sloSuccess !== undefined) throw usage('--slo-p95 and --slo-success judge the steps of --rates');
    return undefined;
  }
  if (opts.rate !== undefined) throw usage('give --rate (one run) or --rates (a ladder), not both');
  if (opts.out !== undefined) throw usage('--out names one run document; a ladder writes one per step into the runs directory ($HLP_RUNS_DIR)');
  if (opts.streams !== undefined && !opts.http2) throw usage('--streams applies to HTTP/2 only (add --http2)');
  return opts.rates;
}

async function runLadder(
  setup: ScenarioSetup,
  rates: readonly number[],
  services: Services,
  opts: LoadCliOptions,
  io: Io,
  stop: ReturnType<typeof interruptible>,
): Promise<void> {
  const slo: LadderSlo = { p95Ms: opts.sloP95 ?? DEFAULT_LADDER_SLO.p95Ms, success: opts.sloSuccess ?? DEFAULT_LADDER_SLO.success };
  const stepSetup = opts.warmup === undefined ? { ...setup, warmupMs: LADDER_WARMUP_MS } : setup;
  const steps: LadderStep[] = [];
  for (const [i, rate] of rates.entries()) {
    io.stderr.write(`\nladder step ${i + 1}/${rates.length}: ${rate} req/s\n`);
    const mode: LoadMode = {
      kind: 'open',
      rate,
      ...(opts.connections ? { connections: opts.connections } : {}),
      ...(opts.streams ? { streams: opts.streams } : {}),
      // Every step starts from a rate the services ran before, or cold: ramped by default, so
      // that a step is judged on the rate it offers, not on the backlog of its first second.
      warmupRamp: opts.ramp ?? true,
    };
    const measured = await measure(i === 0 ? firstSetup(stepSetup, services, opts) : stepSetup, mode, services, opts, io, stop.signal);
    if (!measured) throw new LabError('INFRA', `interrupted (${stop.reason()}) at ${rate} req/s; ${steps.length} step(s) written`);
    const valid = parseRun(measured.result, 'the load run produced an invalid document');
    const path = await writeRun(valid);
    const step = ladderStep(rate, path, measured.run, valid, slo);
    steps.push(step);
    io.stderr.write(`${renderLoadSummary(valid, measured.run)}\nwrote ${path}\n${step.met ? 'SLO met' : `SLO missed: ${step.misses.join(', ')}`}\n`);
    if (!step.met) break;
  }
  const ladder = ladderResult(slo, steps, rates);
  (opts.json ? io.stderr : io.stdout).write(`\n${renderLadder(ladder)}\n`);
  if (opts.json) io.stdout.write(`${JSON.stringify(ladder, null, 2)}\n`);
}

async function runVerify(scenario: ScenarioName | undefined, opts: LoadCliOptions, io: Io): Promise<void> {
  const multi = (opts.drivers ?? 1) > 1;
  if (opts.rate !== undefined && !multi)
    throw usage('--verify compares closed loops: use --connections, not --rate (or add --drivers N to check the multi-process open loop at --rate)');
  if (multi && (opts.connections !== undefined || opts.streams !== undefined))
    throw usage('--verify --drivers sets the connections from --rate (wrk: rate × mean delay; h2load: 8 clients): drop --connections/--streams');
  if (multi && opts.target !== undefined) throw usage('--verify --drivers runs on its own stub endpoint: drop --target');
  if (opts.http2) throw usage('--verify runs both HTTP/1.1 and HTTP/2: drop --http2 (--streams sets the HTTP/2 streams per connection)');
  if (opts.pid) throw usage('--pid does not apply to --verify');
  if (opts.maxRssGrowth !== undefined) throw usage('--max-rss-growth judges a scenario run (a soak), not --verify');
  const target = targetOption(opts.target);
  await ensureWritable(opts.out);
  const stop = interruptible(io);
  try {
    const requestOptions = { model: opts.model ?? DEFAULT_MODEL, ...(opts.token ? { token: opts.token } : {}) };
    const body = embeddingsBodies(
      scenarioPrompts(scenario ?? 'short', { count: 1, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) }),
      requestOptions,
    )[0]!;
    const startedAt = new Date();
    const progress = (line: string): void => void io.stderr.write(`${line}\n`);
    const check = multi
      ? await crossCheckDrivers({
          drivers: opts.drivers!,
          ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
          ...(opts.duration ? { durationS: Math.round(opts.duration / 1000) } : {}),
          ...(opts.warmup !== undefined ? { warmupS: opts.warmup / 1000 } : {}),
          headers: embeddingsHeaders(requestOptions),
          body,
          signal: stop.signal,
          progress,
        })
      : await crossCheck({
          ...(target ? { target } : {}),
          ...(opts.connections ? { connections: opts.connections } : {}),
          ...(opts.streams ? { streams: opts.streams } : {}),
          ...(opts.duration ? { durationS: opts.duration / 1000 } : {}),
          ...(opts.warmup !== undefined ? { warmupS: opts.warmup / 1000 } : {}),
          headers: embeddingsHeaders(requestOptions),
          body,
          signal: stop.signal,
          progress,
        });
    if (stop.signal.aborted) throw new LabError('INFRA', `interrupted (${stop.reason()}): no result written`);
    const result = await buildCrossCheckResult(check, startedAt, new Date());
    await publish(result, renderCrossCheck(check), opts, io);
    const missing = check.comparisons.filter((c) => c.pass === null);
    if (missing.length > 0) throw new LabError('INFRA', `cannot cross-check: ${missing.map((c) => c.skipped).join('; ')}`);
    if (!check.pass) {
      const bad = check.comparisons
        .filter((c) => c.pass === false)
        .map((c) => `${c.driver.tool}/${c.reference?.tool} = ${c.ratio?.toFixed(3)} (±${c.tolerance * 100} %)`);
      throw new LabError('GATE', `cross-check failed (also on the confirming rerun): ${bad.join(', ')}`);
    }
  } finally {
    stop.dispose();
  }
}

/** `hlp load`: validate, then run a scenario or the cross-check. */
export async function loadCommand(scenarioText: string | undefined, rawOptions: unknown, io: Io): Promise<void> {
  const parsed = LoadCliOptions.safeParse(rawOptions);
  if (!parsed.success) throw usage(`invalid options: ${parsed.error.message}`);
  const opts = parsed.data;
  const scenario = scenarioArg(scenarioText);
  if (opts.verify) return runVerify(scenario, opts, io);
  if (!scenario) throw usage(`name a scenario (${SCENARIO_NAMES.join(', ')}) or give --verify`);
  return runScenario(scenario, opts, io);
}
