/** Entry point of the `hlp` binary (bin/hlp.js imports this module). */
import { main } from './main.js';

process.exitCode = await main();
