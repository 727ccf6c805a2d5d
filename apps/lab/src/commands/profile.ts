/**
 * `hlp profile --tool doctor|flame|bubbleprof|cpuprof [scenario]`: profile the proxy under load
 * (profile/run.ts: cpuprof built in, the others through Clinic.js). See docs/profiling.md.
 */
import { Option, type Command } from 'commander';
import type { Io } from '../io.js';
import { TOOLS } from '../profile/common.js';
import { profileCommand } from '../profile/run.js';

export function registerProfileCommand(program: Command, io: Io): void {
  program
    .command('profile')
    .description(
      'profile the proxy under load: cpuprof (node --cpu-prof, built in; prints the top self-time functions) or Clinic.js doctor|flame|bubbleprof (HTML report in the run folder)',
    )
    .argument('[scenario]', 'short | medium | full (default short)')
    .addOption(new Option('--tool <tool>', 'profiler').choices([...TOOLS]).default('cpuprof'))
    .option('--rate <req/s>', 'offered load, open loop', '20')
    .option('--duration <s>', 'seconds of load', '10')
    .option('--top <n>', 'cpuprof: functions to list', '10')
    .option('--clinic-timeout <s>', 'doctor|flame|bubbleprof: seconds clinic may take to analyse after the load', '300')
    .option('--out <dir>', 'run folder (default runs/profile-<time>-<tool>)')
    .action(async (scenario: string | undefined, _o: unknown, command: Command) => {
      await profileCommand(scenario, command.opts(), io);
    });
}
