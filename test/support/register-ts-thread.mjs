// register-ts.mjs for worker threads (the API's rollout parse workers run from source in tests):
// the same hooks, compiling with TypeScript's own transpiler instead of SWC. SWC's native addon,
// loaded again in every worker's hooks thread, now and then crashed the whole test process when
// a worker ended (seen under gdb); plain JavaScript cannot.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url, { data: { compiler: 'typescript' } });
