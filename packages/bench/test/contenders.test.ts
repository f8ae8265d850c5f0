import { builtinHandlers, isSwitchyardError } from '@switchyard/protocol';
import { describe, expect, it } from 'vitest';
import { baselineContender, parseExternal, type ServiceSpec } from '../src/contenders.js';

const echo: ServiceSpec = {
  workload: '@switchyard/protocol/workloads/echo',
  codec: 'raw',
  handler: builtinHandlers.echo,
  handlerOptions: {},
};
const burn: ServiceSpec = {
  workload: '@switchyard/protocol/workloads/burn',
  codec: 'length-prefixed',
  handler: builtinHandlers.burn,
  handlerOptions: { rounds: 8 },
};

describe('external contenders', () => {
  it('run through sh with the port and host filled in', () => {
    const external = parseExternal('go=./echo-server -host {host} -port {port}');
    expect(external).toMatchObject({ name: 'go', kind: 'external', readiness: 'connect' });
    expect(external.command(echo, '127.0.0.1', 7007)).toEqual({
      command: 'sh',
      args: ['-c', './echo-server -host 127.0.0.1 -port 7007'],
    });
  });

  it('serve only the first workload when their command is not told the service', () => {
    const external = parseExternal('go=./echo-server -port {port}');
    expect(external.serves?.(echo, echo)).toBe(true);
    expect(external.serves?.(burn, echo)).toMatch(/serves one service/);
  });

  it('serve every workload when told codec, handler and options, quoted for the shell', () => {
    const external = parseExternal(
      'mine=./server --codec {codec} --handler {handler} --options {handler-options} -p {port}',
    );
    expect(external.serves?.(burn, echo)).toBe(true);
    expect(external.command(burn, '127.0.0.1', 9000).args[1]).toBe(
      `./server --codec length-prefixed --handler ${builtinHandlers.burn} --options '{"rounds":8}' -p 9000`,
    );
  });

  it('listen on a Unix socket when their command takes {path}, quoted for the shell', () => {
    const external = parseExternal('py=python3 echo.py --unix {path}');
    expect(external).toMatchObject({ name: 'py', readiness: 'connect', unixSocket: true });
    expect(external.command(echo, '127.0.0.1', 0, '/tmp/a b/server.sock').args[1]).toBe(
      "python3 echo.py --unix '/tmp/a b/server.sock'",
    );
    expect(parseExternal('go=./echo-server -port {port}').unixSocket).toBeUndefined();
  });

  it('refuse a spec without a name, without {port} or {path}, or with both', () => {
    for (const spec of [
      'nameless',
      '=cmd {port}',
      'x=server --port 7000',
      'x=server --port {port} --unix {path}',
    ]) {
      let thrown: unknown;
      try {
        parseExternal(spec);
      } catch (error) {
        thrown = error;
      }
      expect(isSwitchyardError(thrown, 'SWITCHYARD_ERR_INVALID_OPTION')).toBe(true);
      expect((thrown as Error).message).toMatch(/\{port\}/);
    }
  });
});

describe('baseline contender', () => {
  it('serves only the echo handler over raw, saying why it skips the rest', () => {
    const baseline = baselineContender();
    expect(baseline.serves?.(echo, echo)).toBe(true);
    expect(baseline.serves?.(burn, echo)).toMatch(/only the echo handler over raw/);
    expect(baseline.serves?.({ ...echo, codec: 'lines' }, echo)).not.toBe(true);
  });
});
