#include "kube/http_threads.h"

#include <pplx/threadpool.h>

#include <stdexcept>
#include <string>

namespace tenantshift::kube {

void useHttpThreads(std::size_t count) {
  if (count == 0) {
    throw std::logic_error("cpprestsdk's thread pool needs at least one thread");
  }
  try {
    crossplat::threadpool::initialize_with_threads(count);
  } catch (const std::runtime_error& error) {
    throw std::logic_error("cpprestsdk's thread pool cannot be sized to " + std::to_string(count) +
                           " threads: " + error.what());
  }
}

}  // namespace tenantshift::kube
