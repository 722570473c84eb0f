// core/cpu_isa.h: the TEXTLRP_ISA rule (lower levels are taken, higher ones clamp to the CPU's,
// anything else is an InvalidArgument naming the accepted values) and the level names.
#include "core/cpu_isa.h"
#include "core/error.h"
#include "tests/catch.h"

using namespace textlrp;

TEST_CASE("cpu_isa: TEXTLRP_ISA picks a lower level, clamps a higher one, rejects others", "[core][isa]") {
  bool clamped = true;
  REQUIRE(resolve_isa("v2", Isa::kV4, &clamped) == Isa::kV2);
  REQUIRE_FALSE(clamped);
  REQUIRE(resolve_isa("generic", Isa::kV3, &clamped) == Isa::kGeneric);
  REQUIRE_FALSE(clamped);
  REQUIRE(resolve_isa("v4", Isa::kV4, &clamped) == Isa::kV4);
  REQUIRE_FALSE(clamped);
  REQUIRE(resolve_isa("v4", Isa::kV2, &clamped) == Isa::kV2);  // a CPU without AVX-512 never runs v4 code
  REQUIRE(clamped);
  REQUIRE(resolve_isa("v3", Isa::kGeneric, &clamped) == Isa::kGeneric);
  REQUIRE(clamped);
  for (const char* bad : {"", "V3", "avx2", "v5", "native", "v3 "}) {
    INFO(bad);
    REQUIRE_THROWS_WITH(resolve_isa(bad, Isa::kV4), Catch::Contains("expected generic, v2, v3 or v4"));
    REQUIRE_THROWS_AS(resolve_isa(bad, Isa::kV4), InvalidArgument);
  }
}

TEST_CASE("cpu_isa: names, and the level in use is one this CPU supports", "[core][isa]") {
  REQUIRE(isa_name(Isa::kGeneric) == "generic");
  REQUIRE(isa_name(Isa::kV2) == "v2");
  REQUIRE(isa_name(Isa::kV3) == "v3");
  REQUIRE(isa_name(Isa::kV4) == "v4");
  REQUIRE(isa_name(Isa::kNative) == "native");
  const Isa best = detected_isa();
  REQUIRE(static_cast<int>(cpu_isa()) <= static_cast<int>(best));
  REQUIRE(isa_description().substr(0, isa_name(cpu_isa()).size()) == isa_name(cpu_isa()));
}

TEST_CASE("cpu_isa: the L1 data cache size is unknown (0) or a plausible one, and stable", "[core][isa]") {
  const std::size_t l1 = l1_data_cache_bytes();
  if (l1 != 0) {
    CHECK(l1 >= 4 * 1024);
    CHECK(l1 <= 4 * 1024 * 1024);
  }
  CHECK(l1_data_cache_bytes() == l1);
  // (0 is allowed everywhere: a virtual CPU may not report its caches; relevance_pair then uses 32 kB.)
}
