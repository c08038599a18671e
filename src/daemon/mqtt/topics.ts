/** The topics of the MQTT contract under one base (DESIGN.md). */
export function topicsOf(base: string) {
  return {
    ask: `${base}/ask`,
    answer: `${base}/answer`,
    stream: `${base}/stream`,
    cancel: `${base}/cancel`,
    status: `${base}/status`,
    state: `${base}/state`,
  } as const;
}
export type Topics = ReturnType<typeof topicsOf>;
