/**
 * The one log type of both services and their cluster supervisor: JSON lines on stderr, since
 * stdout carries only machine-readable events such as `listening`.
 */
export type LogLevel = 'info' | 'warn' | 'error';

export type LogFn = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export const silent: LogFn = () => undefined;

/** `quiet` drops info lines; warnings and errors always go out. */
export function stderrLogger(service: string, quiet = false): LogFn {
  return (level, message, fields = {}) => {
    if (quiet && level === 'info') return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, service, message, ...fields })}\n`);
  };
}
