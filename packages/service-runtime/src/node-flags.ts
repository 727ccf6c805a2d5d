import { readFileSync } from 'node:fs';

/**
 * The Node flags and the allocator setting both services run with, in one place: the lab passes
 * them when it starts a service, the bins' shebang lines carry the same ones (a test keeps them
 * equal), and a service started without them says so once.
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

/**
 * The glibc tunable both services run with: malloc advises the kernel to back its large blocks
 * (and its heap) with 2 MiB transparent huge pages where the kernel leaves that to the program
 * (`madvise` mode, Debian's default).
 *
 * Why: every request moves megabytes through buffers that malloc hands out fresh (ciphertext
 * uploads, HTTP/2 chunks, decoded values, request bodies), and on this project's VM class a
 * first touch of a 4 KiB page costs ~11 µs, mostly outside the process's own CPU time: filling
 * 32 MiB of fresh memory took 93 ms in 4 KiB pages and 1.9 ms in huge pages. With the tunable,
 * `hlp abuse --classes token-batches` ran in half the time and its slowest /healthz answer fell
 * from 51-94 ms to 31-50 ms (apps/proxy/README.md, "Measured at load"). glibc reads it at
 * process start only, so it travels in the environment, not as a flag.
 */
export const SERVICE_GLIBC_TUNABLES: readonly string[] = Object.freeze(['glibc.malloc.hugetlb=1']);

/** The `NAME=value` assignments the bins' `#!/usr/bin/env -S` lines make before `node`. */
export function serviceEnvAssignments(): string {
  return `GLIBC_TUNABLES=${SERVICE_GLIBC_TUNABLES.join(':')}`;
}

const tunableName = (entry: string): string => entry.split('=')[0]!.trim();
const tunableEntries = (value: string | undefined): string[] => (value ?? '').split(':').filter(Boolean);

/** The tunables of {@link SERVICE_GLIBC_TUNABLES} that a `GLIBC_TUNABLES` value leaves out (by name). */
export function missingServiceTunables(value: string | undefined): string[] {
  const given = new Set(tunableEntries(value).map(tunableName));
  return SERVICE_GLIBC_TUNABLES.filter((t) => !given.has(tunableName(t)));
}

/**
 * `env` for a service process: a copy with the service tunables added to `GLIBC_TUNABLES`. A
 * tunable the caller set already keeps the caller's value.
 */
export function serviceProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const missing = missingServiceTunables(env.GLIBC_TUNABLES);
  if (missing.length === 0) return { ...env };
  return { ...env, GLIBC_TUNABLES: [...tunableEntries(env.GLIBC_TUNABLES), ...missing].join(':') };
}

export type HugePageMode = 'always' | 'madvise' | 'never';

/** The kernel's transparent huge page mode (the bracketed word of its sysfs file), or null where there is none. */
export function transparentHugePageMode(read: () => string = () => readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8')): HugePageMode | null {
  try {
    const m = /\[(always|madvise|never)\]/.exec(read());
    return m ? (m[1] as HugePageMode) : null;
  } catch {
    return null;
  }
}

/**
 * The one-line warning a service logs at start when malloc will not ask for huge pages although
 * the kernel would give them on request (`madvise` mode), or null. In `always` mode every large
 * mapping gets them anyway; in `never` mode, or off Linux, the tunable changes nothing.
 */
export function serviceTunablesWarning(
  value: string | undefined = process.env.GLIBC_TUNABLES,
  mode: HugePageMode | null = transparentHugePageMode(),
): string | null {
  if (mode !== 'madvise') return null;
  const missing = missingServiceTunables(value);
  if (missing.length === 0) return null;
  return (
    `started without GLIBC_TUNABLES=${missing.join(':')}: fresh buffer memory is then faulted in 4 KiB pages, ` +
    `which under large batches holds the event loop and halves throughput (set it in the environment, as the bin's #! line and hlp serve do)`
  );
}
