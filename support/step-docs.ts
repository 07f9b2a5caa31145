// Step definitions carry their own documentation, so `keelhaul steps` and docs/steps.md are
// generated from the code that runs (cucumber passes `wrapperOptions` through untouched).

export interface StepDoc {
  description: string;
  example: string;
}

export function doc(description: string, example: string, timeoutMs?: number): { timeout?: number; wrapperOptions: StepDoc } {
  return timeoutMs === undefined ? { wrapperOptions: { description, example } } : { timeout: timeoutMs, wrapperOptions: { description, example } };
}
