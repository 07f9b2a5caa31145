// sslscan's XML report (--xml=-) read into protocols, cipher suites and the certificate, and judged
// as a container platform's API port should be: TLS 1.2 or later only, no null, anonymous, export or
// otherwise weak suite, no heartbleed, no insecure renegotiation, and a certificate that is in date,
// not self-signed, with a strong key and signature. Pure; unit-tested on outputs recorded from the
// tool image (test/fixtures/tool-outputs/sslscan-*.xml).

export interface TlsScan {
  /** sslscan could not connect at all. */
  error?: string;
  protocols: Array<{ name: string; enabled: boolean }>;
  ciphers: Array<{ protocol: string; name: string; bits: number; strength: string; status: string }>;
  heartbleed: Array<{ protocol: string; vulnerable: boolean }>;
  renegotiation?: { supported: boolean; secure: boolean };
  certificate?: { signature: string; keyType: string; keyBits: number; subject: string; issuer: string; selfSigned: boolean; expired: boolean; notAfter: string };
}

function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([a-z_-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([\\s\\S]*?)(?:\\]\\]>)?</${name}>`).exec(xml);
  return m?.[1]?.trim();
}

export function parseSslscanXml(xml: string): TlsScan {
  const scan: TlsScan = { protocols: [], ciphers: [], heartbleed: [] };
  const error = element(xml, 'error');
  if (error) scan.error = error;
  for (const m of xml.matchAll(/<protocol [^>]*\/>/g)) {
    const a = attrs(m[0]);
    const name = a.type === 'ssl' ? `SSLv${a.version}` : `TLSv${a.version}`;
    scan.protocols.push({ name, enabled: a.enabled === '1' });
  }
  for (const m of xml.matchAll(/<cipher [^>]*\/>/g)) {
    const a = attrs(m[0]);
    scan.ciphers.push({ protocol: a.sslversion ?? '', name: a.cipher ?? '', bits: Number(a.bits ?? 0), strength: a.strength ?? '', status: a.status ?? '' });
  }
  for (const m of xml.matchAll(/<heartbleed [^>]*\/>/g)) {
    const a = attrs(m[0]);
    scan.heartbleed.push({ protocol: a.sslversion ?? '', vulnerable: a.vulnerable === '1' });
  }
  const reneg = /<renegotiation [^>]*\/>/.exec(xml);
  if (reneg) {
    const a = attrs(reneg[0]);
    scan.renegotiation = { supported: a.supported === '1', secure: a.secure === '1' };
  }
  const cert = /<certificate type="short">([\s\S]*?)<\/certificate>/.exec(xml)?.[1];
  if (cert) {
    const pk = attrs(/<pk [^>]*\/>/.exec(cert)?.[0] ?? '');
    scan.certificate = {
      signature: element(cert, 'signature-algorithm') ?? '',
      keyType: pk.type ?? '',
      keyBits: Number(pk.bits ?? 0),
      subject: element(cert, 'subject') ?? '',
      issuer: element(cert, 'issuer') ?? '',
      selfSigned: element(cert, 'self-signed') === 'true',
      expired: element(cert, 'expired') === 'true',
      notAfter: element(cert, 'not-valid-after') ?? '',
    };
  }
  return scan;
}

const OLD_PROTOCOLS = new Set(['SSLv2', 'SSLv3', 'TLSv1.0', 'TLSv1.1']);
/** sslscan's own strength classes below "acceptable", and suite names that are weak whatever it says. */
const WEAK_STRENGTH = new Set(['null', 'anonymous', 'weak', 'medium']);
const WEAK_NAME = /NULL|EXPORT|EXP-|RC4|RC2|(^|-)DES-|3DES|DES-CBC3|MD5|^ADH-|^AECDH-|anon/i;

export interface TlsVerdict {
  speaksTls: boolean;
  enabled: string[];
  problems: string[];
  summary: string;
}

export function judgeTlsScan(scan: TlsScan): TlsVerdict {
  const enabled = scan.protocols.filter((p) => p.enabled).map((p) => p.name);
  const problems: string[] = [];
  const speaksTls = enabled.length > 0;
  if (!speaksTls) {
    problems.push('the port speaks no SSL/TLS protocol at all: the API is plain TCP, readable and forgeable on the wire and open to anyone who reaches it');
  }
  const old = enabled.filter((p) => OLD_PROTOCOLS.has(p));
  if (old.length > 0) problems.push(`protocol versions below TLS 1.2 are enabled: ${old.join(', ')}`);
  const weak = scan.ciphers.filter((c) => WEAK_STRENGTH.has(c.strength) || WEAK_NAME.test(c.name) || (c.bits > 0 && c.bits < 128));
  if (weak.length > 0) {
    const names = [...new Set(weak.map((c) => `${c.name} (${c.protocol}, ${c.strength || `${c.bits} bits`})`))];
    problems.push(`weak cipher suites are accepted: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ` and ${names.length - 8} more` : ''}`);
  }
  const bleeding = scan.heartbleed.filter((h) => h.vulnerable).map((h) => h.protocol);
  if (bleeding.length > 0) problems.push(`vulnerable to heartbleed on ${bleeding.join(', ')}`);
  if (scan.renegotiation?.supported && !scan.renegotiation.secure) problems.push('insecure client-initiated renegotiation is supported');
  const cert = scan.certificate;
  if (speaksTls && cert) {
    if (cert.expired) problems.push(`the certificate expired (${cert.notAfter})`);
    if (cert.selfSigned) problems.push(`the certificate is self-signed (${cert.subject}): clients can only trust it by trusting it as its own CA`);
    if (cert.keyType === 'RSA' && cert.keyBits < 2048) problems.push(`the certificate's RSA key has ${cert.keyBits} bits (fewer than 2048)`);
    // sslscan gives an EC key's strength in security bits (P-256: 128).
    if (cert.keyType === 'EC' && cert.keyBits > 0 && cert.keyBits < 112) problems.push(`the certificate's EC key has ${cert.keyBits} bits of strength (fewer than 112)`);
    if (/md5|sha1With|sha1$|ecdsa-with-SHA1$/i.test(cert.signature)) problems.push(`the certificate is signed with ${cert.signature}`);
  }
  const summary = speaksTls
    ? `${enabled.join(', ')}; ${scan.ciphers.length} cipher suite(s) accepted; certificate ${cert ? `${cert.keyType} ${cert.keyBits}, ${cert.signature}, issuer "${cert.issuer}", valid until ${cert.notAfter}` : 'not read'}`
    : 'no SSL/TLS protocol';
  return { speaksTls, enabled, problems, summary };
}
