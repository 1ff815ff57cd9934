import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment, StatefulSet, type IDeploymentSpec } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, type IContainer, type IPodTemplateSpec } from 'kubernetes-models/v1';
import { repoRoot } from '../../platform/paths';

/** A label selector, as workloads, budgets and network policies have them. */
type LabelSelector = IDeploymentSpec['selector'];

export const MANIFESTS_DIR = join(repoRoot, 'deploy', 'kubernetes');

/** The API objects the manifests may hold, by `apiVersion/kind`: each validates against its OpenAPI schema. */
const MODELS = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};
type Model = InstanceType<(typeof MODELS)[keyof typeof MODELS]>;

export interface Document {
  file: string;
  data: { apiVersion?: string; kind?: string; metadata?: { name?: string } };
}

/** Every YAML document of every `.yaml` file in the folder, parsed as Kubernetes reads it (YAML 1.1: 0440 is octal). */
export function readDocuments(dir = MANIFESTS_DIR): Document[] {
  return yamlFiles(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8'), { version: '1.1' }).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
      return { file, data: document.toJS() as Document['data'] };
    }),
  );
}

export const yamlFiles = (dir = MANIFESTS_DIR): string[] =>
  readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort();

/** The model of an API object, or undefined for a kind these manifests are not meant to hold. */
export function modelOf(document: Document): Model | undefined {
  const Constructor = MODELS[`${document.data.apiVersion}/${document.data.kind}` as keyof typeof MODELS];
  return Constructor ? new Constructor(document.data as never) : undefined;
}

/** A Deployment or StatefulSet: what runs pods. */
export interface Workload {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  replicas: number;
  selector: LabelSelector;
  template: IPodTemplateSpec;
  container: IContainer;
}

/** The objects of the folder, by kind. */
export function loadManifests(dir = MANIFESTS_DIR) {
  const models = readDocuments(dir)
    .map(modelOf)
    .filter((model): model is Model => model !== undefined);
  const workloads: Workload[] = models
    .filter((model): model is Deployment | StatefulSet => model instanceof Deployment || model instanceof StatefulSet)
    .map((model) => {
      const spec = model.spec!;
      return {
        kind: model.kind,
        name: model.metadata!.name!,
        replicas: spec.replicas ?? 1,
        selector: spec.selector,
        template: spec.template,
        container: spec.template.spec!.containers[0]!,
      };
    });
  const ofType = <T>(type: abstract new (...args: never[]) => T) => models.filter((model): model is Model & T => model instanceof type);
  return {
    workloads,
    services: ofType(Service),
    secrets: ofType(Secret),
    configMaps: ofType(ConfigMap),
    autoscalers: ofType(HorizontalPodAutoscaler),
    budgets: ofType(PodDisruptionBudget),
    ingresses: ofType(Ingress),
    policies: ofType(NetworkPolicy),
  };
}
export type Manifests = ReturnType<typeof loadManifests>;

/** Whether a label selector selects these labels, as the API server decides: every term must hold; an empty one selects all. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  const byLabels = Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector?.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    if (operator === 'In') return value !== undefined && values.includes(value);
    if (operator === 'NotIn') return value === undefined || !values.includes(value);
    if (operator === 'Exists') return value !== undefined;
    if (operator === 'DoesNotExist') return value === undefined;
    throw new Error(`unknown selector operator ${operator}`);
  });
  return byLabels && byExpressions;
}

/** The workloads whose pods a selector selects. */
export const selected = (manifests: Manifests, selector: LabelSelector | undefined): Workload[] =>
  manifests.workloads.filter((workload) => selects(selector, workload.template.metadata?.labels));

/** A container's environment as literal values, or `<kind>:<name>/<key>` for a value taken from a ConfigMap, Secret or field. */
export function environment(container: IContainer): Record<string, string> {
  return Object.fromEntries(
    (container.env ?? []).map(({ name, value, valueFrom }) => {
      if (value !== undefined) return [name, value];
      if (valueFrom?.configMapKeyRef) return [name, `configMap:${valueFrom.configMapKeyRef.name}/${valueFrom.configMapKeyRef.key}`];
      if (valueFrom?.secretKeyRef) return [name, `secret:${valueFrom.secretKeyRef.name}/${valueFrom.secretKeyRef.key}`];
      if (valueFrom?.fieldRef) return [name, `field:${valueFrom.fieldRef.fieldPath}`];
      throw new Error(`${name}: a source these checks do not read`);
    }),
  );
}

/** The keys of a Secret or ConfigMap, from `data` and `stringData` alike. */
export const keysOf = (object: { data?: Record<string, string>; stringData?: Record<string, string> }): string[] => [
  ...Object.keys(object.data ?? {}),
  ...Object.keys(object.stringData ?? {}),
];

/** The number of a container port given by number or by name; undefined when the container declares no such port. */
export function containerPort(container: IContainer, port: number | string | undefined): number | undefined {
  const found = (container.ports ?? []).find((declared) => (typeof port === 'number' ? declared.containerPort === port : declared.name === port));
  return found?.containerPort;
}

const ipv4 = (address: string): number => address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);

/** Whether IPv4 block `outer` (`10.0.0.0/8`) holds all of block `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [outerBase = '', outerBits = '32'] = outer.split('/');
  const [innerBase = '', innerBits = '32'] = inner.split('/');
  if (Number(innerBits) < Number(outerBits)) return false;
  const size = 2 ** (32 - Number(outerBits));
  return Math.floor(ipv4(outerBase) / size) === Math.floor(ipv4(innerBase) / size);
}
