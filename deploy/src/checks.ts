/**
 * What the schemas cannot see: that the objects fit together (selectors, ports, names), that the
 * services accept their args, that secrets are referenced and never inlined, and that the
 * autoscaler's metric is the proxy's request counter from the telemetry catalogue. Every check
 * returns its problems; an empty list means the manifests hang together.
 */
import { CATALOGUE, type AppName, type MetricSpec } from '@hlp/telemetry';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ManifestError } from './errors.js';
import type { Manifest } from './load.js';
import { SERVICES, containerEnv, type ServiceSpec } from './services.js';

/** Objects of one kind; call only after validateManifest (the schema vouches for the shape). */
function ofKind<T>(ms: readonly Manifest[], kind: string): { where: string; o: T }[] {
  return ms.filter((m) => m.object.kind === kind).map((m) => ({ where: m.where, o: m.object as unknown as T }));
}

function matches(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const ref = (message: string): ManifestError => new ManifestError('REFERENCE', message);

/** In-cluster DNS names of a Service: name, name.ns, name.ns.svc, name.ns.svc.cluster.local. */
function serviceFor(host: string, services: readonly { o: IService }[]): IService | undefined {
  return services
    .map((s) => s.o)
    .find((s) => {
      const { name, namespace = 'default' } = s.metadata ?? {};
      return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`].includes(host);
    });
}

function checkProbes(c: IContainer, spec: ServiceSpec, where: string): ManifestError[] {
  const out: ManifestError[] = [];
  const portNames = new Set((c.ports ?? []).map((p) => p.name));
  const probes = { readiness: c.readinessProbe, liveness: c.livenessProbe, startup: c.startupProbe };
  for (const [kind, probe] of Object.entries(probes)) {
    if (!probe) {
      if (kind !== 'startup') out.push(ref(`${where}: container ${c.name} has no ${kind} probe`));
      continue;
    }
    const get = probe.httpGet;
    const want = kind === 'readiness' ? spec.probePaths.readiness : spec.probePaths.liveness;
    if (get?.path !== want) out.push(ref(`${where}: ${c.name}'s ${kind} probe must GET ${want}, not ${get?.path ?? 'something else'}`));
    if (typeof get?.port === 'string' && !portNames.has(get.port))
      out.push(ref(`${where}: ${c.name}'s ${kind} probe names port ${get.port}, which the container does not have`));
  }
  return out;
}

function checkSecretsAndResources(c: IContainer, spec: ServiceSpec, where: string): ManifestError[] {
  const out: ManifestError[] = [];
  for (const flag of spec.secretFlags)
    if ((c.args ?? []).some((a) => a === flag || a.startsWith(`${flag}=`)))
      out.push(ref(`${where}: ${flag} puts a secret on the command line; use a Secret in env`));
  for (const name of spec.secretEnv) {
    const e = (c.env ?? []).find((x) => x.name === name);
    if (e && !e.valueFrom?.secretKeyRef) out.push(ref(`${where}: ${name} must come from a Secret (valueFrom.secretKeyRef), not a literal`));
  }
  for (const k of ['requests', 'limits'] as const)
    for (const r of ['cpu', 'memory']) if (c.resources?.[k]?.[r] === undefined) out.push(ref(`${where}: ${c.name} has no ${k}.${r}`));
  return out;
}

/** A service's container: its args through the service's parser, probes, secrets, resources, and what it connects to. */
function checkServiceContainer(d: { where: string; o: IDeployment }, c: IContainer, spec: ServiceSpec, services: readonly { o: IService }[]): ManifestError[] {
  const out = [...checkProbes(c, spec, d.where), ...checkSecretsAndResources(c, spec, d.where)];
  let parsed;
  try {
    parsed = spec.parse(c.args ?? [], containerEnv(c));
  } catch (error) {
    return [...out, error instanceof ManifestError ? error : ref(String(error))];
  }
  if (parsed.host !== '0.0.0.0') out.push(ref(`${d.where}: ${c.name} listens on ${parsed.host}; in a pod it must listen on 0.0.0.0 (--host)`));
  if (!(c.ports ?? []).some((p) => p.containerPort === parsed.port))
    out.push(ref(`${d.where}: ${c.name} listens on ${parsed.port} (--port), not a containerPort`));
  for (const url of parsed.connects) {
    const u = new URL(url);
    const s = serviceFor(u.hostname, services);
    if (!s) out.push(ref(`${d.where}: ${c.name} connects to ${u.hostname}, which is no Service here`));
    else if (!(s.spec?.ports ?? []).some((p) => p.port === Number(u.port)))
      out.push(ref(`${d.where}: ${c.name} connects to port ${u.port} of ${s.metadata?.name}, which the Service does not expose`));
  }
  const mounts = new Set((c.volumeMounts ?? []).map((v) => v.mountPath));
  for (const dir of parsed.dirs)
    if (!mounts.has(dir)) out.push(ref(`${d.where}: ${c.name} writes ${dir}, which is not a mounted volume (the root filesystem is read-only)`));
  return out;
}

/** Services and PodDisruptionBudgets select pods of a Deployment; Service ports exist on its container. */
function checkSelectors(ms: readonly Manifest[]): ManifestError[] {
  const out: ManifestError[] = [];
  const deployments = ofKind<IDeployment>(ms, 'Deployment');
  const podsOf = (sel: Record<string, string> | undefined) => deployments.filter((d) => matches(sel, d.o.spec?.template.metadata?.labels));
  for (const s of ofKind<IService>(ms, 'Service')) {
    const targets = podsOf(s.o.spec?.selector);
    if (targets.length !== 1) {
      out.push(ref(`${s.where}: Service ${s.o.metadata?.name} selects the pods of ${targets.length} Deployments (want 1)`));
      continue;
    }
    const ports = targets[0]!.o.spec!.template.spec!.containers.flatMap((c) => c.ports ?? []);
    for (const p of s.o.spec?.ports ?? []) {
      const t = p.targetPort ?? p.port;
      if (!ports.some((cp) => cp.name === t || cp.containerPort === t))
        out.push(ref(`${s.where}: Service port ${p.port} targets ${t}, which no container port is`));
    }
  }
  for (const p of ofKind<IPodDisruptionBudget>(ms, 'PodDisruptionBudget')) {
    if (podsOf(p.o.spec?.selector?.matchLabels).length !== 1)
      out.push(ref(`${p.where}: PodDisruptionBudget ${p.o.metadata?.name} selects no Deployment's pods`));
  }
  for (const d of deployments)
    if (!matches(d.o.spec?.selector.matchLabels, d.o.spec?.template.metadata?.labels))
      out.push(ref(`${d.where}: the selector does not match the pod template`));
  return out;
}

/** Secrets are referenced, never committed with their values. */
function checkNoInlineSecrets(ms: readonly Manifest[]): ManifestError[] {
  return ms
    .filter((m) => m.object.kind === 'Secret' && (m.object['data'] !== undefined || m.object['stringData'] !== undefined))
    .map((m) => ref(`${m.where}: Secret ${m.object.metadata.name} carries its values; create it at deploy time and reference it`));
}

const AdapterConfig = z.object({
  rules: z.array(z.object({ seriesQuery: z.string(), name: z.object({ matches: z.string(), as: z.string() }), metricsQuery: z.string() })).min(1),
});

/** The catalogue metric behind a series name: a counter, or the `_count` counter of a histogram. */
function catalogueMetric(series: string): MetricSpec | undefined {
  return Object.values(CATALOGUE as Record<string, MetricSpec>).find(
    (m) => (m.type === 'counter' && m.name === series) || (m.type === 'histogram' && `${m.name}_count` === series),
  );
}

/** The HPA's custom metrics: each served by an adapter rule over a request counter the scaled app exports. */
function checkAutoscaling(ms: readonly Manifest[]): ManifestError[] {
  const out: ManifestError[] = [];
  const rules = new Map<string, { series: string; query: string }>();
  for (const m of ms.filter((x) => x.object.kind === 'ConfigMap' && /prometheus-adapter/.test(x.object.metadata.name))) {
    const data = (m.object['data'] ?? {}) as Record<string, string>;
    const parsed = AdapterConfig.safeParse(parseYaml(data['config.yaml'] ?? ''));
    if (!parsed.success) {
      out.push(ref(`${m.where}: config.yaml is not a prometheus-adapter rule list: ${parsed.error.message}`));
      continue;
    }
    for (const r of parsed.data.rules) rules.set(r.name.as, { series: /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(r.seriesQuery)?.[0] ?? '', query: r.metricsQuery });
  }
  const deployments = ofKind<IDeployment>(ms, 'Deployment');
  for (const h of ofKind<IHorizontalPodAutoscaler>(ms, 'HorizontalPodAutoscaler')) {
    const target = deployments.find((d) => d.o.metadata?.name === h.o.spec?.scaleTargetRef.name);
    if (!target) {
      out.push(ref(`${h.where}: scales ${h.o.spec?.scaleTargetRef.name}, which is no Deployment here`));
      continue;
    }
    if (target.o.spec?.replicas !== undefined)
      out.push(ref(`${target.where}: sets replicas although ${h.o.metadata?.name} scales it (each apply would reset the count)`));
    const app = target.o.spec?.template.spec?.containers[0]?.name as AppName | undefined;
    const custom = (h.o.spec?.metrics ?? []).filter((x) => x.type === 'Pods' || x.type === 'External');
    if (custom.length === 0) out.push(ref(`${h.where}: no Pods or External metric: the request rate does not drive scaling`));
    for (const metric of custom) {
      const name = metric.pods?.metric.name ?? metric.external?.metric.name ?? '';
      const rule = rules.get(name);
      const spec = rule ? catalogueMetric(rule.series) : undefined;
      if (!rule) out.push(ref(`${h.where}: metric ${name} is served by no prometheus-adapter rule here`));
      else if (!spec) out.push(ref(`${h.where}: metric ${name} comes from ${rule.series}, which is no counter in @hlp/telemetry's catalogue`));
      else if (!app || !spec.apps.includes(app)) out.push(ref(`${h.where}: ${rule.series} is not exported by ${app ?? 'the scaled app'}`));
      else
        for (const [, label] of rule.query.matchAll(/[{,]\s*([a-z_]+)\s*=/g))
          if (!spec.labels.includes(label!)) out.push(ref(`${h.where}: ${rule.series} has no label ${label}`));
    }
  }
  return out;
}

/** Every problem of the manifests beyond their schemas (empty: they fit together and fit the code). */
export function checkManifests(ms: readonly Manifest[]): ManifestError[] {
  const services = ofKind<IService>(ms, 'Service');
  const out: ManifestError[] = [...checkSelectors(ms), ...checkNoInlineSecrets(ms), ...checkAutoscaling(ms)];
  const seen = new Set<string>();
  for (const d of ofKind<IDeployment>(ms, 'Deployment')) {
    for (const c of d.o.spec?.template.spec?.containers ?? []) {
      const spec = SERVICES.find((s) => s.container === c.name);
      if (!spec) continue;
      seen.add(spec.container);
      out.push(...checkServiceContainer(d, c, spec, services));
    }
  }
  for (const s of SERVICES) if (!seen.has(s.container)) out.push(ref(`no Deployment runs the ${s.container} container`));
  return out;
}
