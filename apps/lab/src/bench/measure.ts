import { Bench } from 'tinybench';

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
}

/**
 * Runs `fn` under tinybench and returns its per-iteration samples in nanoseconds, in the
 * order they were measured (warm-up excluded). Each call is timed with
 * process.hrtime.bigint() and handed to tinybench as its overridden duration, so tinybench's
 * own statistics and budget see exactly the samples returned here.
 */
export async function measure(fn: () => void, options: MeasureOptions): Promise<number[]> {
  const ops = options.opsPerCall ?? 1;
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
      const t0 = process.hrtime.bigint();
      fn();
      const elapsed = Number(process.hrtime.bigint() - t0);
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
