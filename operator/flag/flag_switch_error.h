#pragma once

#include <stdexcept>

namespace tenantshift::flag {

// A feature flag could not be set, or its effect not awaited: the message names the object (and
// the spec field), what went wrong and what to do.
class FlagSwitchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The API server refused a patch as invalid (422): for a JSON patch with `test` operations, the
// object changed since it was read. Read it again and patch again.
class PatchRefusedError : public FlagSwitchError {
 public:
  using FlagSwitchError::FlagSwitchError;
};

}  // namespace tenantshift::flag
