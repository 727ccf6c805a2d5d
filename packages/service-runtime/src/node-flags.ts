/**
 * The Node flags both services run with, in one place: the lab passes them when it starts a
 * service, the bins' shebang lines carry the same ones (a test keeps them equal), and a service
 * started without them says so once.
 *
 * Why `--initial-old-space-size`: a service's live JavaScript heap is small (about 21 MB), but
 * every request allocates megabytes of ArrayBuffer backing stores (ciphertexts, randomness,
 * HTTP/2 chunks). V8 schedules full collections on heap plus external memory against a limit
 * derived from the small heap, so under load it ran a mark-compact every ~70 ms (14 a second at
 * 30 req/s), each forcing 5–10 ms marking steps on the main thread. Starting the old generation's
 * limit at 128 MB cut those to about one a second; at 50 req/s the CPU per request fell ×0.41
 * (inference) and ×0.51 (proxy), paired (apps/proxy/README.md, "Measured at load"). 128 MB
 * measured as well as 256 and 512 MB, at +40–90 MB of RSS.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = Object.freeze(['--initial-old-space-size=128']);

/** The flags of {@link SERVICE_NODE_FLAGS} this process was started without (by name). */
export function missingServiceNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const nameOf = (flag: string): string => flag.split('=')[0]!.replace(/_/g, '-');
  const given = new Set(execArgv.map(nameOf));
  return SERVICE_NODE_FLAGS.filter((f) => !given.has(nameOf(f)));
}

/** The one-line warning a service logs at start when it lacks a flag, or null. */
export function serviceNodeFlagsWarning(execArgv: readonly string[] = process.execArgv): string | null {
  const missing = missingServiceNodeFlags(execArgv);
  if (missing.length === 0) return null;
  return `started without ${missing.join(' ')}: under load V8 will run full garbage collections several times as often (give it to node, as the bin's shebang line and hlp serve do)`;
}
