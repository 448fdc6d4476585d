// Large buffers that JS has just allocated are backed by the OS page by page on their first write,
// and on the VMs this library is benchmarked on each 4 KiB fault is expensive (0.6-3 s per GB
// measured). Advising transparent huge pages for such a buffer before it is written takes one fault
// per 2 MiB instead (the Gram matrix of 60 000 patterns, 14.4 GB: 47 s -> 21 s).
#pragma once
#include <cstddef>

namespace sshn {

// Advice only: contents and results do not change. Linux only, for buffers of at least 32 MiB;
// SSHN_HUGE_PAGES=0 turns it off; errors are ignored.
void adviseHugePages(void* data, size_t bytes);

}  // namespace sshn
