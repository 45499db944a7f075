import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DeadlineError, ManagedProcess, freeSipPort, freeTcpPort, withDeadline } from './processes.ts';

describe('ManagedProcess', () => {
  it('splits output into lines (stdout and stderr, CR or LF), strips ANSI colours', async () => {
    const p = new ManagedProcess('sh', ['-c', "printf 'one\\r\\033[31mtwo\\033[0m\\n'; printf 'three\\n' >&2"]);
    const status = await p.exited;
    expect(status).toEqual({ code: 0, signal: null });
    expect([...p.lines].sort()).toEqual(['one', 'three', 'two']);
  });

  it('waitForLine resolves on a line already seen when given fromLine 0', async () => {
    const p = new ManagedProcess('sh', ['-c', 'echo ready; exec sleep 30']);
    await p.waitForLine(/ready/, 5000);
    await expect(p.waitForLine(/ready/, 5000, 0)).resolves.toBe('ready');
    await p.kill();
  });

  it('waitForLine rejects at once, quoting the output, when the process exits first', async () => {
    const p = new ManagedProcess('sh', ['-c', 'echo boom; exit 3'], { name: 'boomer' });
    await expect(p.waitForLine(/never/, 30_000)).rejects.toThrow(/boomer exited \(code 3\)[\s\S]*boom/);
  });

  it('waitForLine rejects with a DeadlineError quoting the output', async () => {
    const p = new ManagedProcess('sh', ['-c', 'echo waiting; exec sleep 30']);
    await p.waitForLine(/waiting/, 5000);
    const err = await p.waitForLine(/never/, 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(String(err)).toMatch(/waiting/);
    await p.kill();
  });

  it('kill() ends a process that ignores SIGTERM, and is idempotent', async () => {
    const p = new ManagedProcess('sh', ['-c', "trap '' TERM; echo armed; while :; do sleep 1; done"]);
    await p.waitForLine(/armed/, 5000);
    const status = await p.kill(100);
    expect(status.signal).toBe('SIGKILL');
    expect(await p.kill()).toBe(status);
    expect(p.running).toBe(false);
  });

  it('reports a missing executable as an exit, not a crash', async () => {
    const p = new ManagedProcess('/nonexistent/binary', []);
    await p.exited;
    expect(p.tail()).toMatch(/spawn error/);
  });
});

describe('withDeadline', () => {
  it('passes a value through and rejects a stuck promise with the description', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000, () => 'x')).resolves.toBe(7);
    await expect(withDeadline(new Promise(() => {}), 20, () => 'stuck thing')).rejects.toThrow('stuck thing');
  });
});

describe('loopback ports', () => {
  it('freeTcpPort gives a port that can be listened on', async () => {
    const port = await freeTcpPort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    server.close();
  });

  it('freeSipPort gives UDP P + TCP P and P+1 that can all be bound', async () => {
    const port = await freeSipPort(1);
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(port, '127.0.0.1', resolve));
    const servers = [createServer(), createServer()];
    await Promise.all(
      servers.map((s, i) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(port + i, '127.0.0.1', resolve))),
    );
    udp.close();
    servers.forEach((s) => s.close());
  });
});
