import { CORE, META, typeMetaFields } from './meta-schemas';
import { type Schema, s } from './schema';

/**
 * core/v1 Event, as kube-apiserver publishes it: served (always empty here, see AlwaysEmptyHandler) so
 * `kubectl explain events` describes what `kubectl describe` and `kubectl events` read.
 */
export const eventSchemas: Record<string, Schema> = {
  [`${CORE}.Event`]: {
    type: 'object',
    description: 'Event is a report of an event somewhere in the cluster. Nothing records events here: lists are empty.',
    required: ['metadata', 'involvedObject'],
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ObjectMeta`, 'Standard object metadata.'),
      involvedObject: s.ref(`${CORE}.ObjectReference`, 'The object that this event is about.'),
      reason: s.string('This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      message: s.string('A human-readable description of the status of this operation.'),
      source: s.ref(`${CORE}.EventSource`, 'The component reporting this event.'),
      firstTimestamp: s.time('The time at which the event was first recorded.'),
      lastTimestamp: s.time('The time at which the most recent occurrence of this event was recorded.'),
      count: s.int32('The number of times this event has occurred.'),
      type: s.string('Type of this event (Normal, Warning), new types could be added in the future.'),
      eventTime: s.microTime('Time when this Event was first observed.'),
      series: s.ref(`${CORE}.EventSeries`, 'Data about the Event series this event represents or nil if it\'s a singleton Event.'),
      action: s.string('What action was taken/failed regarding to the Regarding object.'),
      related: s.ref(`${CORE}.ObjectReference`, 'Optional secondary object for more complex actions.'),
      reportingComponent: s.string('Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`.'),
      reportingInstance: s.string('ID of the controller instance, e.g. `kubelet-xyzf`.'),
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Event', version: 'v1' }],
  },
  [`${CORE}.EventSource`]: {
    type: 'object',
    description: 'EventSource contains information for an event.',
    properties: {
      component: s.string('Component from which the event is generated.'),
      host: s.string('Node name on which the event is generated.'),
    },
  },
  [`${CORE}.EventSeries`]: {
    type: 'object',
    description: 'EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time.',
    properties: {
      count: s.int32('Number of occurrences in this series up to the last heartbeat time.'),
      lastObservedTime: s.microTime('Time of the last occurrence observed.'),
    },
  },
  [`${CORE}.EventList`]: {
    type: 'object',
    description: 'EventList is a list of events.',
    required: ['items'],
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ListMeta`, 'Standard list metadata.'),
      items: s.array(s.ref(`${CORE}.Event`), 'List of events.'),
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'EventList', version: 'v1' }],
  },
};
