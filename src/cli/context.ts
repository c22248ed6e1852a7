/** What commands share (defined in the layers below, so features can use them without importing cli/). */
export { toOffloadError } from '../kernel/offload-error.js';
export { withKernel } from '../kernel/with-kernel.js';
export { observe } from '../host/observe-once.js';
