// The part of dockerode the per-resource modules call, typed structurally: only docker-client.ts
// imports dockerode (DESIGN.md layout), and hands its instance to them as an EngineApi (the
// compiler checks there that dockerode's own types fit this). Options carry `abortSignal`, which
// docker-modem reads; answers are `unknown` where dockerode's types do not say what the platform
// sends (the modules read them defensively).
import type { Readable } from 'node:stream';
import type { Endpoint } from './raw-http.js';

/** Options of a bounded call: docker-modem aborts the request when the signal fires. */
export interface Abortable {
  abortSignal: AbortSignal;
}

export interface EngineExec {
  id: string;
  inspect(options: Abortable): Promise<unknown>;
}

export interface EngineContainer {
  start(options: Abortable): Promise<unknown>;
  wait(options: Abortable): Promise<unknown>;
  kill(options: Abortable & { signal: string }): Promise<unknown>;
  inspect(options: Abortable): Promise<unknown>;
  remove(options: Abortable & { force: boolean; v: boolean }): Promise<unknown>;
  logs(options: Abortable & { stdout: true; stderr: true; follow?: false }): Promise<Buffer | string>;
  exec(options: Abortable & { Cmd: string[]; AttachStdout: boolean; AttachStderr: boolean; Tty: boolean; User?: string; Privileged?: boolean }): Promise<EngineExec>;
}

export interface EngineApi {
  createContainer(options: Abortable & Record<string, unknown>): Promise<{ id: string }>;
  getContainer(id: string): EngineContainer;
  createNetwork(options: Abortable & { Name: string } & Record<string, unknown>): Promise<{ id: string }>;
  getNetwork(id: string): { remove(options: Abortable): Promise<unknown> };
  createVolume(options: Abortable & { Name: string } & Record<string, unknown>): Promise<unknown>;
  getVolume(name: string): { remove(options: Abortable): Promise<unknown> };
  pull(ref: string, options: Abortable): Promise<Readable | NodeJS.ReadableStream>;
  modem: {
    followProgress(stream: NodeJS.ReadableStream, onFinished: (error: Error | null, result: unknown[]) => void): void;
  };
}

/** What a per-resource module is given: dockerode (loaded on first use) and where raw requests go. */
export interface EngineContext {
  engine(): EngineApi;
  endpoint: Endpoint;
}
