/** Entry point of the `hlp-inference` binary (bin/hlp-inference.js imports this module). */
import { main } from './main.js';

process.exitCode = await main();
