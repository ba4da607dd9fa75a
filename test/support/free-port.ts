import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { which } from './registry/tools';

/** A loopback port held for a server this test process starts on it later. */
export interface ReservedPort {
  port: number;
  /** Lets the OS hand the port out again (a server bound to it keeps it while it runs). */
  release(): void;
}

/**
 * Holds loopback ports for this test process: a small python3 helper binds each (without
 * listening, with SO_REUSEADDR) until it is released or this process exits. While held, the OS
 * gives the port to no one else (bind to port 0 skips it) and connections to it are refused, as
 * to any closed port; a server started on it (Node, docker-registry, redis-server: all bind with
 * SO_REUSEADDR) still binds. A port merely found free and closed again could be taken by another
 * test's server before ours started (the api boots in between, seconds under a loaded suite):
 * then our server failed to listen, or, worse, our clients reached the other one. Node binds TCP
 * sockets only to listen, hence the helper; one per test process, told what to do line by line.
 */
class PortKeeper {
  private readonly child: ChildProcess;
  private readonly waiting: { resolve: (port: number) => void; reject: (e: Error) => void }[] = [];
  private failed: Error | undefined;

  constructor() {
    const script = [
      'import socket, sys',
      'held = {}',
      'for line in sys.stdin:',
      '    words = line.split()',
      "    if words[:1] == ['reserve']:",
      '        s = socket.socket()',
      '        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      "        s.bind(('127.0.0.1', 0))",
      '        held[s.getsockname()[1]] = s',
      '        print(s.getsockname()[1], flush=True)',
      "    elif words[:1] == ['release'] and len(words) == 2:",
      '        s = held.pop(int(words[1]), None)',
      '        if s: s.close()',
    ].join('\n');
    // stdin's end (this process exiting, however) ends the helper and frees every port it holds.
    this.child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.waiting.shift()?.resolve(Number(line)));
    const fail = (e: Error) => {
      this.failed = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    this.child.on('error', fail);
    this.child.on('exit', (code) => fail(new Error(`the port keeper exited (${code})`)));
  }

  reserve(): Promise<number> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin!.write('reserve\n');
    });
  }

  release(port: number): void {
    if (!this.failed) this.child.stdin!.write(`release ${port}\n`);
  }
}

let keeper: PortKeeper | undefined;

/** A loopback port nobody else gets until `release` (or this process's exit). */
export async function reserveLoopbackPort(): Promise<ReservedPort> {
  if (!which('python3')) {
    // Without the helper: a port that was free a moment ago (the caller may lose the race).
    const port = await unheldLoopbackPort();
    return { port, release: () => undefined };
  }
  keeper ??= new PortKeeper();
  const port = await keeper.reserve();
  let released = false;
  return {
    port,
    release: () => {
      if (released) return;
      released = true;
      keeper?.release(port);
    },
  };
}

/** A loopback port held for this test process until it exits (see reserveLoopbackPort). */
export async function freeLoopbackPort(): Promise<number> {
  return (await reserveLoopbackPort()).port;
}

/**
 * A loopback port that was free a moment ago, not held: for a benchmark, which runs alone on the
 * machine; tests take theirs from reserveLoopbackPort.
 */
export async function unheldLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
