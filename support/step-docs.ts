// Step definitions carry their own documentation, so `keelhaul steps` and docs/steps.md are
// generated from the code that runs (cucumber passes `wrapperOptions` through untouched), and,
// optionally, what arguments they can judge: the authoring preflight (`check`, and `run` before any
// container) refuses an argument a step would otherwise ignore or trip over (issue 14).

/**
 * Says why the step cannot judge these arguments (the step's own, as cucumber extracted them, then
 * a data table as rows of cells or a doc string), or undefined when it can.
 */
export type ArgumentCheck = (args: unknown[]) => string | undefined;

export interface StepDoc {
  description: string;
  example: string;
  accepts?: ArgumentCheck;
}

export function doc(description: string, example: string, timeoutMs?: number, accepts?: ArgumentCheck): { timeout?: number; wrapperOptions: StepDoc } {
  const wrapperOptions: StepDoc = accepts ? { description, example, accepts } : { description, example };
  return timeoutMs === undefined ? { wrapperOptions } : { timeout: timeoutMs, wrapperOptions };
}

/** A comma (or "and") separated list, as the steps read it. */
export function listArgument(text: string): string[] {
  return text.split(/\s*(?:,|\band\b)\s*/).map((s) => s.trim()).filter(Boolean);
}

/** An ArgumentCheck for a list argument at `index` whose items must come from `known`. */
export function itemsFrom(what: string, known: readonly string[], index = 0, normalise: (s: string) => string = (s) => s): ArgumentCheck {
  return (args) => {
    const unknown = listArgument(String(args[index] ?? '')).filter((item) => !known.includes(normalise(item)));
    const shown = known.length > 12 ? `${known.slice(0, 6).join(', ')} … (${known.length} in all)` : known.join(', ');
    return unknown.length > 0 ? `this step judges these ${what}: ${shown}; not ${unknown.map((u) => `"${u}"`).join(', ')}` : undefined;
  };
}
