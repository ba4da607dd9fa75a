import { testQueuePrefix } from './queue-prefix';

// Runs before each integration test file, in its own copy of process.env. The trigger queues'
// prefix is read from the environment when the triggers module is loaded: without one per file,
// files running at once in this run (or another run) would share the `bull:` queues, and a job
// could reach another file's workers and database.
process.env['TRIGGER_QUEUE_PREFIX'] = testQueuePrefix('t');
