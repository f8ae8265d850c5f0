import { ErrorCode, type MemoryBudgetError } from '@switchyard/protocol';
import { type BudgetMember, MemoryBudget, pickGreediest } from '@switchyard/server-core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

describe('pickGreediest', () => {
  test('closes the one holding the most when that is enough', () => {
    expect(pickGreediest([10, 900, 30], 100)).toEqual([1]);
  });

  test('takes the next greediest until the excess is covered', () => {
    expect(pickGreediest([300, 100, 200, 50], 450)).toEqual([0, 2]);
  });

  test('among equals, the one that joined last goes first', () => {
    expect(pickGreediest([500, 500, 10], 1)).toEqual([1]);
  });

  test('nothing when not over budget', () => {
    expect(pickGreediest([1, 2, 3], 0)).toEqual([]);
    expect(pickGreediest([], -5)).toEqual([]);
  });

  test('everyone when even all of them do not cover the excess', () => {
    expect(pickGreediest([1, 2], 10)).toEqual([1, 0]);
  });

  test('the fewest connections, the greediest, and never one smaller than one spared', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 50 }),
        fc.nat({ max: 5_000_000 }),
        (held, excess) => {
          const picked = pickGreediest(held, excess);
          const freed = picked.reduce((sum, index) => sum + held[index]!, 0);
          const total = held.reduce((sum, bytes) => sum + bytes, 0);
          expect(freed >= excess || picked.length === held.length).toBe(true);
          // Without the last one picked it would not have been enough.
          if (picked.length > 0) expect(freed - held[picked.at(-1)!]! < excess).toBe(true);
          const spared = held.filter((_, index) => !picked.includes(index));
          const smallestPicked = Math.min(...picked.map((index) => held[index]!));
          for (const bytes of spared) expect(bytes).toBeLessThanOrEqual(smallestPicked);
          expect(freed).toBeLessThanOrEqual(total);
        },
      ),
    );
  });
});

/** A connection as the budget sees it: holds what the test says, records its eviction. */
class FakeMember implements BudgetMember {
  evicted: MemoryBudgetError | undefined;
  constructor(public holding: number) {}
  heldBytes(): number {
    return this.holding;
  }
  evict(error: MemoryBudgetError): void {
    this.evicted = error;
  }
}

function join(budget: MemoryBudget, holding: number) {
  const member = new FakeMember(holding);
  const account = budget.join(member);
  account.set(holding);
  return { member, account };
}

describe('MemoryBudget', () => {
  test('adds up what its connections say they hold, and forgets one that closes', () => {
    const budget = new MemoryBudget(1000);
    const a = join(budget, 100);
    const b = join(budget, 200);
    expect(budget.total).toBe(300);
    a.account.set(50);
    expect(budget.total).toBe(250);
    b.account.close();
    b.account.close();
    expect(budget.total).toBe(50);
    expect(budget.size).toBe(1);
    // A closed account no longer counts, whatever it is told.
    b.account.set(10_000);
    expect(budget.total).toBe(50);
  });

  test('past the limit, closes the greediest with SWITCHYARD_ERR_MEMORY_BUDGET and spares the rest', () => {
    const budget = new MemoryBudget(1000);
    const small = join(budget, 100);
    const greedy = join(budget, 400);
    greedy.member.holding = 950;
    greedy.account.set(950);
    expect(greedy.member.evicted?.code).toBe(ErrorCode.MEMORY_BUDGET);
    expect(greedy.member.evicted?.message).toMatch(/950 bytes/);
    expect(greedy.member.evicted?.message).toMatch(/1000 bytes/);
    expect(small.member.evicted).toBeUndefined();
    expect(budget.total).toBe(100);
    expect(budget.size).toBe(1);
  });

  test('recounts before closing anyone: a total that ran ahead of what is held closes nobody', () => {
    const budget = new MemoryBudget(1000);
    const a = join(budget, 600);
    const b = join(budget, 300);
    // `a` wrote most of its replies since it last said; the running total does not know yet.
    a.member.holding = 100;
    b.member.holding = 500;
    b.account.set(500);
    expect(a.member.evicted).toBeUndefined();
    expect(b.member.evicted).toBeUndefined();
    expect(budget.total).toBe(600);
  });

  test('a connection that updates its account as it is closed is counted once, and no second pass starts', () => {
    const budget = new MemoryBudget(100);
    const members: FakeMember[] = [];
    for (let i = 0; i < 3; i++) {
      const member = new FakeMember(80);
      const account = budget.join(member);
      // Closing reports what it holds once more, as a connection's last update would.
      member.evict = (error) => {
        member.evicted = error;
        account.set(0);
      };
      members.push(member);
      account.set(80);
    }
    expect(members.map((member) => member.evicted !== undefined)).toEqual([false, true, true]);
    expect(budget.total).toBe(80);
  });
});
