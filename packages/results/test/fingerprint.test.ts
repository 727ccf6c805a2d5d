import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { MachineFingerprint, cpuLine, fingerprint, gitInfo, machineClass, parseCpuinfo, parseNvidiaSmi } from '../src/index.js';

describe('fingerprint', () => {
  it('has the fields and validates', async () => {
    const fp = await fingerprint();
    MachineFingerprint.parse(fp);
    assert.ok(fp.cpuModel.length > 0);
    assert.ok(Array.isArray(fp.cpuFlags));
    assert.ok(fp.logicalCores >= 1);
    assert.ok(fp.memoryBytes > 0);
    assert.equal(fp.node, process.version);
    assert.ok(fp.os.release.length > 0);
    assert.ok(fp.gpu === null || fp.gpu.length > 0);
    assert.match(fp.machineClass, /^[a-z0-9_]+-[a-z0-9-]+-[a-z0-9_]+-\d+c-\d+g(-gpu-.+)?$/);
    assert.ok(fp.machineClass.includes(cpuLine(fp.cpuModel)));
    if (process.platform === 'linux' && process.arch === 'x64') assert.ok(fp.cpuFlags.includes('sse4_2') || fp.cpuFlags.length === 0);
  });

  it('machineClass is stable for the same fingerprint', async () => {
    const a = await fingerprint();
    const b = await fingerprint();
    assert.equal(a.machineClass, b.machineClass);
    assert.equal(machineClass(a), a.machineClass);
    assert.equal(machineClass(structuredClone(a)), a.machineClass);
  });

  it('machineClass formats the slug', () => {
    const base = {
      arch: 'x86_64',
      cpuModel: 'Intel(R) Xeon(R) Processor',
      cpuFlags: ['avx2', 'avx512f', 'avx512ifma'],
      logicalCores: 2,
      memoryBytes: 25_276_518_400,
      gpu: null,
    };
    assert.equal(machineClass(base), 'x86_64-intel-xeon-avx512ifma-2c-24g');
    assert.equal(machineClass({ ...base, cpuModel: 'AMD EPYC' }), 'x86_64-amd-epyc-avx512ifma-2c-24g');
    assert.equal(machineClass({ ...base, cpuFlags: ['avx2'] }), 'x86_64-intel-xeon-avx2-2c-24g');
    assert.equal(machineClass({ ...base, cpuFlags: [] }), 'x86_64-intel-xeon-generic-2c-24g');
    assert.equal(
      machineClass({ ...base, logicalCores: 16, gpu: [{ name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 }] }),
      'x86_64-intel-xeon-avx512ifma-16c-24g-gpu-h100-80gb-hbm3',
    );
    assert.equal(
      machineClass({
        ...base,
        gpu: [
          { name: 'NVIDIA H200', memoryMiB: 1 },
          { name: 'NVIDIA H200', memoryMiB: 1 },
        ],
      }),
      'x86_64-intel-xeon-avx512ifma-2c-24g-gpu-2xh200',
    );
  });

  it('cpuLine keeps vendor, family and model number, not trademarks, clock or core counts', () => {
    assert.equal(cpuLine('Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz'), 'intel-xeon-platinum-8375c');
    assert.equal(cpuLine('AMD EPYC 9R14 96-Core Processor'), 'amd-epyc-9r14');
    assert.equal(cpuLine('AMD EPYC'), 'amd-epyc');
    assert.equal(cpuLine('Neoverse-V2'), 'neoverse-v2');
    assert.equal(cpuLine('AMD Ryzen 9 7950X 16-Core Processor'), 'amd-ryzen-9-7950x');
    assert.equal(cpuLine('unknown'), 'unknown');
    assert.equal(cpuLine('  (R)  '), 'unknown-cpu');
  });

  it('queries nvidia-smi when it is on PATH', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'hlp-fake-smi-'));
    const saved = process.env['PATH'];
    try {
      const script = join(bin, 'nvidia-smi');
      await writeFile(
        script,
        '#!/bin/sh\n[ "$1" = "--query-gpu=name,memory.total" ] && [ "$2" = "--format=csv,noheader" ] || exit 9\necho "NVIDIA H100 80GB HBM3, 81559 MiB"\n',
      );
      await chmod(script, 0o755);
      process.env['PATH'] = `${bin}${delimiter}${saved ?? ''}`;
      const fp = await fingerprint();
      assert.deepEqual(fp.gpu, [{ name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 }]);
      assert.match(fp.machineClass, /-gpu-h100-80gb-hbm3$/);
      assert.equal((await fingerprint({ gpu: false })).gpu, null);
    } finally {
      process.env['PATH'] = saved;
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('parses /proc/cpuinfo and nvidia-smi output', () => {
    const info = parseCpuinfo(
      'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f bmi2\n',
    );
    assert.equal(info.model, 'AMD EPYC');
    assert.deepEqual([...info.flags].sort(), ['avx2', 'avx512f', 'bmi2', 'fpu']);
    assert.deepEqual(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559 MiB\nNVIDIA H100 80GB HBM3, 81559 MiB\n'), [
      { name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 },
      { name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 },
    ]);
  });
});

describe('gitInfo', () => {
  it('returns commit/dirty/branch fields (null outside a checkout)', async () => {
    const inRepo = await gitInfo();
    assert.ok(inRepo.commit === null || /^[0-9a-f]{40}$/.test(inRepo.commit));
    assert.ok(inRepo.dirty === null || typeof inRepo.dirty === 'boolean');
    const outside = await gitInfo('/');
    assert.deepEqual(outside, { commit: null, dirty: null, branch: null });
  });
});
