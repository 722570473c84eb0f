// explain/json_count.h — reading a count or a byte offset from untrusted JSON.
#pragma once

#include <cstdint>
#include <optional>

namespace textlrp::explain {

// The value of `v` when it is an integer in [0, max]; nullopt for anything else (a float, a
// negative number, a string, ...). Checked before converting: nlohmann's get<> of a float outside
// the target type's range (e.g. 6.5e45 into uint32_t) is undefined behaviour, and of -1 into an
// unsigned type wraps around. Parsed text holds non-negative integers as unsigned; a json built in
// memory may hold them signed. Json: nlohmann::json or nlohmann::ordered_json.
template <class Json>
std::optional<std::uint64_t> json_count(const Json& v, std::uint64_t max) {
  if (v.is_number_unsigned()) {
    const auto u = v.template get<std::uint64_t>();
    if (u <= max) return u;
  } else if (v.is_number_integer()) {
    const auto i = v.template get<std::int64_t>();
    if (i >= 0 && static_cast<std::uint64_t>(i) <= max) return static_cast<std::uint64_t>(i);
  }
  return std::nullopt;
}

}  // namespace textlrp::explain
