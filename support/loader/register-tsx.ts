// Imported after support/loader/register.js, only when the user's --require'd code holds TypeScript
// (run/user-code.ts decides): tsx costs about 300 ms of CPU and 500 ms of wall time to register, which
// a run of JavaScript step files does not need. tsx refuses cucumber's `loader` option ("must be
// loaded with --import"), so it is registered through its own API here; the same file runs in every
// parallel worker because cucumber imports support code in each. Registered after our resolve hook,
// so it runs first and hands bare specifiers on to our hook.
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
