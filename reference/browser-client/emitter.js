// The client's events: named listeners with a detail object. A listener that throws is logged
// and does not stop the others, nor the client.

/** @typedef {(detail: any) => void} Listener */

export class Emitter {
  constructor() {
    /** @type {Map<string, Listener[]>} */
    this.listeners = new Map();
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {() => void} removes the listener
   */
  on(event, listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () => this.listeners.set(event, (this.listeners.get(event) ?? []).filter((l) => l !== listener));
  }

  /**
   * @param {string} event
   * @param {any} detail
   */
  emit(event, detail) {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(detail);
      } catch (error) {
        console.error(`flake-client: a ${event} listener threw`, error);
      }
    }
  }
}
