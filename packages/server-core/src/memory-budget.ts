import { MemoryBudgetError } from '@switchyard/protocol';

/** What the budget needs of a connection it accounts for. */
export interface BudgetMember {
  /** What it holds now, overheads included, read fresh (the running total may lag behind). */
  heldBytes(): number;
  /** Closes it, reporting `error`: the server was over budget and it held the most. */
  evict(error: MemoryBudgetError): void;
}

/**
 * Picks the connections to close when the server holds `excess` bytes more than its budget: the
 * greediest first (the most held; among equals the one that joined last), as few as bring the
 * total back under. `held[i]` is what connection `i` holds, in the order they joined. Returns
 * their indices, greediest first; every connection when even all of them do not cover `excess`.
 */
export function pickGreediest(held: readonly number[], excess: number): number[] {
  if (excess <= 0) return [];
  const order = held.map((_, index) => index);
  order.sort((a, b) => held[b]! - held[a]! || b - a);
  const picked: number[] = [];
  let freed = 0;
  for (const index of order) {
    if (freed >= excess) break;
    picked.push(index);
    freed += held[index]!;
  }
  return picked;
}

/** One connection's share of a {@link MemoryBudget}: what it last said it holds. */
export class BudgetAccount {
  /** What the budget counts for this connection. */
  held = 0;
  private open = true;

  constructor(
    private readonly budget: MemoryBudget,
    readonly member: BudgetMember,
  ) {}

  /**
   * The connection holds `held` bytes now. Runs on every read, so it is a subtraction, an
   * addition and a comparison unless the server is over budget.
   */
  set(held: number): void {
    if (!this.open) return;
    const budget = this.budget;
    budget.total += held - this.held;
    this.held = held;
    if (budget.total > budget.limit) budget.rebalance();
  }

  /** The connection is gone: what it held no longer counts. Idempotent. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.budget.leave(this);
  }
}

/**
 * The server-wide budget (`maxServerBufferedBytes`): the sum of what every connection holds
 * (partial frames, requests awaiting replies, unwritten replies, with their overheads). Each
 * connection keeps its {@link BudgetAccount} up to date as it reads and writes; when the total
 * passes the limit, the budget recounts (a connection's socket may have written bytes since it
 * last said) and, if still over, closes the greediest connections ({@link pickGreediest}) with
 * `SWITCHYARD_ERR_MEMORY_BUDGET` until the total is back under. Closing is synchronous, so no
 * connection reads again before the server is under its budget.
 */
export class MemoryBudget {
  /** What the accounts add up to: an upper bound of what the connections hold. */
  total = 0;
  private readonly accounts = new Set<BudgetAccount>();
  private rebalancing = false;

  constructor(readonly limit: number) {}

  /** Connections accounted for now. */
  get size(): number {
    return this.accounts.size;
  }

  join(member: BudgetMember): BudgetAccount {
    const account = new BudgetAccount(this, member);
    this.accounts.add(account);
    return account;
  }

  /** Called by {@link BudgetAccount.close}. */
  leave(account: BudgetAccount): void {
    if (!this.accounts.delete(account)) return;
    this.total -= account.held;
    account.held = 0;
  }

  /** Over the limit: recount, then close the greediest until back under. */
  rebalance(): void {
    // Closing a connection updates its account, which must not start a second pass.
    if (this.rebalancing) return;
    this.rebalancing = true;
    try {
      const accounts = [...this.accounts];
      const held = accounts.map((account) => account.member.heldBytes());
      let total = 0;
      for (let i = 0; i < accounts.length; i++) {
        accounts[i]!.held = held[i]!;
        total += held[i]!;
      }
      this.total = total;
      for (const index of pickGreediest(held, total - this.limit)) {
        const account = accounts[index]!;
        account.member.evict(new MemoryBudgetError(held[index]!, this.limit));
        account.close();
      }
    } finally {
      this.rebalancing = false;
    }
  }
}
