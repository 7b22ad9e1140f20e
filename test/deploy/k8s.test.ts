/**
 * deploy/k8s, rendered with `kubectl kustomize` (no cluster here): the example overlay, with secrets made by
 * deploy/make-secrets.sh in a copy of the tree (they are never committed), gives a Deployment of several non-root
 * replicas with /healthz probes, a migrate Job on the same image, and every Secret they name.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/processes';
import { envOf, execForm, readDockerfile } from './dockerfile';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered Kubernetes objects are walked as plain JSON */
type Obj = any;

const copy = mkdtempSync(join(tmpdir(), 'pf-k8s-'));
const overlay = join(copy, 'overlays/example');
let objects: Obj[] = [];
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function kustomize(dir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`kubectl kustomize could not run (kubectl is installed by .ci/run): ${r.error.message}`);
  return r;
}

beforeAll(() => {
  cpSync(join(REPO_ROOT, 'deploy/k8s'), copy, { recursive: true });
  const made = spawnSync('bash', [join(REPO_ROOT, 'deploy/make-secrets.sh'), join(overlay, 'secrets'), 'controller.example.org'], { encoding: 'utf8', timeout: 60_000 });
  expect(made.status, made.stderr).toBe(0);
  const r = kustomize(overlay);
  expect(r.status, r.stderr).toBe(0);
  objects = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj);
}, 120_000);

const find = (kind: string, name: string): Obj => objects.find((o) => o.kind === kind && o.metadata.name === name);
const runtime = readDockerfile().stages.at(-1)!;
const imageUser = Number(runtime.instructions.find((i) => i.op === 'USER')!.args.split(':')[0]);

describe('deploy/k8s (kubectl kustomize overlays/example)', () => {
  it('renders a namespace, three Secrets, the Deployment, the Service and the migrate Job, all in the namespace', () => {
    // Generated Secrets carry a content hash suffix (kustomize rewrites every reference to it).
    const names = objects.map((o) => `${o.kind}/${o.kind === 'Secret' ? o.metadata.name.replace(/-[a-z0-9]{10}$/, '') : o.metadata.name}`);
    expect(names.sort()).toEqual([
      'Deployment/patchfleet-controller', 'Job/patchfleet-migrate', 'Namespace/patchfleet',
      'Secret/patchfleet-command-key', 'Secret/patchfleet-database', 'Secret/patchfleet-tls', 'Service/patchfleet-controller',
    ]);
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('patchfleet');
  });

  it('runs several replicas of the controller, probed on /healthz over HTTPS', () => {
    const d = find('Deployment', 'patchfleet-controller');
    expect(d.spec.replicas).toBeGreaterThan(1);
    const [c] = d.spec.template.spec.containers;
    expect(c.args).toEqual(['serve']);
    const port = c.ports.find((p: Obj) => p.name === 'https');
    expect(String(port.containerPort)).toBe(envOf(runtime).PATCHFLEET_PORT);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(c[probe]?.httpGet, probe).toEqual({ path: '/healthz', port: 'https', scheme: 'HTTPS' });
    }
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.env.find((e: Obj) => e.name === 'PATCHFLEET_PUBLIC_URL')?.value).toBe('https://controller.example.org:8443');
    const svc = find('Service', 'patchfleet-controller');
    expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
    expect(svc.spec.ports[0].targetPort).toBe('https');
  });

  it('runs every pod as the image\'s non-root user with a read-only root file system and no capabilities', () => {
    for (const o of [find('Deployment', 'patchfleet-controller'), find('Job', 'patchfleet-migrate')]) {
      const pod = o.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: imageUser });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext, `${o.kind} ${c.name}`).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        // With a read-only root, what the controller writes needs a volume: the data directory and /tmp.
        const mounts = c.volumeMounts.map((m: Obj) => m.mountPath);
        expect(mounts).toContain(envOf(runtime).PATCHFLEET_DATA_DIR);
        expect(mounts).toContain('/tmp');
      }
    }
  });

  it('names only Secrets the overlay makes, with the keys the pods read', () => {
    const secrets = new Map(objects.filter((o) => o.kind === 'Secret').map((s) => [s.metadata.name, s]));
    const refs: { name: string; key?: string }[] = [];
    for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
      const pod = o.spec.template.spec;
      for (const v of pod.volumes ?? []) if (v.secret) for (const item of v.secret.items ?? [{}]) refs.push({ name: v.secret.secretName, key: item.key });
      for (const c of pod.containers) for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) refs.push(e.valueFrom.secretKeyRef);
    }
    expect(refs.length).toBeGreaterThanOrEqual(4);
    for (const ref of refs) {
      const s = secrets.get(ref.name);
      expect(s, `Secret ${ref.name}`).toBeDefined();
      if (ref.key) expect(Object.keys(s.data), `${ref.name} key ${ref.key}`).toContain(ref.key);
    }
    expect(find('Secret', [...secrets.keys()].find((n) => n.startsWith('patchfleet-tls'))!).type).toBe('kubernetes.io/tls');
    // The command key is mounted where the controller looks for it: <data-dir>/keys/command-key.json.
    const pod = find('Deployment', 'patchfleet-controller').spec.template.spec;
    const keyVolume = pod.volumes.find((v: Obj) => v.secret?.secretName.startsWith('patchfleet-command-key'));
    const mount = pod.containers[0].volumeMounts.find((m: Obj) => m.name === keyVolume.name);
    expect(`${mount.mountPath}/${keyVolume.secret.items[0].path}`).toBe(`${envOf(runtime).PATCHFLEET_DATA_DIR}/keys/command-key.json`);
    const env = Object.fromEntries(pod.containers[0].env.map((e: Obj) => [e.name, e.value]));
    const tlsMount = pod.containers[0].volumeMounts.find((m: Obj) => m.name === 'tls').mountPath;
    expect([env.PATCHFLEET_TLS_CERT, env.PATCHFLEET_TLS_KEY]).toEqual([`${tlsMount}/tls.crt`, `${tlsMount}/tls.key`]);
  });

  it('migrates with a Job that runs the image\'s migrate command on the Deployment\'s image and database', () => {
    const job = find('Job', 'patchfleet-migrate');
    const [c] = job.spec.template.spec.containers;
    expect(c.args).toEqual(['migrate']);
    expect(c.command).toBeUndefined(); // the image's ENTRYPOINT: node .../patchfleet-controller.mjs
    expect(execForm(runtime.instructions.find((i) => i.op === 'ENTRYPOINT')!.args)[1]).toBe('/opt/patchfleet/controller/dist/patchfleet-controller.mjs');
    const d = find('Deployment', 'patchfleet-controller').spec.template.spec.containers[0];
    expect(c.image).toBe(d.image);
    expect(c.image).toBe('registry.example.org/patchfleet/controller:0.1.0');
    const dbRef = (x: Obj) => x.env.find((e: Obj) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef;
    expect(dbRef(c)).toEqual(dbRef(d));
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
  });

  it('refuses to render without the secrets, which are never committed', () => {
    const bare = mkdtempSync(join(tmpdir(), 'pf-k8s-bare-'));
    try {
      cpSync(join(REPO_ROOT, 'deploy/k8s'), bare, { recursive: true });
      const r = kustomize(join(bare, 'overlays/example'));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/secrets\/tls\.(crt|key)|no such file/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
    expect(readFileSync(join(REPO_ROOT, 'deploy/k8s/overlays/example/.gitignore'), 'utf8')).toMatch(/^secrets\/$/m);
  });
});
