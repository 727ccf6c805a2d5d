/** Entry point of the `hlp-proxy` binary (bin/hlp-proxy.js imports this module). */
import { main } from './main.js';

process.exitCode = await main();
