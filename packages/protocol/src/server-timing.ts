/** The `Server-Timing` header (stage durations in milliseconds) both services answer with and the proxy and the lab read. */

/** `Server-Timing` header value from stage durations in milliseconds. */
export function formatServerTiming(timings: Readonly<Record<string, number>>): string {
  return Object.entries(timings)
    .map(([name, ms]) => `${name};dur=${Number(ms.toFixed(3))}`)
    .join(', ');
}

/** Stage durations (ms) from a `Server-Timing` header value. */
export function parseServerTiming(value: string | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!value) return out;
  for (const part of value.split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    for (const p of params) {
      const m = /^\s*dur=([0-9.eE+-]+)\s*$/.exec(p);
      if (m && m[1] !== undefined) out[name.trim()] = Number(m[1]);
    }
  }
  return out;
}
