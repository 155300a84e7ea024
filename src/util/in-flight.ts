/**
 * How many pieces of work are under way: started and not yet ended. The pack flow counts its
 * requests here; the stats sink reads the count to tell when every request in progress is
 * already waiting on it (QueueSink's group commit then stops waiting: nothing else is coming).
 */
export class InFlightCount {
  private value = 0;

  get count(): number {
    return this.value;
  }

  start(): void {
    this.value++;
  }

  end(): void {
    this.value--;
  }
}
