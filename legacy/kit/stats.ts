/** Counts the business calls a backend has answered, by operation. */
export class CallStats {
  private calls = new Map<string, number>();

  count(operation: string): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }

  reset(): void {
    this.calls.clear();
  }

  toJSON(): { total: number; calls: Record<string, number> } {
    const calls = Object.fromEntries([...this.calls].sort(([a], [b]) => a.localeCompare(b)));
    const total = Object.values(calls).reduce((sum, n) => sum + n, 0);
    return { total, calls };
  }
}
