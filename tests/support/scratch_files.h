#pragma once

#include <filesystem>
#include <string>

namespace tenantshift::testing {

// A temporary directory removed when it goes out of scope.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A new empty file or directory in the temp directory from a mkstemp/mkdtemp pattern
// ("name-XXXXXX"); throws when it cannot be made.
std::filesystem::path makeTempPath(const std::string& pattern, bool directory);

// Writes `text` to dir/fileName and returns the path.
std::filesystem::path writeFile(const std::filesystem::path& dir, const std::string& fileName,
                                const std::string& text);
std::string readFile(const std::filesystem::path& file);

}  // namespace tenantshift::testing
