/** JSON-lines logger on stderr (stdout carries only machine-readable events such as `listening`). */
import type { LogFn } from './service.js';

export function stderrLogger(service: string, quiet = false): LogFn {
  return (level, message, fields = {}) => {
    if (quiet && level === 'info') return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, service, message, ...fields })}\n`);
  };
}
