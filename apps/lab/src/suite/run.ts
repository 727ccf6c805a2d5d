/**
 * `hlp suite`: run the steps of a suite configuration (kernel and CKKS micro-benchmarks, load
 * scenarios against the embedded services), then evaluate the SLO targets, gate each run against
 * its stored baseline, write the HTML report and the dashboards, and summarise. Interruption
 * (an aborted `signal`) stops the current step, stops the services, and keeps what was measured.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ADDON_PATH } from '@hlp/kernels';
import {
  DEFAULT_MODEL,
  DEFAULT_PROMPTS,
  buildLoadResult,
  embeddingsBodies,
  embeddingsHeaders,
  loadgenProcess,
  parseTarget,
  runLoad,
  scenarioPrompts,
  startSamplers,
  type RunningSamplers,
} from '@hlp/loadgen';
import { compactUtc, defaultRunsDir, fingerprint, isMetric, parseRun, writeRun, type Metric, type RunMetricName, type RunResult } from '@hlp/results';
import {
  GateError,
  appendHistory,
  defaultBaselinesDir,
  defaultHistoryPath,
  evaluateTargets,
  findBaseline,
  historyEntry,
  poolMetrics,
  poolRuns,
  readBaseline,
  readConfig,
  resolveConfig,
  runGate,
  type GateConfig,
  type Remeasure,
  type TargetResult,
} from '@hlp/gate';
import { readRun } from '@hlp/results';
import { runBenchChild } from '../bench/child.js';
import { runCalibration } from '../bench/calibration.js';
import { CONFIG_FILE } from '../gate/options.js';
import { REMEASURE_RUNS, kernelsRemeasureArgs } from '../gate/remeasure.js';
import type { Io } from '../io.js';
import { buildReport } from '../report/build.js';
import { LabError } from '../errors.js';
import { settingsKey, startEmbedded, type EmbeddedServices, type EmbeddedSettings } from '../services/embedded.js';
import { benchArgs, estimateSeconds, type SuiteConfig, type SuiteStep } from './config.js';
export { benchArgs } from './config.js';
import { StepBar, clock } from './progress.js';
import { capacityModel } from './capacity.js';

export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

export interface SuiteOptions {
  readonly runsDir?: string;
  readonly baselinesDir?: string;
  /** Append each gated run's verdicts to this file (default baselines/history.jsonl); false: do not. */
  readonly history?: string | false;
  readonly signal?: AbortSignal;
  /** Seconds between progress lines when stderr is not a TTY. */
  readonly progressEveryMs?: number;
}

export interface GateLine {
  readonly suite: string;
  /** The step's title, for suites with several runs of one suite. */
  readonly step?: string;
  readonly status: 'no-baseline' | 'pass' | 'fail' | 'error';
  readonly message: string;
  readonly regressions: readonly string[];
  readonly improvements: readonly string[];
}

export interface SuiteOutcome {
  readonly name: string;
  readonly interrupted: boolean;
  readonly folder: string;
  readonly runs: readonly { path: string; run: RunResult }[];
  readonly steps: readonly { title: string; status: 'done' | 'failed' | 'skipped' | 'interrupted'; detail: string; seconds: number }[];
  readonly targets: readonly TargetResult[];
  readonly gate: readonly GateLine[];
  readonly written: readonly string[];
  readonly notes: readonly string[];
  readonly seconds: number;
}

