#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace textlrp {

void assertion_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "textlrp: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace textlrp
