import { Bench } from 'tinybench';
import { LabError } from '../errors.js';

/**
 * HLP_BENCH_SLOWDOWN — a known slowdown made on purpose, FOR TESTING THE GATE ONLY.
 * `name[{label=value;…}]:factor`, comma-separated, e.g. `ntt.forward:1.2` or
 * `ntt.forward{variant=avx512}:1.2,eltwise.*:1.05`. Read only by this benchmark harness:
 * each timed call of a matching case is followed by a busy-wait of (factor − 1) × its own
 * duration, so the case really takes `factor` times as long (CPU time is spent, the numbers
 * are not scaled). The product code never reads it.
 */
export const SLOWDOWN_ENV = 'HLP_BENCH_SLOWDOWN';
export const MAX_SLOWDOWN = 100;

/** A benchmark case named by metric and labels: `name{label=value;…}` (HLP_BENCH_SLOWDOWN, `--only`). */
export interface CaseSelector {
  /** Metric name; `*` matches any run of characters. */
  readonly name: string;
  /** Labels the case must carry (values compared as text). */
  readonly labels: Readonly<Record<string, string>>;
}

export interface SlowdownRule extends CaseSelector {
  readonly factor: number;
}

/** Splits a list of selectors on the commas outside braces. */
export function splitSelectors(spec: string): string[] {
  return spec
    .split(/,(?![^{]*\})/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
}

/** Parses one `name[{label=value;…}]`; LabError USAGE naming `what` and the expected form on anything malformed. */
export function parseCaseSelector(entry: string, what: string, expected: string): CaseSelector {
  const match = /^([A-Za-z0-9_.*-]+)(?:\{([^}]*)\})?$/.exec(entry);
  if (!match) throw new LabError('USAGE', `${what}: cannot parse '${entry}' (expected ${expected})`);
  const labels: Record<string, string> = {};
  for (const pair of (match[2] ?? '')
    .split(/[;,]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LabError('USAGE', `${what}: label selector '${pair}' of '${match[1]}' must be label=value`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return { name: match[1]!, labels };
}

/** Whether the case (name, labels) is one the selector names. */
export function matchesSelector(selector: CaseSelector, name: string, labels: Readonly<Record<string, unknown>>): boolean {
  const pattern = new RegExp(`^${selector.name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return pattern.test(name) && Object.entries(selector.labels).every(([k, v]) => k in labels && String(labels[k]) === v);
}

const SLOWDOWN_FORM = 'name[{label=value;…}]:factor, e.g. ntt.forward:1.2';

/** Parses a HLP_BENCH_SLOWDOWN value; LabError USAGE on anything malformed (never silently ignored). */
export function parseSlowdown(spec: string): SlowdownRule[] {
  return splitSelectors(spec).map((entry) => {
    const match = /^(.*):([0-9]+(?:\.[0-9]+)?)$/.exec(entry);
    if (!match) throw new LabError('USAGE', `${SLOWDOWN_ENV}: cannot parse '${entry}' (expected ${SLOWDOWN_FORM})`);
    const selector = parseCaseSelector(match[1]!, SLOWDOWN_ENV, SLOWDOWN_FORM);
    const factor = Number(match[2]);
    if (!(factor >= 1 && factor <= MAX_SLOWDOWN))
      throw new LabError('USAGE', `${SLOWDOWN_ENV}: factor ${match[2]} of '${selector.name}' must be within [1, ${MAX_SLOWDOWN}]`);
    return { ...selector, factor };
  });
}

/** The slowdown factor HLP_BENCH_SLOWDOWN asks for on this case (1: none; the last matching rule wins). */
export function slowdownFor(name: string, labels: Readonly<Record<string, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): number {
  const spec = env[SLOWDOWN_ENV];
  if (!spec) return 1;
  let factor = 1;
  for (const rule of parseSlowdown(spec)) if (matchesSelector(rule, name, labels)) factor = rule.factor;
  return factor;
}

/**
 * HLP_BENCH_SLOWDOWN's wait: a call timed from `t0` to `t1` is made to last `factor` times as
 * long by busy-waiting (CPU time really spent). Returns the new end time.
 */
export function spendSlowdown(t0: bigint, t1: bigint, factor: number, now: () => bigint = () => process.hrtime.bigint()): bigint {
  if (!(factor > 1)) return t1;
  const until = t0 + BigInt(Math.round(Number(t1 - t0) * factor));
  let t = t1;
  while (t < until) t = now();
  return t;
}

export interface MeasureOptions {
  /** tinybench time budget for the measured phase, ms. */
  readonly timeMs: number;
  /** tinybench warm-up budget, ms (0: no warm-up). */
  readonly warmupMs: number;
  /** Minimum measured iterations (tinybench `iterations`). */
  readonly minIterations: number;
  /** Minimum warm-up iterations (default min(16, minIterations)). */
  readonly warmupIterations?: number;
  /** Each task call performs this many operations; samples are per operation. */
  readonly opsPerCall?: number;
  /** The case being measured: HLP_BENCH_SLOWDOWN (for testing the gate) applies by its name and labels. */
  readonly metric?: { readonly name: string; readonly labels?: Readonly<Record<string, unknown>> };
  /** Explicit slowdown factor ≥ 1, overriding HLP_BENCH_SLOWDOWN (for testing the gate). */
  readonly slowdown?: number;
  /** The clock of the per-call timing, ns (default process.hrtime.bigint; tests pass a fake one). */
  readonly clock?: () => bigint;
}

/**
 * Runs `fn` under tinybench and returns its per-iteration samples in nanoseconds, in the
 * order they were measured (warm-up excluded). Each call is timed with
 * process.hrtime.bigint() and handed to tinybench as its overridden duration, so tinybench's
 * own statistics and budget see exactly the samples returned here.
 */
export async function measure(fn: () => void, options: MeasureOptions): Promise<number[]> {
  const ops = options.opsPerCall ?? 1;
  const factor = options.slowdown ?? (options.metric ? slowdownFor(options.metric.name, options.metric.labels) : 1);
  if (!(factor >= 1 && factor <= MAX_SLOWDOWN)) throw new LabError('USAGE', `slowdown factor must be within [1, ${MAX_SLOWDOWN}], got ${factor}`);
  const now = options.clock ?? ((): bigint => process.hrtime.bigint());
  const samples: number[] = [];
  let recording = false;
  const bench = new Bench({
    time: options.timeMs,
    warmup: options.warmupMs > 0,
    warmupTime: options.warmupMs,
    warmupIterations: options.warmupIterations ?? Math.min(16, options.minIterations),
    iterations: options.minIterations,
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
  bench.add(
    'case',
    () => {
      const t0 = now();
      fn();
      const t1 = spendSlowdown(t0, now(), factor, now);
      const elapsed = Number(t1 - t0);
      if (recording) samples.push(elapsed / ops);
      return { overriddenDuration: elapsed / 1e6 };
    },
    {
      beforeAll(mode) {
        recording = mode === 'run';
        samples.length = 0;
      },
    },
  );
  const [task] = await bench.run();
  const result = task?.result;
  if (!result || result.state === 'errored') throw result?.state === 'errored' ? result.error : new Error('tinybench produced no result');
  if (result.state !== 'completed') throw new Error(`tinybench task ended in state ${result.state}`);
  return samples;
}
