/** A V8 .cpuprofile read for its top self-time functions: what `hlp profile --tool cpuprof` prints. */
import { z } from 'zod';
import { findRepoRoot } from '@hlp/results';

export interface SelfTimeRow {
  readonly functionName: string;
  readonly url: string;
  readonly line: number;
  readonly selfMs: number;
  readonly share: number;
}

/** Top self-time functions of a V8 .cpuprofile (nodes + samples + timeDeltas). */
export function topSelfTime(profile: unknown, limit = 10): { rows: SelfTimeRow[]; totalMs: number } {
  const P = z.looseObject({
    nodes: z.array(z.looseObject({ id: z.number(), callFrame: z.looseObject({ functionName: z.string(), url: z.string(), lineNumber: z.number() }) })),
    samples: z.array(z.number()),
    timeDeltas: z.array(z.number()),
  });
  const p = P.parse(profile);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { functionName: string; url: string; line: number; us: number }>();
  let totalUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // the delta after sample i is the time it stood for; the last sample gets no time
    const dt = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (!node || dt <= 0) continue;
    totalUs += dt;
    const cf = node.callFrame;
    const key = `${cf.functionName}\0${cf.url}\0${cf.lineNumber}`;
    const row = self.get(key) ?? { functionName: cf.functionName || '(anonymous)', url: cf.url, line: cf.lineNumber + 1, us: 0 };
    row.us += dt;
    self.set(key, row);
  }
  const rows = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((r) => ({ functionName: r.functionName, url: r.url, line: r.line, selfMs: r.us / 1000, share: totalUs > 0 ? r.us / totalUs : 0 }));
  return { rows, totalMs: totalUs / 1000 };
}

export function renderTopSelfTime(top: { rows: SelfTimeRow[]; totalMs: number }): string {
  const lines = [`top ${top.rows.length} self-time functions of ${(top.totalMs / 1000).toFixed(1)} s sampled`, '  self ms   share  function (location)'];
  const root = findRepoRoot() ?? '';
  for (const r of top.rows) {
    const loc = r.url ? `${r.url.replace('file://', '').replace(`${root}/`, '')}:${r.line}` : '';
    lines.push(`  ${r.selfMs.toFixed(1).padStart(7)}  ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.functionName}${loc ? ` (${loc})` : ''}`);
  }
  return lines.join('\n');
}
