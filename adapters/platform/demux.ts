// Docker multiplexes stdout and stderr of a non-TTY container in frames:
// [stream type (1 stdout, 2 stderr), 0, 0, 0, size (uint32 big-endian)] then the payload.
// Logs read with follow=false arrive as one Buffer that is still multiplexed (dockerode #456).

export function demuxDockerStream(buffer: Buffer): { stdout: string; stderr: string } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const framed = (type === 0 || type === 1 || type === 2) && buffer[offset + 1] === 0 && buffer[offset + 2] === 0 && buffer[offset + 3] === 0;
    if (!framed) break;
    const size = buffer.readUInt32BE(offset + 4);
    const payload = buffer.subarray(offset + 8, offset + 8 + size);
    (type === 2 ? stderr : stdout).push(payload);
    offset += 8 + size;
  }
  // Not multiplexed (a TTY stream, or a platform that sends raw output): everything is stdout.
  if (offset === 0 && buffer.length > 0) return { stdout: buffer.toString('utf8'), stderr: '' };
  if (offset < buffer.length) stdout.push(buffer.subarray(offset));
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}
