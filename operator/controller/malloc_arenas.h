#pragma once

namespace tenantshift::controller {

// glibc malloc, set up for a long-running process that is idle most of the time.
//
// glibc gives a thread that allocates while another holds the arena it would use an arena of its
// own, up to 8 per core, and each arena keeps what was freed in it for its next allocations: an
// operator whose threads each once parsed a list or planned a migration holds that much in every
// arena for good. At most `count` arenas (all threads share them); before the threads start.
void limitMallocArenas(int count);

// Gives what is free in every arena back to the kernel (glibc's malloc_trim): the pages of a
// finished burst of work, which the arenas would otherwise keep. Walks every arena's free chunks,
// so call it when work has ended, not after every allocation-heavy step.
void returnFreeMemory();

}  // namespace tenantshift::controller
