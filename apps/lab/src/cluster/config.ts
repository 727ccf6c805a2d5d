/**
 * What `hlp cluster up` is asked for (validated with zod) and the topology derived from it:
 * names, addresses and ports of every host. Pure: nothing here touches the machine.
 */
import { z } from 'zod';
import { ClusterError } from './errors.js';

/** Every namespace, link and process of a cluster carries its name, which starts with this. */
export const NAME_PREFIX = 'hlp';
export const MAX_INSTANCES = 8;
/** Ports inside each host's namespace (every host has its own address, so they can be fixed). */
export const PROXY_PORT = 8080;
export const INFERENCE_PORT = 9090;
/** On the bridge address of the root namespace, reachable from the hosts only. */
export const INFERENCE_LB_PORT = 9000;
export const REDIS_PORT = 6379;

const PRIVATE_24 = /^(10\.\d{1,3}\.\d{1,3}|172\.(1[6-9]|2\d|3[01])\.\d{1,3}|192\.168\.\d{1,3})\.0\/24$/;

export const UpOptions = z
  .object({
    name: z
      .string()
      .regex(/^hlp[a-z0-9]{1,4}$/, "--name is 'hlp' and 1–4 lower-case letters or digits (it prefixes namespace and link names, at most 15 characters)")
      .default('hlpc'),
    proxies: z.coerce.number().int().min(1).max(MAX_INSTANCES).default(2),
    inference: z.coerce.number().int().min(1).max(MAX_INSTANCES).default(2),
    subnet: z
      .string()
      .regex(PRIVATE_24, '--subnet is a private /24 ending in .0/24 (10/8, 172.16/12 or 192.168/16), e.g. 10.231.0.0/24')
      .refine(
        (s) =>
          s
            .split('/')[0]!
            .split('.')
            .every((o) => Number(o) <= 255),
        { message: '--subnet has an octet above 255' },
      )
      .default('10.231.0.0/24'),
    delayMs: z.coerce.number().min(0).max(10_000).default(1),
    lossPct: z.coerce.number().min(0).max(100).default(0),
    port: z.coerce.number().int().min(0).max(65535).default(0),
    prometheusPort: z.coerce.number().int().min(0).max(65535).default(0),
    backend: z.enum(['native', 'seal']).default('native'),
    workloads: z
      .string()
      .regex(/^(affine|projection|mlp)(,(affine|projection|mlp))*$/, '--workloads is a comma-separated list of affine, projection, mlp')
      .default('affine'),
    proxyWorkers: z.coerce.number().int().min(1).max(16).default(1),
    startTimeout: z.coerce.number().int().min(5).max(600).default(120),
    prometheus: z.boolean().default(true),
  })
  .strict();
export type UpOptions = z.infer<typeof UpOptions>;

export type Role = 'proxy' | 'inference' | 'redis';

export interface HostPlan {
  /** p1, p2, …, i1, i2, …, r1 */
  readonly id: string;
  readonly role: Role;
  /** Network namespace, also the name of the host's veth end in the root namespace. */
  readonly netns: string;
  readonly address: string;
  readonly port: number;
}

export interface Topology {
  readonly name: string;
  readonly bridge: string;
  /** The root namespace's address on the bridge: load balancer, Redis, Prometheus. */
  readonly gateway: string;
  readonly prefixLength: 24;
  readonly hosts: readonly HostPlan[];
}

/** Parses `up` options; a bad value is BAD_OPTION with the field's message. */
export function parseUpOptions(raw: unknown): UpOptions {
  const parsed = UpOptions.safeParse(raw);
  if (!parsed.success) throw new ClusterError('BAD_OPTION', parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; '));
  return parsed.data;
}

/** Names and addresses: gateway .1, Redis .5, proxies .11…, inference services .21… */
export function topology(opts: Pick<UpOptions, 'name' | 'subnet' | 'proxies' | 'inference'>): Topology {
  const base = opts.subnet.split('/')[0]!.split('.').slice(0, 3).join('.');
  const hosts: HostPlan[] = [];
  for (let i = 1; i <= opts.proxies; i++)
    hosts.push({ id: `p${i}`, role: 'proxy', netns: `${opts.name}-p${i}`, address: `${base}.${10 + i}`, port: PROXY_PORT });
  for (let i = 1; i <= opts.inference; i++)
    hosts.push({ id: `i${i}`, role: 'inference', netns: `${opts.name}-i${i}`, address: `${base}.${20 + i}`, port: INFERENCE_PORT });
  // Redis is a host too: a fault restarts it there, and a crash leaves it inside a namespace that the next start removes.
  hosts.push({ id: 'r1', role: 'redis', netns: `${opts.name}-r1`, address: `${base}.5`, port: REDIS_PORT });
  return { name: opts.name, bridge: `${opts.name}-br`, gateway: `${base}.1`, prefixLength: 24, hosts };
}

/** Parses a cluster name given to down/fault/run (same rule as up's). */
export function parseName(raw: unknown): string {
  return parseUpOptions({ name: raw ?? 'hlpc' }).name;
}
