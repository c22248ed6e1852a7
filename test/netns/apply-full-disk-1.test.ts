import { fullDiskShard } from './full-disk-shard.js';

// Full disk at every write point of apply, 2,000 interfaces: write points 1, 4, 7, ... (full-disk-shard.ts).
fullDiskShard(0, 3);
