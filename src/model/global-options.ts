/** Options every command sees (defined once on the root program, src/cli/main.ts). */
export interface GlobalOptions {
  netns?: string;
  backend?: 'auto' | 'netlink' | 'ethtool';
  json?: boolean;
}
