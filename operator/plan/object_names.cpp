#include "plan/object_names.h"

#include <cstdint>
#include <cstdio>

namespace tenantshift::plan {

namespace {

std::uint32_t fnv1a32(std::string_view text) {
  std::uint32_t hash = 2166136261U;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619U;
  }
  return hash;
}

bool isContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

}  // namespace

std::string boundedName(std::string_view base, std::string_view suffix) {
  std::string full = std::string(base) + std::string(suffix);
  if (full.size() <= kMaxIdentifierBytes) {
    return full;
  }
  char hash[10];
  std::snprintf(hash, sizeof hash, "_%08x", fnv1a32(full));
  std::string tail = std::string(hash) + std::string(suffix);
  std::size_t keep = tail.size() < kMaxIdentifierBytes ? kMaxIdentifierBytes - tail.size() : 0;
  keep = std::min(keep, base.size());
  while (keep > 0 && keep < base.size() && isContinuationByte(base[keep])) {
    --keep;
  }
  std::string out = std::string(base.substr(0, keep)) + tail;
  if (out.size() > kMaxIdentifierBytes) {
    out.resize(kMaxIdentifierBytes);  // only when the suffix alone is too long: our own names
  }
  return out;
}

}  // namespace tenantshift::plan
