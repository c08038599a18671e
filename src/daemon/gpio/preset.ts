/** A preset prompt template names a placeholder it does not know. */
export class PresetTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PresetTemplateError';
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The values a preset prompt may use, in the machine's local time zone. */
function placeholders(now: Date): Record<string, string> {
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}:${pad(now.getMinutes())}`;
  const offsetMin = -now.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const offset = `${sign}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return {
    date,
    time,
    weekday: now.toLocaleDateString('en-US', { weekday: 'long' }),
    datetime: `${date}T${time}:${pad(now.getSeconds())}${offset}`,
  };
}

export const presetPlaceholders: readonly string[] = ['date', 'time', 'weekday', 'datetime'];

/** Checks a template without rendering it (at start, so a typo shows before the first press). */
export function checkPresetTemplate(template: string): void {
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    if (!presetPlaceholders.includes(m[1])) {
      throw new PresetTemplateError(`gpio.preset_prompt uses {${m[1]}}; the placeholders are ${presetPlaceholders.map((p) => `{${p}}`).join(', ')}`);
    }
  }
  if (template.trim() === '') throw new PresetTemplateError('gpio.preset_prompt is empty');
}

/** The template with each {placeholder} replaced by its value at `now`. */
export function renderPreset(template: string, now: Date): string {
  checkPresetTemplate(template);
  const values = placeholders(now);
  return template.replace(/\{([^{}]*)\}/g, (_, name: string) => values[name]);
}
