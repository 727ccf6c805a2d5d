import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ManifestError, checkManifests, loadManifests, parseManifests, validateManifest, type Manifest } from '@hlp/deploy';

let committed: Manifest[] = [];
before(async () => {
  committed = await loadManifests();
});

/** A manifest's parsed YAML, as the tests break it. */
type Yaml = string | number | boolean | null | Yaml[] | YamlMap;
interface YamlMap {
  [key: string]: Yaml;
}
type Change = (o: YamlMap) => void;

/** A deep copy of the committed manifests with one object changed. */
function changed(kind: string, name: string, change: Change): Manifest[] {
  const copy = committed.map((m) => ({ where: m.where, object: structuredClone(m.object) }));
  const target = copy.find((m) => m.object.kind === kind && m.object.metadata.name === name);
  assert.ok(target, `${kind} ${name} is in deploy/k8s`);
  // Parsed YAML holds nothing but plain data; the schema type only knows the head of the object.
  change(target.object as unknown as YamlMap);
  return copy;
}

const isMap = (v: Yaml | undefined): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What `path` reaches below `o`: keys into maps, indexes into lists. */
function walk(o: YamlMap, path: readonly (string | number)[]): Yaml | undefined {
  let here: Yaml | undefined = o;
  for (const step of path) here = Array.isArray(here) ? here[Number(step)] : isMap(here) ? here[String(step)] : undefined;
  return here;
}

/** The map at `path` below `o`; a test whose manifests lack it fails there. */
function node(o: YamlMap, ...path: (string | number)[]): YamlMap {
  const found = walk(o, path);
  assert.ok(isMap(found), `no map at ${path.join('.')}`);
  return found;
}

/** The list at `path` below `o`. */
function list(o: YamlMap, ...path: (string | number)[]): Yaml[] {
  const found = walk(o, path);
  assert.ok(Array.isArray(found), `no list at ${path.join('.')}`);
  return found;
}

/** The string at `path` below `o`. */
function text(o: YamlMap, ...path: (string | number)[]): string {
  const found = walk(o, path);
  assert.ok(typeof found === 'string', `no string at ${path.join('.')}`);
  return found;
}

const container = (o: YamlMap): YamlMap => node(o, 'spec', 'template', 'spec', 'containers', 0);

function problems(ms: readonly Manifest[]): string[] {
  return checkManifests(ms).map((e) => `${e.code}: ${e.message}`);
}

describe('deploy/k8s against the Kubernetes schemas', () => {
  it('every object is valid for its kind; the expected objects are all there', () => {
    for (const m of committed) validateManifest(m);
    const kinds = committed.map((m) => `${m.object.apiVersion} ${m.object.kind} ${m.object.metadata.name}`).sort();
    for (const want of [
      'apps/v1 Deployment hlp-proxy',
      'apps/v1 Deployment hlp-inference',
      'apps/v1 Deployment hlp-redis',
      'v1 Service hlp-proxy',
      'v1 Service hlp-inference',
      'v1 Service hlp-redis',
      'autoscaling/v2 HorizontalPodAutoscaler hlp-proxy',
      'policy/v1 PodDisruptionBudget hlp-proxy',
      'policy/v1 PodDisruptionBudget hlp-inference',
    ]) {
      assert.ok(kinds.includes(want), `${want} missing from ${kinds.join(', ')}`);
    }
  });

  const broken: [string, string, string, Change, RegExp][] = [
    ['replicas not a number', 'Deployment', 'hlp-inference', (o) => (node(o, 'spec')['replicas'] = 'two'), /replicas must be integer/],
    ['a container without a name', 'Deployment', 'hlp-proxy', (o) => delete container(o)['name'], /required property name/],
    ['a Deployment without a selector', 'Deployment', 'hlp-redis', (o) => delete node(o, 'spec')['selector'], /required property selector/],
    [
      'a probe port that is an object',
      'Deployment',
      'hlp-proxy',
      (o) => (node(container(o), 'readinessProbe', 'httpGet')['port'] = { name: 'http' }),
      /port must be/,
    ],
    ['an HPA without maxReplicas', 'HorizontalPodAutoscaler', 'hlp-proxy', (o) => delete node(o, 'spec')['maxReplicas'], /required property maxReplicas/],
    [
      'an HPA metric without a target',
      'HorizontalPodAutoscaler',
      'hlp-proxy',
      (o) => delete node(o, 'spec', 'metrics', 0, 'pods')['target'],
      /required property target/,
    ],
    ['a Service port out of type', 'Service', 'hlp-proxy', (o) => (node(o, 'spec', 'ports', 0)['port'] = '8080'), /port must be integer/],
  ];
  for (const [what, kind, name, change, message] of broken) {
    it(`rejects ${what}`, () => {
      const m = changed(kind, name, change).find((x) => x.object.kind === kind && x.object.metadata.name === name)!;
      assert.throws(
        () => validateManifest(m),
        (e: unknown) => e instanceof ManifestError && e.code === 'SCHEMA' && message.test(e.message),
      );
    });
  }

  it('rejects a kind or version it has no schema for, and YAML that is no Kubernetes object', () => {
    const [old] = parseManifests('apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n', 'old.yaml');
    assert.throws(
      () => validateManifest(old!),
      (e: unknown) => e instanceof ManifestError && e.code === 'UNKNOWN_KIND',
    );
    assert.throws(
      () => parseManifests('kind: Service\nmetadata: {name: x}\n', 'x.yaml'),
      (e: unknown) => e instanceof ManifestError && e.code === 'YAML' && /apiVersion/.test(e.message),
    );
    assert.throws(
      () => parseManifests('a: [1, 2\n', 'bad.yaml'),
      (e: unknown) => e instanceof ManifestError && e.code === 'YAML',
    );
  });
});

