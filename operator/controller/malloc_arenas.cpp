#include "controller/malloc_arenas.h"

#include <malloc.h>

#include <stdexcept>
#include <string>

namespace tenantshift::controller {

void limitMallocArenas(int count) {
  if (count < 1 || mallopt(M_ARENA_MAX, count) != 1) {
    throw std::invalid_argument("malloc refused M_ARENA_MAX " + std::to_string(count));
  }
}

void returnFreeMemory() {
  malloc_trim(0);
}

}  // namespace tenantshift::controller
