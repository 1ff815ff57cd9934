/**
 * Runs `work` one pass at a time: a request during a pass is folded into one more pass after it, so a burst of
 * wake-ups costs at most two passes and none is lost. A pass that throws is reported to `failed`.
 */
export class SerialPass {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Asks for a pass; resolves when the pass that covers this request has run. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.work();
        } while (this.again);
      } catch (error) {
        this.failed(error);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Waits for the pass under way, if any. */
  async idle(): Promise<void> {
    await this.running;
  }
}
