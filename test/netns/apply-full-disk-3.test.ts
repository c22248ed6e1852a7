import { fullDiskShard } from './full-disk-shard.js';

// Full disk at every write point of apply, 2,000 interfaces: write points 3, 6, 9, ... (full-disk-shard.ts).
fullDiskShard(2, 3);
