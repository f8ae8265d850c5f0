import {
  builtinHandlers,
  builtinWorkloads,
  type LoadedWorkload,
  loadWorkload,
} from '@switchyard/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BenchOptions,
  formatBytes,
  parseList,
  parseSize,
  planWorkloads,
  quickDefaults,
  thoroughDefaults,
} from '../src/plan.js';

const UPPER = new URL('./workloads/upper.mjs', import.meta.url).href;

let builtins: LoadedWorkload[];
let upper: LoadedWorkload;

beforeAll(async () => {
  builtins = await Promise.all(Object.values(builtinWorkloads).map((name) => loadWorkload(name)));
  upper = await loadWorkload(UPPER);
});

function plan(options: Partial<BenchOptions>, workloads: readonly LoadedWorkload[]) {
  return planWorkloads({ ...thoroughDefaults, ...options }, workloads);
}

function byName(name: string): LoadedWorkload {
  return builtins.find((workload) => workload.name === name)!;
}

describe('bench plan', () => {
  it("sweeps the echo workload's own sizes x connections, serving its codec and handler", () => {
    const [echo] = plan({}, [byName('echo')]);
    expect(echo!.cells).toHaveLength(4 * 3);
    expect(echo!.cells[0]).toEqual({
      id: 'echo/64B/c1/d1',
      label: '64 B x 1 conn',
      pattern: 'stream',
      size: 64,
      connections: 1,
      depth: 1,
    });
    expect(echo!.cells.at(-1)).toMatchObject({
      id: 'echo/102400B/c100/d1',
      label: '100 KiB x 100 conn',
    });
    expect(echo!.service).toEqual({
      workload: builtinWorkloads.echo,
      codec: 'raw',
      handler: builtinHandlers.echo,
      handlerOptions: {},
    });
    expect(echo!.unit).toBe('req/s');
    expect(echo!.description).toMatch(/closed loop, depth 1$/);
  });

  it("takes each workload's quick cells with the quick preset: a handful in all", () => {
    const plans = planWorkloads(quickDefaults, builtins);
    expect(plans.map((each) => each.name)).toEqual(['echo', 'burn', 'bulk', 'churn']);
    expect(plans.map((each) => each.cells.map((cell) => cell.id))).toEqual([
      ['echo/64B/c1/d1', 'echo/64B/c10/d1', 'echo/10240B/c1/d1', 'echo/10240B/c10/d1'],
      ['burn/1024B/c10/d1'],
      ['bulk/65536B/c2/d8'],
      ['churn/64B/c10/d1'],
    ]);
    const [, burn, bulk, churn] = plans;
    expect(burn!.service).toMatchObject({
      codec: 'length-prefixed',
      handler: builtinHandlers.burn,
    });
    expect(bulk!.unit).toBe('MB/s');
    expect(bulk!.cells[0]!.label).toBe('64 KiB x 2 conn x 8 deep');
    expect(churn!.unit).toBe('conn/s');
    expect(churn!.cells[0]).toMatchObject({ pattern: 'churn', label: '64 B x 10 at once' });
  });

  it('lays sizes, connections and depth given by the caller over the workload', () => {
    const [echo] = plan({ sizes: [128, 4096], connections: [3], depth: 4 }, [byName('echo')]);
    expect(echo!.cells.map((cell) => cell.id)).toEqual(['echo/128B/c3/d4', 'echo/4096B/c3/d4']);
    expect(echo!.cells[1]!.label).toBe('4 KiB x 3 conn x 4 deep');
  });

  it("serves with the caller's handler, codec and handler options, resolved like the workload's", () => {
    const [echo] = plan(
      { handler: 'burn', codec: 'length-prefixed', handlerOptions: { rounds: 4 } },
      [byName('echo')],
    );
    expect(echo!.service).toEqual({
      workload: builtinWorkloads.echo,
      codec: 'length-prefixed',
      handler: builtinHandlers.burn,
      handlerOptions: { rounds: 4 },
    });
  });

  it("merges the caller's handler options over the workload's own", async () => {
    const tuned = await loadWorkload({ ...upper, handlerOptions: { shout: true, volume: 1 } });
    const [planned] = plan({ handlerOptions: { volume: 11 } }, [tuned]);
    expect(planned!.service.handlerOptions).toEqual({ shout: true, volume: 11 });
  });

  it('runs an open loop at the given rate instead of a depth', () => {
    const [echo] = plan({ sizes: [64], connections: [10], rate: 500 }, [byName('echo')]);
    expect(echo!.cells).toEqual([
      {
        id: 'echo/64B/c10/r500',
        label: '64 B x 10 conn',
        pattern: 'stream',
        size: 64,
        connections: 10,
        depth: 1,
        rate: 500,
      },
    ]);
    expect(echo!.description).toMatch(/open loop, 500 req\/s$/);
  });

  it('keeps churn at one request per connection, whatever depth or rate is asked', () => {
    const [churn] = plan({ depth: 8, rate: 1000, connections: [4] }, [byName('churn')]);
    expect(churn!.cells).toEqual([
      {
        id: 'churn/64B/c4/d1',
        label: '64 B x 4 at once',
        pattern: 'churn',
        size: 64,
        connections: 4,
        depth: 1,
      },
    ]);
    expect(churn!.description).toMatch(/connect, one request, close/);
  });

  it('plans a workload without a bench shape: no sizes, 1 and 10 connections', () => {
    const [planned] = plan({}, [upper]);
    expect(planned!.cells).toEqual([
      { id: 'upper/c1/d1', label: '1 conn', pattern: 'stream', connections: 1, depth: 1 },
      { id: 'upper/c10/d1', label: '10 conn', pattern: 'stream', connections: 10, depth: 1 },
    ]);
    expect(planned!.service).toEqual({
      workload: UPPER,
      codec: 'lines',
      handler: new URL('./workloads/upper-handler.mjs', import.meta.url).href,
      handlerOptions: {},
    });
    expect(planned!.description).toBe('upper-cases each line; closed loop, depth 1');
  });
});

describe('sizes', () => {
  it('parses and formats sizes', () => {
    expect(parseSize('64')).toBe(64);
    expect(parseSize('1k')).toBe(1024);
    expect(parseSize('100KiB')).toBe(102_400);
    expect(parseSize('2m')).toBe(2 * 1024 * 1024);
    expect(formatBytes(10_240)).toBe('10 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1024 * 1024)).toBe('1 MiB');
    expect(parseList('64, 1k,,10k', (item) => parseSize(item))).toEqual([64, 1024, 10_240]);
  });

  it('refuses what is not a size, naming the option', () => {
    expect(() => parseSize('ten')).toThrow(/invalid option --sizes: expected a size/);
    expect(() => parseSize('0', '--size')).toThrow(/invalid option --size: .*at least 1 byte/);
  });
});
