/** Entry point of the `hlp-proxy` binary (bin/hlp-proxy.js imports this module). */
import { runAsProgram } from '@hlp/service-runtime';
import { main } from './main.js';

await runAsProgram(() => main());
