/** The netlink addon build in use, for `--version` (the addon itself stays inside src/kernel/netlink). */
export { netlinkAddonBuild } from './netlink/addon.js';
