// core/error.h — the exception hierarchy every textlrp library throws.
//
// Library code throws; it never prints and never exits. The one catch site is main() in
// apps/textlrp.cpp, which maps InvalidArgument (a usage error) to exit code 2 and every other
// Error to exit code 1. Messages are compiler-like so editors and grep can use them:
//   "glove.txt:1207: expected 51 fields (word + 50 floats), got 49"
//   "model.safetensors: tensor 'weight' has shape [3 x 5], expected [3 x 6]"
#pragma once

#include <stdexcept>
#include <string>

namespace textlrp {

// Base of all textlrp errors.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file or stream could not be opened, read or written. The message names the path and strerror.
class IoError : public Error {
 public:
  using Error::Error;
};

// File content is wrong. The message names the file, the line or byte offset, what was expected
// and what was found.
class FormatError : public Error {
 public:
  using Error::Error;
};

// A bad option or parameter from the caller; the message lists the valid values. Exit code 2.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// Aborts with file:line on a broken internal invariant (a programmer error, never bad input).
[[noreturn]] void assertion_failed(const char* expr, const char* file, int line);

}  // namespace textlrp

#define TEXTLRP_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::textlrp::assertion_failed(#cond, __FILE__, __LINE__))
