import { pythonClientFixture, pythonClientUnavailableReason } from './support/python-client';

/**
 * The official Python client (Debian `python3-kubernetes`) through its DynamicClient: discovery,
 * create / get / list / patch / replace / watch / delete / delete collection. It spells query
 * booleans the Python way (`watch=True`).
 */
const skipReason = pythonClientUnavailableReason();
const suite = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`test/python-client.int-spec.ts skipped: ${skipReason}`);

const script = `
import json, sys, threading
from kubernetes import client, config, dynamic
from kubernetes.client import api_client
cfg = client.Configuration()
config.load_kube_config(config_file=sys.argv[1], client_configuration=cfg)
dc = dynamic.DynamicClient(api_client.ApiClient(configuration=cfg), cache_file=sys.argv[2])
out = {}
streams = dc.resources.get(api_version='image.openshift.io/v1', kind='ImageStream')
out['resource'] = [streams.name, streams.namespaced, streams.short_names]
out['istagVerbs'] = dc.resources.get(api_version='image.openshift.io/v1', kind='ImageStreamTag').verbs
ns = 'py'
def labels(obj):
    return obj.to_dict()['metadata'].get('labels')
def body(name, labels):
    return {'apiVersion': 'image.openshift.io/v1', 'kind': 'ImageStream', 'metadata': {'name': name, 'labels': labels}}
events = []
# The watch lists what exists first: once the marker made before it arrives, the watch is
# established and every later write reaches it (a fixed pause could be too short on a busy machine).
streams.create(body=body('marker', {}), namespace=ns)
started = threading.Event()
def watch():
    for e in streams.watch(namespace=ns, timeout=60):
        events.append([e['type'], e['object'].metadata.name])
        if e['object'].metadata.name == 'marker':
            started.set()
        if e['type'] == 'DELETED' and e['object'].metadata.name == 'one':
            return
t = threading.Thread(target=watch, daemon=True)
t.start()
if not started.wait(30):
    sys.exit('the watch did not start')
streams.create(body=body('one', {'team': 'a'}), namespace=ns)
streams.create(body=body('two', {'team': 'b'}), namespace=ns)
out['get'] = labels(streams.get(name='one', namespace=ns))
out['list'] = [i.metadata.name for i in streams.get(namespace=ns, label_selector='team in (a,b)').items]
out['merge'] = labels(streams.patch(name='one', namespace=ns, body={'metadata': {'labels': {'m': '1'}}}, content_type='application/merge-patch+json'))
out['json'] = labels(streams.patch(name='one', namespace=ns, body=[{'op': 'add', 'path': '/metadata/labels/j', 'value': '2'}], content_type='application/json-patch+json'))
current = streams.get(name='one', namespace=ns).to_dict()
current['metadata']['labels']['r'] = '3'
out['replace'] = labels(streams.replace(body=current, namespace=ns))
out['deleteCollection'] = [i.metadata.name for i in streams.delete(namespace=ns, label_selector='team=b').items]
out['delete'] = streams.delete(name='one', namespace=ns).status
t.join(30)
out['events'] = events
print(json.dumps(out))
`;

suite(skipReason ? 'Python kubernetes client (skipped)' : 'Python kubernetes client (DynamicClient)', () => {
  const python = pythonClientFixture(script);

  it('discovers ImageStream and drives it end to end, watch included', async () => {
    const out = await python.run();
    expect(out.resource).toEqual(['imagestreams', true, ['is']]);
    expect(out.istagVerbs).not.toContain('watch');
    expect(out.get).toEqual({ team: 'a' });
    expect(out.list).toEqual(['one', 'two']);
    expect(out.merge).toEqual({ team: 'a', m: '1' });
    expect(out.json).toEqual({ team: 'a', m: '1', j: '2' });
    expect(out.replace).toEqual({ team: 'a', m: '1', j: '2', r: '3' });
    expect(out.deleteCollection).toEqual(['two']);
    expect(out.delete).toBe('Success');
    expect(out.events).toEqual([
      ['ADDED', 'marker'],
      ['ADDED', 'one'],
      ['ADDED', 'two'],
      ['MODIFIED', 'one'],
      ['MODIFIED', 'one'],
      ['MODIFIED', 'one'],
      ['DELETED', 'two'],
      ['DELETED', 'one'],
    ]);
  }, 30000);
});
