/** JSON-lines logger on stderr (stdout carries only machine-readable events such as `listening`). */
export type LogFn = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export const silent: LogFn = () => undefined;

export function stderrLogger(service: string, quiet = false): LogFn {
  return (level, message, fields = {}) => {
    if (quiet && level === 'info') return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, service, message, ...fields })}\n`);
  };
}
