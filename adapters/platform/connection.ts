// Where the platform's API is: an ordered chain of strategies, as in testcontainers-node.
// --target wins, then the Docker environment variables, then the well-known local sockets.
// Pure apart from the injected file-system probe, so it is unit-testable without a daemon.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../judges/errors.js';

export interface TlsMaterial { ca?: Buffer; cert?: Buffer; key?: Buffer; certDir: string; verify: boolean }

export type Connection =
  | { url: string; transport: 'unix'; socketPath: string; source: string }
  | { url: string; transport: 'tcp'; host: string; port: number; tls?: TlsMaterial; source: string };

export interface ResolveInput {
  target?: string;
  env?: NodeJS.ProcessEnv;
  /** Injected for tests. */
  socketExists?: (path: string) => boolean;
  readFile?: (path: string) => Buffer;
}

/**
 * Asked with bigint stats on purpose: node's realpathSync (the ES module resolver's, too) reads the
 * shared array a plain statSync fills, and while it still holds a socket's mode it stops resolving
 * symbolic links (nodejs/node#51142). A user's step file importing '@cucumber/cucumber' through a
 * linked node_modules (pnpm's layout) then got a second copy of cucumber, one with no Given.
 */
function isSocket(path: string): boolean {
  try { return statSync(path, { bigint: true }).isSocket(); } catch { return false; }
}

/** Local sockets tried in order when nothing names a target. */
export function defaultSocketCandidates(env: NodeJS.ProcessEnv): string[] {
  const candidates = ['/var/run/docker.sock', '/run/podman/podman.sock'];
  if (env.XDG_RUNTIME_DIR) candidates.push(join(env.XDG_RUNTIME_DIR, 'docker.sock'), join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'));
  return candidates;
}

export function resolveConnection(input: ResolveInput = {}): Connection {
  const env = input.env ?? process.env;
  const socketExists = input.socketExists ?? isSocket;
  const readFile = input.readFile ?? ((p: string) => readFileSync(p));
  if (input.target) return parseTarget(input.target, '--target', env, readFile);
  if (env.DOCKER_HOST) return parseTarget(env.DOCKER_HOST, 'DOCKER_HOST', env, readFile);
  const candidates = defaultSocketCandidates(env);
  const found = candidates.find(socketExists);
  const socketPath = found ?? candidates[0]!;
  return { url: `unix://${socketPath}`, transport: 'unix', socketPath, source: found ? 'local socket' : 'default socket (not found)' };
}

export function parseTarget(raw: string, source: string, env: NodeJS.ProcessEnv, readFile: (p: string) => Buffer): Connection {
  const value = raw.trim();
  if (value.startsWith('/')) return { url: `unix://${value}`, transport: 'unix', socketPath: value, source };
  let url: URL;
  try {
    url = new URL(value.includes('://') ? value : `tcp://${value}`);
  } catch {
    throw new UsageError(`${source}: "${raw}" is not a platform address (use unix:///path, tcp://host:port or https://host:port)`);
  }
  switch (url.protocol) {
    case 'unix:': {
      const socketPath = url.pathname || '/var/run/docker.sock';
      return { url: `unix://${socketPath}`, transport: 'unix', socketPath, source };
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      if (!url.hostname) throw new UsageError(`${source}: "${raw}" names no host`);
      // The Docker CLI treats any non-empty DOCKER_TLS_VERIFY as on (docker-modem only accepts "1").
      const tlsVerify = (env.DOCKER_TLS_VERIFY ?? '') !== '' && env.DOCKER_TLS_VERIFY !== '0';
      const port = url.port ? Number(url.port) : tlsVerify || url.protocol === 'https:' ? 2376 : 2375;
      const wantsTls = url.protocol === 'https:' || tlsVerify || (url.protocol === 'tcp:' && port === 2376);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const tls = wantsTls ? loadTls(env, tlsVerify || url.protocol === 'https:', readFile, source) : undefined;
      const scheme = tls ? 'https' : 'tcp';
      return { url: `${scheme}://${url.hostname}:${port}`, transport: 'tcp', host, port, tls, source };
    }
    case 'ssh:':
      // The Docker CLI's ssh:// runs `docker system dial-stdio` on the remote host over ssh and speaks
      // HTTP through that pipe: it needs the docker CLI there and an ssh client here, which keelhaul does not drive.
      throw new UsageError(`${source}: ssh:// is not supported ("${raw}"): the Docker CLI's ssh transport runs \`docker system dial-stdio\` on the remote host over ssh, which keelhaul does not do; forward the socket (ssh -NL /tmp/docker.sock:/var/run/docker.sock host, then --target unix:///tmp/docker.sock) or expose the API over tcp:// with TLS`);
    default:
      throw new UsageError(`${source}: unsupported scheme "${url.protocol.replace(/:$/, '')}" in "${raw}" (use unix://, tcp:// or https://)`);
  }
}

function loadTls(env: NodeJS.ProcessEnv, verify: boolean, readFile: (p: string) => Buffer, source: string): TlsMaterial {
  const certDir = env.DOCKER_CERT_PATH || join(env.HOME ?? '/root', '.docker');
  const read = (name: string, required: boolean): Buffer | undefined => {
    const path = join(certDir, name);
    try {
      return readFile(path);
    } catch {
      if (required) throw new UsageError(`${source}: TLS needs ${path}, which cannot be read (set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem)`);
      return undefined;
    }
  };
  const ca = read('ca.pem', verify);
  const cert = read('cert.pem', false);
  const key = read('key.pem', false);
  if ((cert && !key) || (key && !cert)) throw new UsageError(`${source}: ${certDir} holds only one of cert.pem and key.pem`);
  return { ca, cert, key, certDir, verify };
}

/** A form of the target safe to print and to hand to worker processes. */
export function describeConnection(c: Connection): string {
  return c.url;
}

/**
 * A second tenant's endpoint (--peer-target): its own URL and its own certificate folder (another
 * account's key, as DOCKER_CERT_PATH is for the first); TLS as DOCKER_TLS_VERIFY says for both.
 */
export function resolvePeerConnection(target: string, certPath?: string, env: NodeJS.ProcessEnv = process.env): Connection {
  return resolveConnection({ target, env: { ...env, ...(certPath ? { DOCKER_CERT_PATH: certPath } : {}) } });
}
