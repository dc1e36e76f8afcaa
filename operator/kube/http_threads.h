#pragma once

#include <cstddef>

namespace tenantshift::kube {

// Sizes cpprestsdk's shared thread pool: the asio threads that do the network I/O of every
// request of every CpprestKubeClient in the process and run the continuations of its tasks
// (cpprestsdk starts 40 unless told). Only before anything has used cpprestsdk's pool (a client,
// a request, a task): throws std::logic_error once the pool exists.
//
// A thread of the pool must never wait for another task (a .get() or .wait() in a continuation
// would hold it while the task it waits for needs a free one: with a small pool, a deadlock).
// CpprestKubeClient waits for replies only in its callers' threads.
void useHttpThreads(std::size_t count);

}  // namespace tenantshift::kube
