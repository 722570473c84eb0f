// core/endian.h — the only place where bytes of a file become numbers.
//
// Every multi-byte integer or float read from a file goes through load_le / store_le, which are
// correct on any host byte order (leveldb's coding.h habit). Never read a struct with in.read().
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace textlrp {

// Reads a little-endian T (integer or float) from p. p needs sizeof(T) readable bytes.
template <class T>
T load_le(const void* p) {
  static_assert(std::is_trivially_copyable_v<T>);
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  }
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

// Writes v as little-endian into p (sizeof(T) bytes).
template <class T>
void store_le(void* p, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  }
  std::memcpy(p, b, sizeof(T));
}

}  // namespace textlrp
