/**
 * What the parent and its driver processes say to each other (one JSON object a line: commands
 * on the driver's stdin, events on its stdout). Both sides parse with these schemas: a driver is
 * another process, so what it sends is external input.
 */
import { z } from 'zod';

const counts = z.record(z.string(), z.number().int().nonnegative());

/** Parent → driver, first line: its share of the schedule and how to send. */
export const DriverConfig = z.object({
  type: z.literal('configure'),
  index: z.number().int().nonnegative(),
  target: z.string().url(),
  protocol: z.enum(['http1', 'h2']),
  /** The whole run's offered rate; this driver sends requests index, index + stride, … of it. */
  rate: z.number().positive(),
  stride: z.number().int().positive(),
  connections: z.number().int().positive(),
  streams: z.number().int().positive(),
  method: z.string().min(1),
  headers: z.record(z.string(), z.string()),
  /** Request bodies, base64 (request i sends bodies[i % length], i counted over the whole schedule). */
  bodies: z.array(z.string()),
  warmupMs: z.number().int().nonnegative(),
  /** The warm-up's rate rises linearly from 0 (see openLoopDue). */
  warmupRamp: z.boolean(),
  durationMs: z.number().int().positive(),
  timeoutMs: z.number().int().positive(),
  maxRequests: z.number().int().positive(),
  /** Raw 2xx latencies to send back (the last ones), for the document's samples. */
  keepSamples: z.number().int().nonnegative(),
});
export type DriverConfig = z.infer<typeof DriverConfig>;

/** Parent → driver: go (t0 on the shared wall clock, ms since the epoch with a fraction), or stop early. */
export const DriverCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), t0Epoch: z.number().positive() }),
  z.object({ type: z.literal('stop') }),
]);
export type DriverCommand = z.infer<typeof DriverCommand>;

export const DriverTick = z.object({
  event: z.literal('tick'),
  phase: z.enum(['warmup', 'measure', 'drain']),
  sent: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  non2xx: z.number().int().nonnegative(),
  inFlight: z.number().int(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
});
export type DriverTick = z.infer<typeof DriverTick>;

export const DriverSecond = z.object({
  t: z.number().nonnegative(),
  sent: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  non2xx: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** Encoded histogram of the 2xx latencies completed in this second, null when none. */
  hdr: z.string().nullable(),
});

/** Driver → parent, once at the end: its counts and encoded histograms (µs). */
export const DriverReport = z.object({
  event: z.literal('report'),
  index: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  non2xx: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  sent: z.number().int().nonnegative(),
  unfinished: z.number().int().nonnegative(),
  aborted: z.boolean(),
  statusCodes: counts,
  errorKinds: counts,
  statusDetails: z.record(z.string(), z.array(z.string())),
  latency: z.string().nullable(),
  uncorrected: z.string().nullable(),
  /** The last `keepSamples` 2xx latencies (ms) in completion order, corrected and from the actual send. */
  tail: z.array(z.number()),
  tailUncorrected: z.array(z.number()),
  seconds: z.array(DriverSecond),
});
export type DriverReport = z.infer<typeof DriverReport>;

/** Driver → parent: it could not run (bad configuration, transport error). */
export const DriverFailure = z.object({ event: z.literal('failed'), message: z.string() });
