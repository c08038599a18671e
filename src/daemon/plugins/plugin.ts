/**
 * A source and/or sink of requests (mqtt, gpio, serial, cli). The constructor
 * takes one options object and only stores it; start() brings the plugin up
 * and stop() takes it down. A plugin that fails is reported, never fatal.
 */
export interface Plugin {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