function stepTitle(step: SuiteStep): string {
  switch (step.kind) {
    case 'kernels':
      return `kernels n=${step.ns.join(',')}`;
    case 'ckks':
      return `ckks ${step.backends.join('+')} ${step.ns.join(',')}`;
    case 'load':
      return `load ${step.label ?? `${step.scenario} ${step.rate}/s`}`;
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Interrupted('interrupted');
}

/**
 * Micro-benchmarks run in a fresh `hlp bench` process (as the gate re-measures them), so that
 * this process stays responsive: its event loop is free to take Ctrl-C, redraw the bar, and stop
 * the child (SIGTERM, then SIGKILL) while a benchmark case spins.
 */
async function benchInChildProcess(
  step: Extract<SuiteStep, { kind: 'kernels' | 'ckks' }>,
  folder: string,
  bar: StepBar,
  signal: AbortSignal | undefined,
  args: readonly string[] = benchArgs(step),
): Promise<RunResult> {
  checkAborted(signal);
  const out = join(folder, `.${step.kind}-${process.pid}-${Date.now()}.json`);
  const tail: string[] = [];
  const onStderrLine = (line: string): void => {
    tail.push(line);
    if (tail.length > 15) tail.shift();
    const m = /^\[\s*(\d+)\/(\d+)\]\s+(\S+)/.exec(line);
    if (m) bar.update(Number(m[1]) / Number(m[2]), `${m[1]}/${m[2]} ${m[3]}`);
  };
  try {
    const { code } = await runBenchChild(args, out, { onStderrLine, ...(signal ? { signal } : {}), killAfterMs: 3000 });
    checkAborted(signal);
    if (code !== 0) throw new Error(`hlp bench ${args.join(' ')} exited ${String(code)}:\n${tail.slice(-6).join('\n')}`);
    return await readRun(out);
  } finally {
    await rm(out, { force: true });
  }
}

export function describeLabels(m: Pick<Metric, 'name' | 'labels'>): string {
  const l = Object.entries(m.labels)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return l ? `${m.name} {${l}}` : m.name;
}

/**
 * The embedded services, started on first use and shared by the load steps; a step that asks
 * for other proxy settings (batching off, say) gets them restarted with those.
 */
class Services {
  #svc: EmbeddedServices | undefined;
  constructor(
    private readonly io: Io,
    private readonly base: EmbeddedSettings,
  ) {}
  async get(step: EmbeddedSettings = {}): Promise<EmbeddedServices> {
    const wanted: EmbeddedSettings = { ...this.base, ...step };
    if (this.#svc && settingsKey(this.#svc.settings) !== settingsKey(wanted)) {
      this.io.stderr.write("restarting the embedded services with the next step's proxy settings …\n");
      await this.stop();
    }
    this.#svc ??= await startEmbedded(this.io, wanted);
    return this.#svc;
  }
  async stop(): Promise<void> {
    if (!this.#svc) return;
    this.io.stderr.write('stopping the embedded services …\n');
    await this.#svc.stop();
    this.#svc = undefined;
  }
}

async function runLoadStep(step: Extract<SuiteStep, { kind: 'load' }>, services: Services, bar: StepBar, signal: AbortSignal | undefined): Promise<RunResult> {
  const svc = await services.get(step.proxy ?? {});
  checkAborted(signal);
  const target = parseTarget(svc.proxyUrl);
  const promptCount = step.prompts ?? DEFAULT_PROMPTS;
  const prompts = scenarioPrompts(step.scenario, { count: promptCount });
  const req = { model: DEFAULT_MODEL };
  const samplers: RunningSamplers = startSamplers({
    processes: [...svc.processes, loadgenProcess()],
    metrics: [
      { name: 'proxy', metricsUrl: `${svc.proxyUrl}/metrics` },
      { name: 'inference', metricsUrl: `${svc.inferenceUrl}/metrics` },
    ],
  });
  const startedAt = new Date();
  const totalS = step.warmupS + step.durationS;
  let run;
  try {
    run = await runLoad({
      target,
      protocol: step.http2 ? 'h2' : 'http1',
      mode: { kind: 'open', rate: step.rate },
      headers: embeddingsHeaders(req),
      bodies: embeddingsBodies(prompts, req),
      warmupMs: step.warmupS * 1000,
      durationMs: step.durationS * 1000,
      ...(signal ? { signal } : {}),
      onTick: (t) => bar.update(Math.min(1, t.elapsedS / totalS), `${t.phase} 2xx ${t.ok} errors ${t.errors}`),
    });
  } catch (error) {
    await samplers.stop();
    throw error;
  }
  const sampled = await samplers.stop();
  return buildLoadResult({
    run,
    samplers: sampled,
    scenario: step.scenario,
    startedAt,
    finishedAt: new Date(),
    config: {
      scenario: step.scenario,
      rate: step.rate,
      prompts: promptCount,
      model: req.model,
      target: target.url,
      embedded: true,
      interrupted: signal?.aborted === true,
      ...(step.label === undefined ? {} : { label: step.label }),
      proxy: { batching: step.proxy?.batching ?? true, ...step.proxy },
      redis: svc.redisUrl !== undefined,
    },
  });
}

/** The thresholds of `<baselines>/gate.config.json` when it exists (as `hlp gate` reads them), else the defaults. */
async function loadGateConfig(baselinesDir: string): Promise<GateConfig> {
  const file = join(baselinesDir, CONFIG_FILE);
  return existsSync(file) ? readConfig(file) : resolveConfig();
}

/** `hlp bench ckks` arguments that repeat the step for just the suspects' backends, ring degrees and prompt cases. */
export function ckksRemeasureArgs(step: Extract<SuiteStep, { kind: 'ckks' }>, suspects: readonly Metric[]): string[] {
  const backends = [...new Set(suspects.map((m) => m.labels['backend']).filter((b): b is string => typeof b === 'string'))];
  const ns = [...new Set(suspects.map((m) => m.labels['n']).filter((n): n is number => typeof n === 'number'))];
  const prompt = suspects.some(isMetric('ckks.prompt_encrypt'));
  return benchArgs({
    ...step,
    backends: (backends.length > 0 ? backends : step.backends) as typeof step.backends,
    ns: (ns.length > 0 ? ns : step.ns) as typeof step.ns,
    prompt: prompt && step.prompt,
  });
}

/** Everything a step's gate needs to measure it again: fresh processes for benchmarks, the running services for load. */
export type StepRemeasure = (suspects: readonly Metric[]) => Promise<RunResult[]>;

/**
 * Gate one run against its stored baseline. Suspected regressions are measured again
 * (REMEASURE_RUNS more runs, pooled, with the calibration benchmark around them so that a
 * machine that slowed down is told apart from slower code) before they fail the gate.
 */
async function gateRun(
  run: RunResult,
  path: string,
  baselinesDir: string,
  config: GateConfig,
  again: StepRemeasure | null,
  io: Io,
  history: string | false,
  step: string,
): Promise<GateLine> {
  const found = await findBaseline(baselinesDir, run.suite, run.machine.machineClass);
  if (!found)
    return {
      suite: run.suite,
      step,
      status: 'no-baseline',
      message: `no baseline for ${run.suite}/${run.machine.machineClass}; record one with hlp baseline record ${run.suite}`,
      regressions: [],
      improvements: [],
    };
  try {
    const remeasure: Remeasure | { unavailable: string } = again
      ? async (suspects) => {
          io.stderr.write(
            `\n${step}: ${suspects.length} suspected regression(s) (${suspects.map(describeLabels).join(', ')}); measuring ${REMEASURE_RUNS} more times …\n`,
          );
          const calibrations: Metric[] = [await runCalibration({ quick: true })];
          const runs = await again(suspects);
          calibrations.push(await runCalibration({ quick: true }));
          return { current: poolRuns(runs).metrics, calibration: poolMetrics(calibrations.map((c) => [c]))[0] ?? null };
        }
      : { unavailable: 'this step cannot be measured again here' };
    const baseline = await readBaseline(found.path);
    // Another machine class: normalise by the calibration benchmark measured here, now.
    let calibration: Metric | null = null;
    if (!found.exact && baseline.calibration) {
      io.stderr.write(
        `\n${step}: the baseline is of ${baseline.machineClass}, this machine is ${run.machine.machineClass}: measuring the calibration benchmark to normalise …\n`,
      );
      calibration = await runCalibration();
    }
    const report = await runGate({
      current: run,
      baseline,
      config,
      calibration,
      remeasure,
      targets: false,
      runPath: path,
      baselinePath: found.path,
    });
    if (history !== false) await appendHistory(history, historyEntry(report));
    const fmt = (c: (typeof report.comparisons)[number]): string => `${describeLabels(c)} ×${c.ratio?.toFixed(3) ?? '?'}`;
    return {
      suite: run.suite,
      step,
      status: report.outcome,
      message: `vs ${found.path}: ${report.counts.regression} regression(s), ${report.counts.improvement} improvement(s), ${report.counts.unchanged} unchanged, ${report.counts.inconclusive} inconclusive`,
      regressions: report.comparisons.filter((c) => c.verdict === 'regression').map(fmt),
      improvements: report.comparisons.filter((c) => c.verdict === 'improvement').map(fmt),
    };
  } catch (error) {
    const incomparable = error instanceof GateError && error.code === 'INCOMPATIBLE';
    return {
      suite: run.suite,
      step,
      status: incomparable ? 'no-baseline' : 'error',
      message: error instanceof Error ? error.message : String(error),
      regressions: [],
      improvements: [],
    };
  }
}

interface PostStepContext {
  readonly runs: readonly { path: string; run: RunResult }[];
  readonly runsDir: string;
  readonly baselinesDir: string;
  readonly folder: string;
  readonly interrupted: boolean;
  readonly bar: StepBar;
  readonly total: number;
  /** Appended to: the files the steps wrote. */
  readonly written: string[];
  /** Appended to: why a step failed. */
  readonly notes: string[];
}

/** The suite's steps after the measuring ones: the HTML report and the dashboards, each optional; a failure becomes a note. */
async function runPostSteps(config: SuiteConfig, c: PostStepContext): Promise<void> {
  const { runs, runsDir, baselinesDir, folder, interrupted, bar, total, written, notes } = c;
  let index = config.steps.length;
  if (config.report && runs.length > 0) {
    bar.start(++index, total, 'report', 3);
    try {
      const built = await buildReport(
        runs.map((r) => r.path),
        { runs: runsDir, baselines: baselinesDir, title: `hlp suite ${config.name}${interrupted ? ' (interrupted, partial)' : ''}` },
      );
      const out = join(folder, 'report.html');
      await writeFile(out, built.html, 'utf8');
      written.push(out);
      bar.done('done');
    } catch (error) {
      notes.push(`report: ${error instanceof Error ? error.message : String(error)}`);
      bar.done('FAILED');
    }
  }
  if (config.dashboards) {
    bar.start(++index, total, 'dashboards', 2);
    try {
      const { writeGenerated } = await import('@hlp/dashboards');
      written.push(...(await writeGenerated(join(folder, 'dashboards'))));
      bar.done('done');
    } catch (error) {
      notes.push(`dashboards: ${error instanceof Error ? error.message : String(error)}`);
      bar.done('FAILED');
    }
  }
}

export async function runSuite(config: SuiteConfig, io: Io, options: SuiteOptions = {}): Promise<SuiteOutcome> {
  const t0 = performance.now();
  const signal = options.signal;
  const runsDir = resolve(options.runsDir ?? defaultRunsDir());
  const baselinesDir = resolve(options.baselinesDir ?? defaultBaselinesDir());
  const folder = join(runsDir, `suite-${compactUtc(new Date())}-${config.name}`);
  const notes: string[] = [];

  const needsAddon = config.steps.some((s) => s.kind === 'kernels' || (s.kind === 'ckks' && s.backends.includes('native')) || s.kind === 'load');
  if (needsAddon && !existsSync(ADDON_PATH))
    throw new LabError('INFRA', `the native kernels addon is not built (${ADDON_PATH}): run \`npm run build\` (or \`npm run build -w @hlp/kernels\`) first`);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw new LabError('INFRA', `cannot create ${folder}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  const post = [config.report ? 'report' : null, config.dashboards ? 'dashboards' : null].filter((x): x is string => x !== null);
  const history = options.history === undefined ? defaultHistoryPath(baselinesDir) : options.history;
  const gate: GateLine[] = [];
  let gateConfig: GateConfig | undefined;
  const total = config.steps.length + post.length;
  const bar = new StepBar(io.stderr, options.progressEveryMs !== undefined ? { everyMs: options.progressEveryMs } : {});
  const services = new Services(io, { backend: config.services.backend, redis: config.services.redis });
  const runs: { path: string; run: RunResult }[] = [];
  const steps: SuiteOutcome['steps'][number][] = [];
  const written: string[] = [];
  let interrupted = false;

  io.stderr.write(
    `hlp suite ${config.name}: ${config.steps.length} measuring step(s)${config.gate ? ', each gated against its baseline' : ''} + ${post.join(', ') || 'nothing else'}; output ${folder}\n`,
  );
  try {
    for (const [i, step] of config.steps.entries()) {
      const title = stepTitle(step);
      if (signal?.aborted) {
        steps.push({ title, status: 'interrupted', detail: 'not started', seconds: 0 });
        interrupted = true;
        continue;
      }
      const s0 = performance.now();
      bar.start(i + 1, total, title, estimateSeconds(step));
      const ticker = setInterval(() => bar.update(null, ''), 1000);
      try {
        let result: RunResult;
        let again: StepRemeasure;
        if (step.kind === 'kernels' || step.kind === 'ckks') {
          result = await benchInChildProcess(step, folder, bar, signal);
          const measured = result;
          again = async (suspects) => {
            const args = step.kind === 'kernels' ? ['kernels', ...kernelsRemeasureArgs(measured, suspects)] : ckksRemeasureArgs(step, suspects);
            const runs: RunResult[] = [];
            for (let k = 0; k < REMEASURE_RUNS; k++) runs.push(await benchInChildProcess(step, folder, bar, signal, args));
            return runs;
          };
        } else {
          result = await runLoadStep(step, services, bar, signal);
          again = async () => {
            const runs: RunResult[] = [];
            for (let k = 0; k < REMEASURE_RUNS; k++) runs.push(await runLoadStep(step, services, bar, signal));
            return runs;
          };
        }
        const valid = parseRun(result, `the ${step.kind} step produced an invalid document`);
        const path = await writeRun(valid, runsDir);
        runs.push({ path, run: valid });
        written.push(path);
        const aborted = signal?.aborted === true;
        if (aborted) interrupted = true;
        let gated = '';
        if (config.gate && !aborted) {
          bar.update(null, 'gating against the baseline');
          gateConfig ??= await loadGateConfig(baselinesDir);
          const line = await gateRun(valid, path, baselinesDir, gateConfig, again, io, history, title);
          gate.push(line);
          gated = `, gate ${line.status}`;
        }
        steps.push({
          title,
          status: aborted ? 'interrupted' : 'done',
          detail: `${valid.metrics.length} metrics${aborted ? ' (partial)' : ''}${gated} → ${path}`,
          seconds: (performance.now() - s0) / 1000,
        });
        bar.done(aborted ? 'interrupted (partial result kept)' : `done${gated}`);
      } catch (error) {
        const aborted = signal?.aborted === true || error instanceof Interrupted;
        if (aborted) interrupted = true;
        const message = error instanceof Error ? error.message : String(error);
        steps.push({
          title,
          status: aborted ? 'interrupted' : 'failed',
          detail: aborted ? 'stopped before it finished: nothing kept' : message,
          seconds: (performance.now() - s0) / 1000,
        });
        bar.done(aborted ? 'interrupted' : `FAILED: ${message}`);
      } finally {
        clearInterval(ticker);
      }
    }
  } finally {
    await services.stop();
  }

  // Targets over everything measured, one machine.
  let targets: TargetResult[] = [];
  const machine = runs[0]?.run.machine ?? (await fingerprint());
  targets = evaluateTargets({ suite: config.name, machine, metrics: runs.flatMap((r) => r.run.metrics) });

  await runPostSteps(config, { runs, runsDir, baselinesDir, folder, interrupted, bar, total, written, notes });

  const outcome: SuiteOutcome = {
    name: config.name,
    interrupted,
    folder,
    runs,
    steps,
    targets,
    gate,
    written,
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
  const summaryPath = join(folder, 'summary.json');
  await writeFile(
    summaryPath,
    `${JSON.stringify({ schema: 'hlp.suite/1', ...outcome, runs: runs.map((r) => ({ path: r.path, suite: r.run.suite })), written: [...written, summaryPath] }, null, 2)}\n`,
    'utf8',
  );
  written.push(summaryPath);
  return outcome;
}

/** A run config's scenario for the summary: a string as it is, another value as JSON, '?' when there is none. */
function scenarioText(scenario: unknown): string {
  if (scenario === undefined || scenario === null) return '?';
  return typeof scenario === 'string' ? scenario : JSON.stringify(scenario);
}

/** One row of the summary's load table: label, offered rate, throughput, success, latency, proxy CPU. */
export function loadLine(run: RunResult): string {
  const cfg = run.config as { label?: unknown; scenario?: unknown; rate?: unknown; offeredRate?: unknown; proxy?: { batching?: unknown } };
  const find = (name: RunMetricName, labels: Record<string, string> = {}): RunResult['metrics'][number] | undefined => run.metrics.find(isMetric(name, labels));
  const latency = find('http.latency');
  const throughput = find('http.throughput');
  const success = find('http.success_ratio');
  const cpu = find('process.cpu', { process: 'proxy' });
  const num = (x: number | undefined, digits: number, width: number): string =>
    (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits)).padStart(width);
  const label = typeof cfg.label === 'string' ? cfg.label : `${scenarioText(cfg.scenario)}${cfg.proxy?.batching === false ? ' no-batching' : ''}`;
  const offered = typeof cfg.rate === 'number' ? cfg.rate : typeof cfg.offeredRate === 'number' ? cfg.offeredRate : undefined;
  return [
    label.padEnd(26),
    num(offered, 0, 9),
    num(throughput?.summary?.median, 1, 8),
    num(typeof success?.value === 'number' ? success.value * 100 : undefined, 2, 8),
    num(latency?.summary?.p50, 0, 10),
    num(latency?.summary?.p95, 0, 9),
    num(latency?.summary?.p99, 0, 9),
    `${num(cpu?.summary?.median !== undefined ? cpu.summary.median * 100 : undefined, 1, 8)} %`,
  ].join(' ');
}

/** The final summary: steps, targets, gate verdicts, what was written. */
export function renderSummary(o: SuiteOutcome): string {
  const lines: string[] = [];
  lines.push(`hlp suite ${o.name}: ${o.interrupted ? 'INTERRUPTED (partial results kept)' : 'finished'} in ${clock(o.seconds)}`);
  lines.push('', 'steps');
  for (const s of o.steps) lines.push(`  ${s.status.padEnd(11)} ${s.title.padEnd(24)} ${clock(s.seconds).padStart(5)}  ${s.detail}`);
  lines.push('', 'targets');
  for (const t of o.targets) {
    const mark = t.status === 'met' ? 'met    ' : t.status === 'missed' ? 'MISSED ' : 'n/a    ';
    lines.push(`  ${mark} ${t.title}\n          ${t.reason}`);
  }
  lines.push('', 'gate');
  if (o.gate.length === 0) lines.push('  (not run)');
  for (const g of o.gate) {
    lines.push(`  ${g.status.padEnd(11)} ${g.step ?? g.suite}: ${g.message}`);
    for (const r of g.regressions) lines.push(`    regression  ${r}`);
    for (const r of g.improvements) lines.push(`    improvement ${r}`);
  }
  const loads = o.runs.filter((r) => r.run.suite === 'load');
  if (loads.length > 0) {
    lines.push('', 'load                          offered   2xx/s    2xx %     P50 ms    P95 ms    P99 ms  proxy CPU');
    for (const r of loads) lines.push(`  ${loadLine(r.run)}`);
  }
  const load = loads[0];
  if (load) {
    const cores = load.run.machine.logicalCores;
    const cap = capacityModel(load.run, 100, cores, 0.5);
    if (cap.length > 0) {
      lines.push('', `capacity (from this load run; 100 req/s at ≤ 50 % CPU on ${cores}-core instances, see docs/scale-out.md)`);
      for (const c of cap) lines.push(`  ${c.process.padEnd(10)} ${(c.cpuPerRequestS * 1000).toFixed(1)} ms CPU per request → ${c.instances} instance(s)`);
    }
  }
  if (o.notes.length > 0) {
    lines.push('', 'notes');
    for (const n of o.notes) lines.push(`  ${n}`);
  }
  lines.push('', 'wrote');
  for (const w of o.written) lines.push(`  ${w}`);
  return `${lines.join('\n')}\n`;
}
