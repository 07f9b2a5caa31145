// External tools: the only module that imports execa (DESIGN.md layout).
// Every run is bounded in time and output, never uses a shell, and never throws for a non-zero exit.

export interface ToolResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  failedToStart: boolean;
}

export async function runTool(file: string, args: string[], options: { timeoutMs?: number; signal?: AbortSignal; input?: string } = {}): Promise<ToolResult> {
  // Loaded on first use: about 100 ms of start-up that a run seeding nothing never needs.
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    reject: false,
    timeout: options.timeoutMs ?? 30_000,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2_000,
    maxBuffer: 8 * 1024 * 1024,
    input: options.input,
    stripFinalNewline: false,
  });
  return {
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    timedOut: Boolean(result.timedOut),
    failedToStart: result.failed && result.exitCode === undefined && !result.timedOut && !result.isCanceled,
  };
}
