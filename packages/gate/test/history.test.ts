import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeBaseline } from '../src/baseline.js';
import { GateError } from '../src/errors.js';
import { runGate } from '../src/gate.js';
import { appendHistory, historyEntry, readHistory, type HistoryEntry } from '../src/history.js';
import { lognormal, run } from './helpers.js';

let dir: string;
let entry: HistoryEntry;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-gate-history-'));
  const b = makeBaseline([run([{ name: 'op', labels: { n: 1 }, samples: lognormal(100, 100, 0.05, 1) }])]);
  const report = await runGate({
    current: run([{ name: 'op', labels: { n: 1 }, samples: lognormal(100, 101, 0.05, 2) }], { commit: 'c'.repeat(40) }),
    baseline: b,
  });
  entry = historyEntry(report);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('history.jsonl', () => {
  it('one line per gated run: commit, date, machine class, key medians, verdicts', async () => {
    const path = join(dir, 'a', 'history.jsonl');
    await appendHistory(path, entry);
    await appendHistory(path, { ...entry, outcome: 'fail' });
    const text = await readFile(path, 'utf8');
    assert.equal(text.split('\n').length, 3);
    const h = await readHistory(path);
    assert.equal(h.entries.length, 2);
    assert.deepEqual(h.problems, []);
    const e = h.entries[0]!;
    assert.equal(e.commit, 'c'.repeat(40));
    assert.equal(e.machineClass, 'x86_64-avx2-2c-8g');
    assert.equal(e.metrics[0]!.name, 'op');
    assert.equal(e.metrics[0]!.verdict, 'unchanged');
    assert.ok(e.metrics[0]!.median > 90);
    assert.equal(e.targets.length, 5);
    assert.equal(h.entries[1]!.outcome, 'fail');
  });

  it('a corrupt line is reported and skipped, never fatal; nothing else is lost', async () => {
    const path = join(dir, 'b.jsonl');
    await appendHistory(path, entry);
    await appendFile(path, '{"schema":"hlp.history/1","date":"yesterday"}\nnot json at all\n');
    await appendHistory(path, entry);
    await appendFile(path, '{"torn": '); // a write cut short: no newline
    await appendHistory(path, entry);
    const h = await readHistory(path);
    assert.equal(h.entries.length, 3);
    assert.deepEqual(
      h.problems.map((p) => p.line),
      [2, 3, 5],
    );
    assert.match(h.problems[0]!.message, /date/);
    assert.match(h.problems[1]!.message, /not JSON/);
  });

  it('a missing file is an empty history; an invalid entry is refused', async () => {
    assert.deepEqual(await readHistory(join(dir, 'none.jsonl')), { entries: [], problems: [] });
    await assert.rejects(
      appendHistory(join(dir, 'c.jsonl'), { ...entry, outcome: 'maybe' } as unknown as HistoryEntry),
      (e: unknown) => e instanceof GateError && e.code === 'INVALID_HISTORY_ENTRY' && /outcome/.test(e.message),
    );
    await writeFile(join(dir, 'c.jsonl'), '');
    assert.deepEqual((await readHistory(join(dir, 'c.jsonl'))).entries, []);
  });
});
