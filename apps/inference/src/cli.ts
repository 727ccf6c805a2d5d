/** Entry point of the `hlp-inference` binary (bin/hlp-inference.js imports this module). */
import { runAsProgram } from '@hlp/service-runtime';
import { main } from './main.js';

await runAsProgram(() => main());
