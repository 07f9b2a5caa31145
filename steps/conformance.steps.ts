// Conformance family (@conformance): how far a platform's Docker API is stock Docker's
// (reference/conformance.md section 5). Every check ends in a classification (conformant,
// unimplemented, rejected, ignored, divergent, error-format) with its raw evidence, and the
// divergence ledger (judges/conformance.ts) compares it with the platform profile. The probes and
// options are catalogues in judges/ (conformance-probes.ts, conformance-options.ts,
// conformance-routes.ts); support/conformance-driver.ts sends their requests. docs/conformance.md
// says how a check is judged and how to add one.
import { Then, When } from '@cucumber/cucumber';
import { judgeLedger } from '../judges/conformance.js';
import { OPTIONS } from '../judges/conformance-options.js';
import { PROBES, probeFor } from '../judges/conformance-probes.js';
import { Finding } from '../judges/errors.js';
import { askRoutes, checkId, createWithOption, latestObservation, prefetchOptionContainer, prefetchProbe, prefetchRoutes, runProbe } from '../support/conformance-driver.js';
import { planProbes } from '../support/probe-plan.js';
import { doc, type ArgumentCheck } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';
import { OBSERVATION } from '../judges/observation-keys.js';

When('the platform is probed for {string}', doc(
  'Runs the protocol, error-shape, lifecycle or object probe the quoted text names (conformance.md 5.1, 5.4, 5.5; the names are listed in docs/conformance.md) with raw HTTP, and classifies what it saw against stock Docker; the scenario\'s @CONF-<row> tag names the ledger row. A text that names no probe runs the probe written for the @CONF tag (features written before the text chose the probe).',
  'When the platform is probed for "GET /_ping answers 200 OK"',
  60_000,
), async function (this: KeelhaulWorld, name: string) {
  const probe = probeFor(name, checkId(this));
  if (!probe) throw new Error(`no probe is named "${name}", and none is written for ${checkId(this)} (probes: ${Object.keys(PROBES).join('; ')})`);
  await runProbe(this, probe, name);
});
planProbes('the platform is probed for {string}', prefetchProbe);

When('the API is asked {string}', doc(
  'Route existence (conformance.md 5.2): sends each request (separated by ";"; "API>=1.42:" gates on the negotiated version; {id} is a running container of the scenario, {image} the probe image, {run} the run id) and classifies the routes as unimplemented when the answer is a route-missing one (404 page not found / Not Found / does not exist / is not supported, 405, 501, 400 NotImplemented, 503 does not support), else conformant. Requests are harmless: missing resources, label filters matching nothing, loopback addresses.',
  'When the API is asked "GET /containers/{id}/changes"',
  90_000,
), async function (this: KeelhaulWorld, text: string) {
  await askRoutes(this, text);
});
planProbes('the API is asked {string}', prefetchRoutes);

When('a container is created with {string} set to {string}', doc(
  'Create-option conformance (conformance.md 5.3): creates a container with this option (memory, cpus, cpu-shares, privileged, cap-add, cap-drop, security-opt, read-only, tmpfs, bind, network, publish, restart-policy, pids-limit, ulimit, shm-size, label, env, user, workdir, unknown-field), reads it back with inspect AND looks from inside the container (cgroup files, /proc/self/status, mounts, id, pwd). Refused = rejected; not in effect inside = ignored (whatever inspect says); in effect but differently = divergent.',
  'When a container is created with "memory" set to "100m"',
  90_000,
  ((args) => (OPTIONS[String(args[0])] ? undefined : `this step judges these options: ${Object.keys(OPTIONS).join(', ')}; not "${args[0]}"`)) satisfies ArgumentCheck,
), async function (this: KeelhaulWorld, option: string, value: string) {
  await createWithOption(this, option, value);
});
planProbes('a container is created with {string} set to {string}', prefetchOptionContainer);

Then('it behaves like stock Docker, or as the profile declares', doc(
  'The divergence ledger (DESIGN.md): conformant and undeclared = pass; a divergence the profile declares = pass (a known divergence in the matrix); an undeclared divergence = finding; a declared divergence that was not observed = finding ("profile out of date").',
  'Then it behaves like stock Docker, or as the profile declares',
), function (this: KeelhaulWorld) {
  const observation = latestObservation(this);
  if (!observation) throw new Error('nothing was observed: start with a "When the platform is probed / the API is asked / a container is created" step');
  const entry = judgeLedger(observation, this.profile.divergences, this.profile.name);
  this.observe(OBSERVATION.conformance, { ...observation, declared: entry.declared ?? null, verdict: entry.verdict });
  if (!entry.pass) throw new Finding(entry.message);
  if (entry.verdict === 'known') this.observe('knownDivergence', entry.message);
});
