// Exceptions of the core library. The addon layer maps them to JavaScript TypeError/RangeError,
// so a bad argument that slips past the TypeScript checks still never aborts the process.
#pragma once
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

namespace sshn {

struct TypeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct RangeError : std::out_of_range {
  using std::out_of_range::out_of_range;
};

// a * b, or a RangeError naming `what` when the product does not fit in size_t.
inline size_t checkedProduct(size_t a, size_t b, const char* what) {
  if (a != 0 && b > std::numeric_limits<size_t>::max() / a) {
    throw RangeError(std::string(what) + " is too large to address");
  }
  return a * b;
}

}  // namespace sshn
