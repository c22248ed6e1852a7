import { fullDiskShard } from './full-disk-shard.js';

// Full disk at every write point of apply, 2,000 interfaces: write points 2, 5, 8, ... (full-disk-shard.ts).
fullDiskShard(1, 3);
