/** What both gate modes share: the thresholds they use, and how a report is written out. */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  appendHistory,
  defaultHistoryPath,
  historyEntry,
  readConfig,
  renderJson,
  renderMarkdown,
  renderText,
  resolveConfig,
  type GateConfig,
  type GateReport,
} from '@hlp/gate';
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { CONFIG_FILE, type GateCliOptions } from './options.js';

export async function loadConfig(opts: GateCliOptions, baselinesDir: string): Promise<GateConfig> {
  if (opts.config) return readConfig(resolve(opts.config));
  const implicit = join(baselinesDir, CONFIG_FILE);
  return existsSync(implicit) ? readConfig(implicit) : resolveConfig();
}

/** Writes the report: table (stdout, or stderr under --json), Markdown file(s), JSON, history. */
export async function publish(report: GateReport, opts: GateCliOptions, baselinesDir: string, io: Io): Promise<void> {
  (opts.json ? io.stderr : io.stdout).write(`${renderText(report)}\n`);
  const markdown = renderMarkdown(report);
  if (opts.markdown) {
    const path = resolve(opts.markdown);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, markdown, 'utf8');
    } catch (error) {
      throw new LabError('INFRA', `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    io.stderr.write(`wrote ${path}\n`);
  }
  const summary = process.env['GITHUB_STEP_SUMMARY'];
  if (summary && !opts.markdown) await appendFile(summary, `${markdown}\n`).catch(() => undefined);
  if (opts.history !== false) {
    const path = typeof opts.history === 'string' ? resolve(opts.history) : defaultHistoryPath(baselinesDir);
    await appendHistory(path, historyEntry(report));
    io.stderr.write(`appended to ${path}\n`);
  }
  if (opts.json) io.stdout.write(renderJson(report));
  if (report.outcome === 'fail') {
    const c = report.counts;
    throw new LabError(
      'GATE',
      `gate failed: ${c.regression} regression(s), ${c.targetsMissed} missed target(s)${report.strict ? `, ${c.inconclusive} inconclusive (strict)` : ''}`,
    );
  }
}
