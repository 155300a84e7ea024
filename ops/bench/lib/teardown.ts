/**
 * Things to undo at the end of a bench, undone in reverse order of setup (the proxy before the
 * Redis it uses). Every step runs even when an earlier one fails; failures are reported, not thrown.
 */
export class Teardown {
  private readonly steps: Array<{ what: string; undo: () => unknown }> = [];

  add(what: string, undo: () => unknown): void {
    this.steps.push({ what, undo });
  }

  async run(): Promise<void> {
    for (const { what, undo } of this.steps.splice(0).reverse()) {
      try {
        await undo();
      } catch (err) {
        process.stderr.write(`teardown: ${what} failed: ${String(err)}\n`);
      }
    }
  }
}
