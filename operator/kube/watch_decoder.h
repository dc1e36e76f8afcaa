#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "kube/watch_event.h"

namespace tenantshift::kube {

// Decodes a watch response body, newline-delimited JSON events, as it arrives: bytes in any
// chunking (an event split across chunks, several events in one chunk) in, complete events out.
// Pure: no I/O, so that every framing case is unit-tested.
class WatchDecoder {
 public:
  // An event larger than this is refused (the API server limits objects to a few MiB).
  static constexpr std::size_t kMaxEventBytes = std::size_t{64} * 1024 * 1024;

  // The events completed by `chunk`, in order. Throws WatchStreamError for a malformed event;
  // the stream cannot continue after that.
  std::vector<WatchEvent> feed(std::string_view chunk);
  // The stream has ended: throws WatchStreamError if it ended inside an event. An event the
  // server did not end with a newline is returned.
  std::vector<WatchEvent> finish();
  // Bytes of an incomplete event held for the next chunk.
  std::size_t buffered() const { return pending_.size(); }

 private:
  std::string pending_;
};

// Decodes one complete event (one line of the stream). Throws WatchStreamError.
WatchEvent decodeWatchEvent(std::string_view line);

}  // namespace tenantshift::kube
