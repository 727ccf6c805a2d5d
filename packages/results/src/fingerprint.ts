import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { GitInfo, GpuInfo, MachineFingerprint } from './schema.js';

const execFileAsync = promisify(execFile);

/** The CPU flags the kernels care about, in the order they are reported. */
export const RELEVANT_CPU_FLAGS: readonly string[] = [
  // x86
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'bmi1',
  'bmi2',
  'adx',
  'aes',
  'pclmulqdq',
  'sha_ni',
  'vaes',
  'vpclmulqdq',
  'gfni',
  'avx512f',
  'avx512dq',
  'avx512cd',
  'avx512bw',
  'avx512vl',
  'avx512ifma',
  'avx512vbmi',
  'avx512_vbmi2',
  'avx512_vnni',
  'avx512_bf16',
  'avx512_fp16',
  // aarch64
  'asimd',
  'sve',
  'sve2',
  'pmull',
  'sha2',
  'sha3',
];

/** The fingerprint fields the machine class is derived from (or the whole fingerprint). */
export type MachineFacts = Pick<MachineFingerprint, 'arch' | 'cpuModel' | 'cpuFlags' | 'logicalCores' | 'memoryBytes' | 'gpu'>;

/** Best instruction-set tier first; the first present names the machine class. */
const ISA_TIERS: readonly string[] = ['avx512ifma', 'avx512f', 'avx2', 'avx', 'sse4_2', 'sve2', 'sve', 'asimd'];

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Words of a CPU model name that say nothing about the chip. */
const CPU_NOISE = /^(cpu|processor|\d+-core|with)$/i;

/**
 * The CPU line of a model name: vendor, family and model number where the host shows them,
 * without trademarks and clock ("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz" →
 * `intel-xeon-platinum-8375c`, "AMD EPYC" → `amd-epyc`). Two hosts with the same instruction
 * sets, cores and memory ran the same kernels 1.7–2.2× apart when one was an AMD EPYC and the
 * other an Intel Xeon: the ISA tier alone does not make a class.
 */
export function cpuLine(model: string): string {
  const words = (model.replace(/\((r|tm)\)/gi, ' ').split('@')[0] ?? '').split(/\s+/).filter((w) => w !== '' && !CPU_NOISE.test(w));
  return slug(words.slice(0, 4).join(' ')) || 'unknown-cpu';
}

/**
 * A short, stable slug for a machine: `<arch>-<CPU line>-<best ISA tier>-<cores>c-<GiB>g`, plus
 * `-gpu-<model>` (with `<count>x` when several) when there are GPUs, e.g.
 * `x86_64-intel-xeon-avx512ifma-2c-24g` or `x86_64-amd-epyc-9r14-avx512ifma-16c-126g-gpu-h100-80gb-hbm3`.
 * It depends only on the fields it names, so the same fingerprint always gives the same slug.
 */
export function machineClass(fp: MachineFacts): string {
  const arch = slug(fp.arch) || 'unknown';
  const flags = new Set(fp.cpuFlags);
  const tier = ISA_TIERS.find((f) => flags.has(f)) ?? 'generic';
  const memGiB = Math.round(fp.memoryBytes / 2 ** 30);
  let name = `${arch}-${cpuLine(fp.cpuModel)}-${slug(tier)}-${fp.logicalCores}c-${memGiB}g`;
  if (fp.gpu && fp.gpu.length > 0) {
    const model = slug(fp.gpu[0]!.name.replace(/^nvidia\s+/i, '')) || 'gpu';
    name += `-gpu-${fp.gpu.length > 1 ? `${fp.gpu.length}x` : ''}${model}`;
  }
  return name;
}

/** Parses /proc/cpuinfo text: the first model name and the union of the flag lines. */
export function parseCpuinfo(text: string): { model: string | null; flags: Set<string> } {
  let model: string | null = null;
  const flags = new Set<string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (model === null && (key === 'model name' || key === 'hardware' || key === 'cpu model')) model = value || null;
    if (key === 'flags' || key === 'features') for (const f of value.split(/\s+/)) if (f) flags.add(f);
  }
  return { model, flags };
}

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader` output. */
export function parseNvidiaSmi(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const cut = line.lastIndexOf(',');
    const name = (cut < 0 ? line : line.slice(0, cut)).trim();
    const mem = cut < 0 ? NaN : Number.parseFloat(line.slice(cut + 1));
    gpus.push({ name, memoryMiB: Number.isFinite(mem) ? mem : 0 });
  }
  return gpus;
}

function onPath(binary: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

async function gpus(): Promise<GpuInfo[] | null> {
  const smi = onPath('nvidia-smi');
  if (!smi) return null;
  try {
    const { stdout } = await execFileAsync(smi, ['--query-gpu=name,memory.total', '--format=csv,noheader'], {
      timeout: 10_000,
      encoding: 'utf8',
    });
    const list = parseNvidiaSmi(stdout);
    return list.length > 0 ? list : null;
  } catch {
    return null;
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function distro(): Promise<string | null> {
  const text = await readText('/etc/os-release');
  const match = text?.match(/^PRETTY_NAME="?([^"\n]*)"?$/m);
  return match?.[1] ?? null;
}

export interface FingerprintOptions {
  /** Query nvidia-smi when it is on PATH (default true). */
  readonly gpu?: boolean;
}

/** Describes this machine: CPU model and relevant flags, cores, memory, OS, Node, GPUs. */
export async function fingerprint(options: FingerprintOptions = {}): Promise<MachineFingerprint> {
  const [cpuinfo, distroName, gpuList] = await Promise.all([
    process.platform === 'linux' ? readText('/proc/cpuinfo') : Promise.resolve(null),
    distro(),
    options.gpu === false ? Promise.resolve(null) : gpus(),
  ]);
  const parsed = cpuinfo ? parseCpuinfo(cpuinfo) : { model: null, flags: new Set<string>() };
  const cpus = os.cpus();
  const base = {
    arch: os.machine(),
    cpuModel: (parsed.model ?? cpus[0]?.model ?? 'unknown').trim(),
    cpuFlags: RELEVANT_CPU_FLAGS.filter((f) => parsed.flags.has(f)),
    logicalCores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    os: { platform: process.platform, release: os.release(), version: os.version(), distro: distroName },
    node: process.version,
    gpu: gpuList,
  };
  return { ...base, machineClass: machineClass(base) };
}

async function git(cwd: string, args: readonly string[]): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync('git', [...args], { cwd, timeout: 10_000, encoding: 'utf8' });
    return stdout.trim();
  } catch {
    return null;
  }
}

/** Commit, dirty flag and branch of the checkout holding `cwd`; null fields outside one. */
export async function gitInfo(cwd: string = process.cwd()): Promise<GitInfo> {
  const inside = await git(cwd, ['rev-parse', '--is-inside-work-tree']);
  if (inside !== 'true') return { commit: null, dirty: null, branch: null };
  const [commit, status, branch] = await Promise.all([
    git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD']),
    git(cwd, ['status', '--porcelain', '--untracked-files=no']),
    git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']),
  ]);
  return {
    commit: commit || null,
    dirty: status === null ? null : status.length > 0,
    branch: branch || null,
  };
}
