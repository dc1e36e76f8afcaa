#include <cstring>
#include <iostream>

#include "cli/version.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << tenantshift::cli::versionLine() << "\n";
    return 0;
  }
  std::cerr << "usage: tenantshift --version\n";
  return 2;
}
