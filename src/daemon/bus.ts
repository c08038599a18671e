import type { Logger } from './logger.js';
import type { StoredRequest } from './request.js';

/** What the daemon's state topic and systemd STATUS show. */
export interface DaemonState {
  state: 'loading' | 'idle' | 'busy' | 'stopping';
  model: string | null;
  /** Requests waiting (not counting the running one). */
  queue: number;
  /** The id of the request running now. */
  running: string | null;
}

/** Every event on the bus and its payload. */
export interface DaemonEvents {
  /** A request was committed as queued. */
  'request.accepted': StoredRequest;
  'request.started': StoredRequest;
  /** A piece of answer text, as the engine produced it. */
  'request.piece': { request: StoredRequest; text: string };
  /** A request reached a final status (answered, refused, cancelled, interrupted): its answer is due. */
  'request.finished': StoredRequest;
  'state': DaemonState;
  /** The engine died (its thread exited or stopped making progress): the daemon must restart. */
  'engine.failed': { message: string };
}

type Listener<T> = (payload: T) => void | Promise<void>;

/**
 * The one typed event bus. A listener that throws (or whose promise rejects)
 * is logged and the other listeners still run: one failing plugin cannot take
 * the daemon down.
 */
export class EventBus {
  private readonly listeners = new Map<keyof DaemonEvents, Set<Listener<never>>>();

  constructor(private readonly options: { logger: Logger }) {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof DaemonEvents>(event: K, listener: Listener<DaemonEvents[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof DaemonEvents>(event: K, payload: DaemonEvents[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        const result = (listener as Listener<DaemonEvents[K]>)(payload);
        if (result && typeof (result as Promise<void>).catch === 'function') {
          (result as Promise<void>).catch((err) => this.report(event, err));
        }
      } catch (err) {
        this.report(event, err);
      }
    }
  }

  private report(event: string, err: unknown): void {
    this.options.logger.error(`a listener of "${event}" failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
}
