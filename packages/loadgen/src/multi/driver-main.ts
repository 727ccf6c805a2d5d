/**
 * One driver process of `hlp load --drivers N` (started by multi.ts through @hlp/procs): reads
 * its configuration from stdin, opens its connections, says `ready`, waits for `start` with the
 * agreed t0, runs its share of the open-loop schedule, reports once a second (`tick`) and at the
 * end (`report`), then exits. `stop` on stdin, or stdin closing (the parent gone), ends the run
 * early; it still reports what it measured.
 */
import { createInterface } from 'node:readline';
import { runOpenLoop } from '../engine.js';
import { parseTarget } from '../target.js';
import { Http1Transport, Http2Transport, type Transport } from '../transport.js';
import { driverReport } from './merge.js';
import { DriverCommand, DriverConfig, type DriverTick } from './messages.js';

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** The last event, then exit once it is written: the report can be far larger than a pipe's buffer. */
function emitAndExit(event: Record<string, unknown>, code: number): void {
  process.stdout.write(`${JSON.stringify(event)}\n`, () => process.exit(code));
}

function json(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

function fail(message: string): void {
  emitAndExit({ event: 'failed', message }, 1);
}

function transportOf(c: DriverConfig): Transport {
  const target = parseTarget(c.target);
  const spec = { method: c.method, headers: c.headers, bodies: c.bodies.map((b) => Buffer.from(b, 'base64')), timeoutMs: c.timeoutMs };
  return c.protocol === 'http1' ? new Http1Transport(target, spec, c.connections) : new Http2Transport(target, spec, c.connections, c.streams);
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) return fail('no configuration on stdin');
  const parsed = DriverConfig.safeParse(json(first.value));
  if (!parsed.success) return fail(`invalid driver configuration: ${parsed.error.message}`);
  const config = parsed.data;
  const transport = transportOf(config);
  await transport.open();
  emit({ event: 'ready', index: config.index });

  const controller = new AbortController();
  // Ctrl-C reaches the whole process group: stop early but still report, as the parent expects.
  process.on('SIGINT', () => controller.abort());
  let t0Epoch: number | null = null;
  let started: () => void = () => undefined;
  const startSignal = new Promise<void>((resolve) => (started = resolve));
  // Commands keep arriving while the run goes on: read them in the background.
  void (async () => {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const cmd = DriverCommand.safeParse(json(next.value));
      if (!cmd.success) continue;
      if (cmd.data.type === 'stop') controller.abort();
      else t0Epoch ??= cmd.data.t0Epoch;
      started();
    }
    controller.abort();
    started();
  })();
  await startSignal;
  if (t0Epoch === null) {
    await transport.close();
    process.exit(0);
  }
  // The agreed wall-clock t0 on this process's performance.now() scale.
  const t0 = t0Epoch - performance.timeOrigin;
  const measurement = await runOpenLoop(transport, {
    rate: config.rate,
    warmupMs: config.warmupMs,
    warmupRamp: config.warmupRamp,
    durationMs: config.durationMs,
    drainMs: config.timeoutMs,
    maxRequests: config.maxRequests,
    // Requests waiting for a slot: at most a timeout's worth of this driver's share of the schedule.
    maxQueue: Math.max(1, Math.ceil((config.rate * config.timeoutMs) / 1000 / config.stride)),
    share: { t0, first: config.index, stride: config.stride },
    signal: controller.signal,
    onTick: (t) =>
      emit({
        event: 'tick',
        phase: t.phase,
        sent: t.sent,
        ok: t.ok,
        errors: t.errors,
        non2xx: t.non2xx,
        inFlight: t.inFlight,
        p50: t.p50,
        p95: t.p95,
      } satisfies DriverTick),
  });
  emitAndExit(driverReport(config.index, measurement, config.keepSamples), 0);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
