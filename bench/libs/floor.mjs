// The measurement floor: the hot-path loop with the cheapest possible "metric", a Float64Array
// slot increment. Not a library; the runner reports it beside the hot-path table.
import { expectEqual } from './check.mjs';

export const hot = {
  'counter-plain': () => {
    const slots = new Float64Array(8);
    return {
      run(n) {
        for (let i = 0; i < n; i++) slots[3] += 1;
      },
      check(ops) {
        expectEqual('slot total', slots[3], ops);
      },
    };
  },
};
