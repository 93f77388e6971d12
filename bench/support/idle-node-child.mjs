// The peak RSS of a Node process that does nothing: the floor under every
// other process's peak RSS.
import { reportToParent } from './child-process.mjs';
import { peakRssMiB } from './peak-rss.mjs';

reportToParent({ peakRssMiB: peakRssMiB() });
