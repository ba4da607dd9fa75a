import { labelSelectorText } from '@app/api-machinery';
import { age, none } from './kube-duration';
import { column, type TablePrinter } from './table.types';

/**
 * `kubectl get deploy,sts,ds,cj` columns as kube-apiserver prints them (pkg/printers). These
 * workloads are stored for their image triggers; no controller runs here, so the counts a
 * controller would report (ready, available, active) show what their status says, usually 0.
 */

type Obj = Record<string, unknown>;

interface PodTemplateSpec {
  spec?: { containers?: { name?: unknown; image?: unknown }[]; nodeSelector?: Record<string, string> };
}

const nameColumn = column('Name', 'Name must be unique within a namespace.', { format: 'name' });
const ageColumn = column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');
const containersColumn = column('Containers', 'Names of each container in the template.', { priority: 1 });
const imagesColumn = column('Images', 'Images referenced by each container in the template.', { priority: 1 });
const selectorColumn = column('Selector', 'Label selector for pods.', { priority: 1 });

const get = (obj: Obj, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Obj)[k] : undefined), obj);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function containersOf(template: unknown): { names: string; images: string } {
  const containers = Array.isArray((template as PodTemplateSpec | undefined)?.spec?.containers) ? (template as PodTemplateSpec).spec!.containers! : [];
  const text = (values: unknown[]) => values.map((v) => (typeof v === 'string' ? v : '')).join(',');
  return { names: text(containers.map((c) => c?.name)), images: text(containers.map((c) => c?.image)) };
}

/** The columns every workload ends with: Age, then (wide) its pod template's containers and selector. */
const trailingColumns = [ageColumn, containersColumn, imagesColumn, selectorColumn];

function trailingCells(obj: Obj & { metadata?: { creationTimestamp?: string } }, now: Date, templatePath: string[], selectorPath: string[]): unknown[] {
  const { names, images } = containersOf(get(obj, ...templatePath));
  return [age(obj.metadata?.creationTimestamp, now), names, images, selectorText(get(obj, ...selectorPath))];
}

/** A LabelSelector as kubectl prints it: `app=web,tier in (a,b)`; `<none>` when empty. */
export function selectorText(selector: unknown): string {
  return labelSelectorText(selector) || none;
}

const deploymentPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Ready', 'Number of the pod with ready state'),
    column('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', { type: 'integer' }),
    column('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', { type: 'integer' }),
    ...trailingColumns,
  ],
  cells(obj, now) {
    const replicas = get(obj, 'spec', 'replicas') === undefined ? 1 : count(get(obj, 'spec', 'replicas'));
    return [
      obj.metadata?.name ?? '',
      `${count(get(obj, 'status', 'readyReplicas'))}/${replicas}`,
      count(get(obj, 'status', 'updatedReplicas')),
      count(get(obj, 'status', 'availableReplicas')),
      ...trailingCells(obj, now, ['spec', 'template'], ['spec', 'selector']),
    ];
  },
};

const statefulSetPrinter: TablePrinter = {
  columns: [nameColumn, column('Ready', 'Number of the pod with ready state'), ageColumn, containersColumn, imagesColumn],
  cells(obj, now) {
    const { names, images } = containersOf(get(obj, 'spec', 'template'));
    const replicas = get(obj, 'spec', 'replicas') === undefined ? 1 : count(get(obj, 'spec', 'replicas'));
    return [obj.metadata?.name ?? '', `${count(get(obj, 'status', 'readyReplicas'))}/${replicas}`, age(obj.metadata?.creationTimestamp, now), names, images];
  },
};

const daemonSetPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Desired', 'The desired number of nodes that should be running the daemon pod.', { type: 'integer' }),
    column('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', { type: 'integer' }),
    column('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', { type: 'integer' }),
    column('Up-to-date', 'The total number of nodes that are running updated daemon pod', { type: 'integer' }),
    column('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', { type: 'integer' }),
    column('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    ...trailingColumns,
  ],
  cells(obj, now) {
    const template = get(obj, 'spec', 'template');
    const nodeSelector = Object.entries((template as PodTemplateSpec | undefined)?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
    return [
      obj.metadata?.name ?? '',
      count(get(obj, 'status', 'desiredNumberScheduled')),
      count(get(obj, 'status', 'currentNumberScheduled')),
      count(get(obj, 'status', 'numberReady')),
      count(get(obj, 'status', 'updatedNumberScheduled')),
      count(get(obj, 'status', 'numberAvailable')),
      nodeSelector.length ? nodeSelector.sort().join(',') : none,
      ...trailingCells(obj, now, ['spec', 'template'], ['spec', 'selector']),
    ];
  },
};

const cronJobPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    column('Suspend', 'This flag tells the controller to suspend subsequent executions.', { type: 'boolean' }),
    column('Active', 'A list of pointers to currently running jobs.', { type: 'integer' }),
    column('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
    ...trailingColumns,
  ],
  cells(obj, now) {
    const active = get(obj, 'status', 'active');
    const timeZone = get(obj, 'spec', 'timeZone');
    return [
      obj.metadata?.name ?? '',
      typeof get(obj, 'spec', 'schedule') === 'string' ? get(obj, 'spec', 'schedule') : '',
      typeof timeZone === 'string' && timeZone ? timeZone : none,
      get(obj, 'spec', 'suspend') === true,
      Array.isArray(active) ? active.length : 0,
      age(get(obj, 'status', 'lastScheduleTime'), now),
      ...trailingCells(obj, now, ['spec', 'jobTemplate', 'spec', 'template'], ['spec', 'jobTemplate', 'spec', 'selector']),
    ];
  },
};

/** autoscaling/v1 Scale (`kubectl get deploy web --subresource=scale`): the parent's table convertor prints it so. */
const scalePrinter: TablePrinter = {
  columns: [
    column('Name', 'Name must be unique within a namespace.'),
    column('Desired', 'replicas is the desired number of instances for the scaled object.', { type: 'integer' }),
    column('Available', 'replicas is the actual number of observed instances of the scaled object.', { type: 'integer' }),
    ageColumn,
  ],
  cells(obj, now) {
    return [obj.metadata?.name ?? '', count(get(obj, 'spec', 'replicas')), count(get(obj, 'status', 'replicas')), age(obj.metadata?.creationTimestamp, now)];
  },
};

export const workloadPrinters: Record<string, TablePrinter> = {
  'apps/deployments': deploymentPrinter,
  'apps/deployments/scale': scalePrinter,
  'apps/statefulsets': statefulSetPrinter,
  'apps/statefulsets/scale': scalePrinter,
  'apps/daemonsets': daemonSetPrinter,
  'batch/cronjobs': cronJobPrinter,
};
