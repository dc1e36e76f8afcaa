#pragma once

namespace tenantshift::controller {

// glibc malloc, set up for a long-running process that is idle most of the time.
//
// glibc gives a thread that allocates while another holds the arena it would use an arena of its
// own, up to 8 per core, and each arena keeps what was freed in it for its next allocations: an
// operator whose threads each once parsed a list or planned a migration holds that much in every
// arena for good. At most `count` arenas (all threads share them); before the threads start.
void limitMallocArenas(int count);

}  // namespace tenantshift::controller
