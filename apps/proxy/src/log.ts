/** The proxy logs with the services' one log type (@hlp/service-runtime); its modules import it from here. */
export { silent, stderrLogger, type LogFn } from '@hlp/service-runtime';
