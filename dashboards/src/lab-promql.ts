/**
 * PromQL over the lab's exported families (`hlp export` → OpenMetrics → backfill). Lab data is
 * sparse (one sample per run or per gate run), so range panels read
 * `last_over_time(x[$__interval])`: every sample lands on exactly one step whatever the zoom,
 * where a bare selector would only see samples within five minutes before a step.
 */
import { matcherText, type Matchers } from '@hlp/telemetry';

export const MACHINE_CLASS_VARIABLE = 'machine_class';
export const SUITE_VARIABLE = 'suite';

/** Filters every lab panel carries. */
export const LAB_FILTER: Matchers = { machine_class: `=~$${MACHINE_CLASS_VARIABLE}` };
export const HISTORY_FILTER: Matchers = { suite: `=~$${SUITE_VARIABLE}`, machine_class: `=~$${MACHINE_CLASS_VARIABLE}` };

export function labSelector(name: string, matchers: Matchers): string {
  return `${name}${matcherText(matchers)}`;
}

/** `last_over_time(<name>{…}[$__interval])`: one point per run in a range panel. */
export function perRun(name: string, matchers: Matchers, window = '$__interval'): string {
  return `last_over_time(${labSelector(name, matchers)}[${window}])`;
}

/** `last_over_time(<name>{…}[$__range])`: the latest value in the dashboard's range (bars, stats). */
export function latest(name: string, matchers: Matchers): string {
  return perRun(name, matchers, '$__range');
}

/** Escapes a literal for a `=~` matcher. */
export function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function oneOf(values: readonly string[]): string {
  return `=~${values.map(regexLiteral).join('|')}`;
}
