import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defaultRunsDir, parseRun, stringifyRun, writeRun, writeRunFile } from '@hlp/results';
import { CKKS_DEFAULT_NS, CKKS_QUICK_NS, formatValue, renderCkksReport, runCkksBench } from './ckks.js';
import type { ProgressEvent } from './kernels.js';
import { LabError } from '../errors.js';
import { formatLabels } from '../format.js';
import { DEFAULT_PAIRS, benchPairs } from '../gate/pairs.js';
import { benchRegimeNote } from './child.js';
import { CkksCliOptions } from '../options.js';
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
    const m = event.metric;
    const tail =
      event.phase === 'skipped'
        ? `skipped (${event.reason ?? 'unavailable'})`
        : m?.unit === 'bytes'
          ? `${formatValue(m.summary.median, 'bytes')} (${m.summary.median} B)`
          : `median ${formatValue(m?.summary.median ?? Number.NaN, m?.unit ?? 'ns')}  (${m?.summary.n ?? 0} samples)`;
    io.stderr.write(`${tty ? '\r\x1b[K' : ''}${head}  ${tail}\n`);
  };
}

/** `hlp bench ckks`: measure, print the report, write the run document. */
export async function benchCkks(rawOptions: unknown, io: Io): Promise<void> {
  const parsed = CkksCliOptions.safeParse(rawOptions);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.message}`);
  const opts = parsed.data;
  if (opts.pairWith) {
    const regime = benchRegimeNote();
    if (regime) io.stderr.write(`note: ${regime}\n`);
    if (!opts.out) throw new LabError('USAGE', '--pair-with writes a pairs document: name it with --out');
    if (opts.json) throw new LabError('USAGE', '--pair-with writes a pairs document to --out; --json does not apply');
    const quick = opts.quick ?? false;
    const spec = {
      suite: 'ckks',
      backends: opts.backend ?? ['native'],
      ns: opts.n ?? (quick ? CKKS_QUICK_NS : CKKS_DEFAULT_NS),
      threads: opts.threads ?? [1],
      prompt: opts.prompt ?? true,
      symmetricPrng: opts.symmetricPrng ?? 'shake256',
      keySwitching: opts.keySwitching ?? true,
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

  const quick = opts.quick ?? false;
  const outcome = await runCkksBench({
    backends: opts.backend,
    ns: opts.n ?? (quick ? CKKS_QUICK_NS : CKKS_DEFAULT_NS),
    threads: opts.threads,
    timeMs: opts.time,
    quick,
    prompt: opts.prompt ?? true,
    keySwitching: opts.keySwitching ?? true,
    ...(opts.symmetricPrng ? { symmetricPrng: opts.symmetricPrng } : {}),
    progress: progressPrinter(io),
    regimeNote: benchRegimeNote(),
    note: (line) => io.stderr.write(`note: ${line}\n`),
    info: (line) => io.stderr.write(`${line}\n`),
  });
  const result = parseRun(outcome.result, 'the ckks run produced an invalid document');

  const report = renderCkksReport(result);
  (opts.json ? io.stderr : io.stdout).write(`\n${report}\n\n`);

  const path = opts.out ? await writeRunFile(result, resolve(opts.out)) : await writeRun(result);
  io.stderr.write(`wrote ${path}\n`);
  if (opts.json) io.stdout.write(stringifyRun(result));
}
