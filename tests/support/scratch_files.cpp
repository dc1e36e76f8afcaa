#include "support/scratch_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace tenantshift::testing {

namespace fs = std::filesystem;

fs::path makeTempPath(const std::string& pattern, bool directory) {
  std::string tmpl = (fs::temp_directory_path() / pattern).string();
  std::vector<char> buffer(tmpl.begin(), tmpl.end());
  buffer.push_back('\0');
  if (directory) {
    if (::mkdtemp(buffer.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    }
  } else {
    int fd = ::mkstemp(buffer.data());
    if (fd < 0) {
      throw std::runtime_error("mkstemp failed: " + std::string(std::strerror(errno)));
    }
    ::close(fd);
  }
  return fs::path(buffer.data());
}

ScratchDir::ScratchDir() : path_(makeTempPath("tenantshift-cli-XXXXXX", true)) {}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string readFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path writeFile(const fs::path& dir, const std::string& fileName, const std::string& text) {
  fs::path file = dir / fileName;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    throw std::runtime_error("cannot write " + file.string());
  }
  return file;
}

}  // namespace tenantshift::testing
