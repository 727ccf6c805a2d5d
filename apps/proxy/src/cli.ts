/** Entry point of the `hlp-proxy` binary (bin/hlp-proxy.js imports this module). */
import { isClusterWorker } from '@hlp/service-runtime';
import { main } from './main.js';

process.exitCode = await main();
// A cluster worker's IPC channel would keep it alive after the drain: let it go.
if (isClusterWorker()) process.disconnect?.();
