/**
 * Units the gate understands: values in the same family convert into each other (ns ↔ ms,
 * MiB ↔ bytes, % ↔ ratio); anything else compares only with the identical unit string.
 */

export type UnitFamily = 'time' | 'bytes' | 'fraction' | 'request-rate' | 'op-rate' | 'frequency';

interface UnitInfo {
  readonly family: UnitFamily;
  /** Value of one of this unit in the family's base unit (s, bytes, 1, 1/s). */
  readonly scale: number;
}

const UNITS: Readonly<Record<string, UnitInfo>> = {
  ns: { family: 'time', scale: 1e-9 },
  us: { family: 'time', scale: 1e-6 },
  µs: { family: 'time', scale: 1e-6 },
  μs: { family: 'time', scale: 1e-6 },
  ms: { family: 'time', scale: 1e-3 },
  s: { family: 'time', scale: 1 },
  sec: { family: 'time', scale: 1 },
  seconds: { family: 'time', scale: 1 },
  b: { family: 'bytes', scale: 1 },
  byte: { family: 'bytes', scale: 1 },
  bytes: { family: 'bytes', scale: 1 },
  kb: { family: 'bytes', scale: 1e3 },
  mb: { family: 'bytes', scale: 1e6 },
  gb: { family: 'bytes', scale: 1e9 },
  kib: { family: 'bytes', scale: 2 ** 10 },
  mib: { family: 'bytes', scale: 2 ** 20 },
  gib: { family: 'bytes', scale: 2 ** 30 },
  ratio: { family: 'fraction', scale: 1 },
  fraction: { family: 'fraction', scale: 1 },
  '%': { family: 'fraction', scale: 0.01 },
  percent: { family: 'fraction', scale: 0.01 },
  'req/s': { family: 'request-rate', scale: 1 },
  rps: { family: 'request-rate', scale: 1 },
  'requests/s': { family: 'request-rate', scale: 1 },
  'ops/s': { family: 'op-rate', scale: 1 },
  'op/s': { family: 'op-rate', scale: 1 },
  hz: { family: 'frequency', scale: 1 },
  '1/s': { family: 'frequency', scale: 1 },
};

export function unitInfo(unit: string): UnitInfo | null {
  return UNITS[unit] ?? UNITS[unit.toLowerCase()] ?? null;
}

/** The factor f with value_in_`to` = value_in_`from` · f, or null when the units do not convert. */
export function conversionFactor(from: string, to: string): number | null {
  if (from === to) return 1;
  const a = unitInfo(from);
  const b = unitInfo(to);
  if (!a || !b || a.family !== b.family) return null;
  return a.scale / b.scale;
}

/**
 * How a metric in `unit` scales with machine speed: `time` (a 2× faster machine halves it),
 * `rate` (it doubles), or null (bytes, fractions, counts: not a speed, never normalised).
 */
export function speedKind(unit: string): 'time' | 'rate' | null {
  const info = unitInfo(unit);
  if (!info) return null;
  if (info.family === 'time') return 'time';
  if (info.family === 'request-rate' || info.family === 'op-rate' || info.family === 'frequency') return 'rate';
  return null;
}

/** A value with a readable unit: 950 ns, 12.3 µs, 4.56 ms, 1.23 s; 1.5 GiB; other units as `12.3 unit`. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  const info = unitInfo(unit);
  if (info?.family === 'time') {
    const s = value * info.scale;
    const abs = Math.abs(s);
    if (abs < 1e-6) return `${(s * 1e9).toPrecision(3)} ns`;
    if (abs < 1e-3) return `${(s * 1e6).toPrecision(3)} µs`;
    if (abs < 1) return `${(s * 1e3).toPrecision(3)} ms`;
    return `${s.toPrecision(3)} s`;
  }
  if (info?.family === 'bytes') {
    let v = value * info.scale;
    const names = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < names.length - 1) {
      v /= 1024;
      i++;
    }
    return `${i === 0 ? v.toFixed(0) : v.toPrecision(3)} ${names[i]}`;
  }
  if (info?.family === 'fraction') return `${(value * info.scale * 100).toPrecision(3)} %`;
  const abs = Math.abs(value);
  const text = abs !== 0 && (abs >= 1e6 || abs < 1e-3) ? value.toExponential(2) : Number(value.toPrecision(4)).toString();
  return `${text} ${unit}`;
}
