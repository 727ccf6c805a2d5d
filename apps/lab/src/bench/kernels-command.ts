import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defaultRunsDir, parseRun, stringifyRun, writeRun, writeRunFile } from '@hlp/results';
import { DEFAULT_BITS, DEFAULT_NS, runKernelsBench, type ProgressEvent } from './kernels.js';
import { renderReport } from './report.js';
import { LabError } from '../errors.js';
import { formatLabels, formatNs } from '../format.js';
import { KernelsCliOptions } from '../options.js';
import { variants } from '@hlp/kernels';
import { DEFAULT_PAIRS, benchPairs } from '../gate/pairs.js';
import type { Io } from '../io.js';

function progressPrinter(io: Io): (event: ProgressEvent) => void {
  const tty = io.stderr.isTTY === true;
  return (event) => {
    const width = String(event.total).length;
    const head = `[${String(event.index).padStart(width)}/${event.total}] ${event.name} ${formatLabels(event.labels)}`;
    if (event.phase === 'start') {
      if (tty) io.stderr.write(`\r\x1b[K${head} …`);
      return;
    }
    const tail =
      event.phase === 'skipped'
        ? `skipped (${event.reason ?? 'unavailable'})`
        : `median ${formatNs(event.metric?.summary.median ?? Number.NaN)}  (${event.metric?.summary.n ?? 0} samples)`;
    io.stderr.write(`${tty ? '\r\x1b[K' : ''}${head}  ${tail}\n`);
  };
}

/** `hlp bench kernels`: measure, print the report, write the run document. */
export async function benchKernels(rawOptions: unknown, io: Io): Promise<void> {
  const parsed = KernelsCliOptions.safeParse(rawOptions);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.message}`);
  const opts = parsed.data;
  if (opts.pairWith) {
    if (!opts.out) throw new LabError('USAGE', '--pair-with writes a pairs document: name it with --out');
    if (opts.json) throw new LabError('USAGE', '--pair-with writes a pairs document to --out; --json does not apply');
    const available = variants()
      .filter((v) => v.available)
      .map((v) => v.name);
    const spec = {
      suite: 'kernels',
      variants: opts.variant ?? available,
      ns: opts.n ?? DEFAULT_NS,
      bits: opts.bits ?? DEFAULT_BITS,
      alloc: opts.alloc ?? true,
    } as const;
    await benchPairs(spec, opts.pairWith, opts.pairs ?? DEFAULT_PAIRS, opts.out, io, opts.only);
    return;
  }
  if (opts.pairs !== undefined || opts.only !== undefined) throw new LabError('USAGE', '--pairs and --only only apply with --pair-with');

  // Fail before measuring for minutes when the document cannot be written.
  const target = opts.out ? dirname(resolve(opts.out)) : defaultRunsDir();
  try {
    await mkdir(target, { recursive: true });
  } catch (error) {
    throw new LabError('INFRA', `cannot create ${target}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  const outcome = await runKernelsBench({
    variants: opts.variant,
    ns: opts.n ?? DEFAULT_NS,
    bits: opts.bits ?? DEFAULT_BITS,
    timeMs: opts.time,
    quick: opts.quick ?? false,
    alloc: opts.alloc ?? true,
    progress: progressPrinter(io),
    note: (line) => io.stderr.write(`note: ${line}\n`),
  });
  const result = parseRun(outcome.result, 'the kernels run produced an invalid document');

  const report = renderReport(result, outcome.allocStats);
  (opts.json ? io.stderr : io.stdout).write(`\n${report}\n\n`);

  const path = opts.out ? await writeRunFile(result, resolve(opts.out)) : await writeRun(result);
  io.stderr.write(`wrote ${path}\n`);
  if (opts.json) io.stdout.write(stringifyRun(result));
}