describe('deploy/k8s against the code', () => {
  it('the committed manifests fit together and the services accept their args', () => {
    assert.deepEqual(problems(committed), []);
  });

  const broken: [string, string, string, Change, RegExp][] = [
    ['a flag the proxy does not know', 'Deployment', 'hlp-proxy', (o) => list(container(o), 'args').push('--upstream-url', 'x'), /ARGS: proxy: .*upstream-url/],
    [
      'a bad value for an inference flag',
      'Deployment',
      'hlp-inference',
      (o) => list(container(o), 'args').push('--max-queue', 'lots'),
      /ARGS: inference: .*max-queue/,
    ],
    ['a --port that is not the container port', 'Deployment', 'hlp-proxy', (o) => (list(container(o), 'args')[3] = '9090'), /listens on 9090/],
    ['listening on loopback only', 'Deployment', 'hlp-inference', (o) => (list(container(o), 'args')[1] = '127.0.0.1'), /must listen on 0\.0\.0\.0/],
    [
      'an upstream that is no Service',
      'Deployment',
      'hlp-proxy',
      (o) => (list(container(o), 'args')[5] = 'http://inference.hlp.svc.cluster.local:8081'),
      /connects to inference\.hlp/,
    ],
    [
      'an upstream port the Service lacks',
      'Deployment',
      'hlp-proxy',
      (o) => (list(container(o), 'args')[5] = 'http://hlp-inference.hlp.svc.cluster.local:9000'),
      /port 9000/,
    ],
    ['a Redis that is no Service', 'Deployment', 'hlp-inference', (o) => (node(container(o), 'env', 1)['value'] = 'redis://redis:6379'), /connects to redis/],
    [
      'an L3 directory that is not mounted',
      'Deployment',
      'hlp-inference',
      (o) => (container(o)['volumeMounts'] = list(container(o), 'volumeMounts').slice(1)),
      /writes \/var\/cache\/hlp-keys/,
    ],
    [
      'readiness on a path the proxy does not answer',
      'Deployment',
      'hlp-proxy',
      (o) => (node(container(o), 'readinessProbe', 'httpGet')['path'] = '/ready'),
      /readiness probe must GET \/readyz/,
    ],
    [
      'liveness on /readyz',
      'Deployment',
      'hlp-proxy',
      (o) => (node(container(o), 'livenessProbe', 'httpGet')['path'] = '/readyz'),
      /liveness probe must GET \/healthz/,
    ],
    ['no liveness probe', 'Deployment', 'hlp-inference', (o) => delete container(o)['livenessProbe'], /no liveness probe/],
    [
      'a token inlined in env',
      'Deployment',
      'hlp-proxy',
      (o) => (list(container(o), 'env')[0] = { name: 'HLP_SERVICE_TOKEN', value: 'hunter2' }),
      /HLP_SERVICE_TOKEN must come from a Secret/,
    ],
    [
      'a token on the command line',
      'Deployment',
      'hlp-inference',
      (o) => list(container(o), 'args').push('--token', 'hunter2'),
      /--token puts a secret on the command line/,
    ],
    ['no memory limit', 'Deployment', 'hlp-proxy', (o) => delete node(container(o), 'resources', 'limits')['memory'], /no limits\.memory/],
    [
      'a Service selecting no pods',
      'Service',
      'hlp-inference',
      (o) => (node(o, 'spec')['selector'] = { 'app.kubernetes.io/name': 'inference' }),
      /selects the pods of 0 Deployments/,
    ],
    ['a Service port targeting no container port', 'Service', 'hlp-proxy', (o) => (node(o, 'spec', 'ports', 0)['targetPort'] = 'metrics'), /targets metrics/],
    [
      'a PDB selecting nothing',
      'PodDisruptionBudget',
      'hlp-proxy',
      (o) => (node(o, 'spec', 'selector')['matchLabels'] = { app: 'proxy' }),
      /selects no Deployment/,
    ],
    ['replicas fixed under the HPA', 'Deployment', 'hlp-proxy', (o) => (node(o, 'spec')['replicas'] = 3), /sets replicas although hlp-proxy scales it/],
    [
      'an HPA metric no adapter rule serves',
      'HorizontalPodAutoscaler',
      'hlp-proxy',
      (o) => (node(o, 'spec', 'metrics', 0, 'pods', 'metric')['name'] = 'http_requests_per_second'),
      /served by no prometheus-adapter rule/,
    ],
    [
      'an adapter rule over a metric the catalogue lacks',
      'ConfigMap',
      'hlp-prometheus-adapter-rules',
      (o) => (node(o, 'data')['config.yaml'] = text(o, 'data', 'config.yaml').replace(/hlp_http_request_duration_seconds_count\{/, 'hlp_requests_total{')),
      /hlp_requests_total, which is no counter/,
    ],
    [
      'an adapter rule filtering on a label the metric lacks',
      'ConfigMap',
      'hlp-prometheus-adapter-rules',
      (o) => (node(o, 'data')['config.yaml'] = text(o, 'data', 'config.yaml').replace('route="/v1/embeddings"', 'path="/v1/embeddings"')),
      /has no label path/,
    ],
  ];
  for (const [what, kind, name, change, message] of broken) {
    it(`finds ${what}`, () => {
      const found = problems(changed(kind, name, change));
      assert.ok(
        found.some((p) => message.test(p)),
        `expected ${message} among:\n${found.join('\n')}`,
      );
    });
  }

  it('finds a Secret committed with its values', () => {
    const secret = parseManifests(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: hlp-service-token, namespace: hlp}\nstringData: {token: hunter2}\n',
      'secret.yaml',
    );
    validateManifest(secret[0]!);
    assert.ok(problems([...committed, ...secret]).some((p) => /carries its values/.test(p)));
  });
});
